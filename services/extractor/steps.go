package extractor

import (
	"slices"
	"strings"
)

// Step kinds, decided from the resources and params the orchestrator sends.
const (
	kindMetadata  = "metadata"
	kindDeletions = "deletions"
	kindData      = "data"
)

// dataResources are the resources of the aggregate, event and tracker sub-jobs.
var dataResources = []string{"dataValues", "dataValueSets", "events", "trackedEntities", "enrollments", "relationships"}

// DeletedObjectsResource names the deletions step's resource and the resource of its batches.
const DeletedObjectsResource = "deletedObjects"

// stepKind classifies a step: resources ["deletedObjects"], params kind=deletions, or the deletion guard
// params.maxSharePercent (which the orchestrator sends with its deletions step, whose resources are the
// metadata types) make the deletions step; any data resource makes a data step; anything else is metadata.
func stepKind(resources []string, params map[string]string) string {
	_, guard := params["maxSharePercent"]
	if params["kind"] == kindDeletions || guard || slices.Contains(resources, DeletedObjectsResource) {
		return kindDeletions
	}
	for _, r := range resources {
		if slices.Contains(dataResources, r) || IsDataValuesResource(r) {
			return kindData
		}
	}
	return kindMetadata
}

// deletionTypes are the metadata types a deletions step reads: params["types"] (comma separated plurals) or
// the step's resources other than deletedObjects; empty means every type.
func deletionTypes(resources []string, params map[string]string) []string {
	var out []string
	for _, t := range strings.Split(params["types"], ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	for _, r := range resources {
		if r != DeletedObjectsResource && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// companions are types that must travel in the same payload as another type although a plan may put them in
// separate steps: DHIS2 generates a category combo's option combos when the combo is imported and keeps those
// imported with it (DHIS2 generates categoryOptionCombos from categoryCombos; docs/adr/0003 names category combo
// ↔ category option combo as a cycle). Imported alone, the source's option combos would arrive after the
// destination generated its own with other UIDs, and data values would not map.
var companions = map[string][]string{
	"categoryCombos": {"categoryOptionCombos"},
}

// withCompanions appends the companions of the step's resources that the step does not already read.
func withCompanions(resources []string) []string {
	out := append([]string(nil), resources...)
	for _, r := range resources {
		for _, c := range companions[r] {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}
