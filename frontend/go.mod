module github.com/dhis2sync/dhis2sync/frontend

go 1.26
