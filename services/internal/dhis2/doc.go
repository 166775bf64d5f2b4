// Package dhis2 is the one place where dhis2sync speaks the DHIS2 Web API.
//
// It covers DHIS2 2.36 to 2.42: connection handling (base URL normalisation,
// Basic and personal access token auth, gzip, timeouts, rate limiting and
// retries), version detection and the capability table, streamed readers for
// paged lists, /api/metadata, /api/deletedObjects, /api/dataValueSets and the
// tracker exports, writers for metadata, data values and tracker payloads that
// return one ImportResult whatever the server's report shape, and the payload
// transforms between versions.
//
// Version differences live in data: the capability table (capabilities.go)
// and the transform rules (transform_rules.go). Code elsewhere asks the table
// instead of comparing version numbers.
package dhis2
