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

// stepKind classifies a step: resources ["deletedObjects"] or params kind=deletions is the deletions step,
// any data resource makes a data step, anything else is metadata.
func stepKind(resources []string, params map[string]string) string {
	if params["kind"] == kindDeletions || slices.Contains(resources, DeletedObjectsResource) {
		return kindDeletions
	}
	for _, r := range resources {
		if slices.Contains(dataResources, r) {
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
