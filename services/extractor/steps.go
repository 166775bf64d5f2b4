package extractor

import (
	"context"
	"slices"
	"strings"

	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// reader reads one kind of step and publishes its batches.
type reader func(e *extraction, ctx context.Context) error

// readerFor is the one dispatch on the step kind the orchestrator planned: every kind the extractor reads has
// its reader, and any other kind is refused (ErrUnknownKind), never guessed from resources or params.
func readerFor(kind stepv1.StepKind) (reader, error) {
	switch kind {
	case stepv1.StepKind_STEP_KIND_METADATA:
		return (*extraction).metadata, nil
	case stepv1.StepKind_STEP_KIND_METADATA_DELETIONS:
		return (*extraction).deletions, nil
	case stepv1.StepKind_STEP_KIND_DATA_VALUES:
		return (*extraction).dataValues, nil // datavalues.go
	case stepv1.StepKind_STEP_KIND_EVENTS:
		return (*extraction).events, nil // events.go
	case stepv1.StepKind_STEP_KIND_TRACKER:
		return (*extraction).tracker, nil // tracker.go
	case stepv1.StepKind_STEP_KIND_VERIFY:
		return nil, classed(ErrUnknownKind, nil, "step kind %s is compared by VerifyStep, not extracted", kind)
	case stepv1.StepKind_STEP_KIND_UNSPECIFIED:
		return nil, classed(ErrUnknownKind, nil, "kind is required: the orchestrator sets the step kind when it plans the job")
	}
	return nil, classed(ErrUnknownKind, nil, "step kind %d is not one this extractor reads: upgrade the extractor to the orchestrator's version", kind)
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
		if r != resource.DeletedObjects && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// companions are types that must travel in the same payload as another type although a plan may put them in
// separate steps: DHIS2 generates a category combo's option combos when the combo is imported and keeps those
// imported with it. Imported alone, the source's option combos would arrive after the destination generated
// its own with other UIDs, and data values would not map.
var companions = map[string][]string{
	resource.CategoryCombos: {resource.CategoryOptionCombos},
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
