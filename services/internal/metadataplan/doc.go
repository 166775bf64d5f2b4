// Package metadataplan turns DHIS2's metadata import order into the steps of a metadata sub-job.
//
// DHIS2 commits a metadata bundle class by class in the order of each schema descriptor's setOrder value
// (dhis2-core 2.42 DefaultObjectBundleService#commit and DefaultSchemaService#getMetadataSchemas).
// It resolves circular references (program ↔ program stage, data set ↔ section, category combo ↔ its option
// combos …) only inside one payload, so a copy that imports type by type must keep each cycle inside one
// request. Plan groups the types into dependency-closed groups, in DHIS2's order: every owner reference of a
// group points to its own types or to an earlier group's (tested against real /api/schemas).
//
// Steps packs consecutive groups into the steps a metadata sub-job runs. DHIS2 charges each metadata import
// request a base cost of 1–3 s (docs/performance.md), so one step per group spends most of a small sync on that
// cost; a union of consecutive groups is still dependency-closed, and the loader imports a multi-type step as
// one request. Steps are bounded by an estimate of their objects (EstimatedObjects, DefaultStepObjects), since
// the plan is made before the source is read; org units, read parents first, keep a step of their own.
//
// Which types exist in a given DHIS2 version is not decided here: the DHIS2 client's capability table knows
// that, and the extractor skips what the source does not have.
package metadataplan
