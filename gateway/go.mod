module github.com/dhis2sync/dhis2sync/gateway

go 1.26
