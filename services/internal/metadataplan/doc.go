// Package metadataplan turns DHIS2's metadata import order into the steps of a metadata sub-job.
//
// DHIS2 commits a metadata bundle class by class in the order of each schema descriptor's setOrder value
// (FACTS.md §9.1–9.2, core@2.42 DefaultObjectBundleService#commit and DefaultSchemaService#getMetadataSchemas).
// It resolves circular references (program ↔ program stage, data set ↔ section …) only inside one payload, so
// a copy that imports type by type must keep each cycle inside one request. Plan groups the types into
// dependency-closed groups, in DHIS2's order, and a metadata sub-job runs one step per group.
//
// Which types exist in a given DHIS2 version is not decided here: the DHIS2 client's capability table knows
// that, and the extractor skips what the source does not have.
package metadataplan
