module github.com/dhis2sync/dhis2sync/proto

go 1.26
