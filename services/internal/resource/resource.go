// Package resource names the resources that steps and batches carry between the orchestrator, the extractor
// and the loader, so that every service spells them the same way. Metadata resources are DHIS2's own plurals
// (services/internal/metadataplan lists them); these are the others, and the metadata types a step treats
// specially.
package resource

import (
	"fmt"
	"slices"
	"strings"

	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
)

const (
	// DataValues is aggregate data: a step names it alone (every data set of the source) or per data set
	// (DataValuesOf), which gives each data set its own watermark.
	DataValues = "dataValues"
	// DataValueSets is DHIS2's own name for aggregate data, accepted as DataValues.
	DataValueSets = "dataValueSets"
	// DeletedObjects is the resource of a metadata deletions step's batches (/api/deletedObjects) and of its
	// watermark.
	DeletedObjects = "deletedObjects"
	// Events is events of event programmes; tracker steps list it too (the events of enrollments).
	Events = "events"
	// TrackedEntities, Enrollments and Relationships are tracker data: tracked entities travel with their
	// enrollments and events; relationships follow in batches of their own.
	TrackedEntities = "trackedEntities"
	Enrollments     = "enrollments"
	Relationships   = "relationships"
	// CategoryCombos travel with their CategoryOptionCombos: DHIS2 generates a combo's option combos when the
	// combo is imported, so the source's must arrive in the same request.
	CategoryCombos       = "categoryCombos"
	CategoryOptionCombos = "categoryOptionCombos"
)

// Tracker is the resources of a tracker step, in the order they travel.
var Tracker = []string{TrackedEntities, Enrollments, Events, Relationships}

// DataValuesOf is the resource of one data set's aggregate data ("dataValues:<dataSetUid>").
func DataValuesOf(dataSet string) string { return DataValues + ":" + dataSet }

// DataSetOf returns the data set of a per-data-set resource ("dataValues:<uid>" → uid).
func DataSetOf(r string) (string, bool) {
	ds, ok := strings.CutPrefix(r, DataValues+":")
	return ds, ok && ds != ""
}

// IsDataValues reports whether r is aggregate data ("dataValues", "dataValues:<uid>" or "dataValueSets").
func IsDataValues(r string) bool {
	return r == DataValues || r == DataValueSets || strings.HasPrefix(r, DataValues+":")
}

// IsData reports whether r is data rather than metadata: aggregate data, events, tracker data or deletions.
func IsData(r string) bool {
	switch r {
	case Events, TrackedEntities, Enrollments, Relationships, DeletedObjects:
		return true
	}
	return IsDataValues(r)
}

// CheckKind refuses resources that do not belong to a step of the given kind, so that a worker never reads or
// writes something else than what was planned: metadata steps name metadata types (at least one); metadata
// deletions name metadata types or DeletedObjects; data values steps DataValues resources; events steps
// Events; tracker steps the Tracker resources; verify steps metadata types and DataValues resources.
// Kinds it does not know pass: the workers' dispatch refuses them.
func CheckKind(kind stepv1.StepKind, resources []string) error {
	var fits func(string) bool
	switch kind {
	case stepv1.StepKind_STEP_KIND_METADATA:
		if len(resources) == 0 {
			return fmt.Errorf("resources is empty: name the metadata types the step copies")
		}
		fits = func(r string) bool { return !IsData(r) }
	case stepv1.StepKind_STEP_KIND_METADATA_DELETIONS:
		fits = func(r string) bool { return r == DeletedObjects || !IsData(r) }
	case stepv1.StepKind_STEP_KIND_DATA_VALUES:
		fits = IsDataValues
	case stepv1.StepKind_STEP_KIND_EVENTS:
		fits = func(r string) bool { return r == Events }
	case stepv1.StepKind_STEP_KIND_TRACKER:
		fits = func(r string) bool { return slices.Contains(Tracker, r) }
	case stepv1.StepKind_STEP_KIND_VERIFY:
		fits = func(r string) bool {
			return IsDataValues(r) || !IsData(r) || r == Events || slices.Contains(Tracker, r)
		}
	default:
		return nil
	}
	for _, r := range resources {
		if !fits(r) {
			return fmt.Errorf("resource %q does not belong to a %s step", r, kind)
		}
	}
	return nil
}
