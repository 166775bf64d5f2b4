package loader

import (
	"context"

	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
)

// drainer imports what a step's held batches allow.
type drainer func(r *stepRun, ctx context.Context) error

// drainerFor is the one dispatch on the step kind the orchestrator planned: every kind the loader writes has
// its drainer, and any other kind is refused (ErrUnknownKind), never guessed from resources or parameters.
func drainerFor(kind stepv1.StepKind) (drainer, error) {
	switch kind {
	case stepv1.StepKind_STEP_KIND_METADATA, stepv1.StepKind_STEP_KIND_METADATA_DELETIONS:
		return (*stepRun).drainMetadata, nil // importer.go decides between import and deletion plan
	case stepv1.StepKind_STEP_KIND_DATA_VALUES:
		return (*stepRun).drainData, nil // datavalues.go
	case stepv1.StepKind_STEP_KIND_EVENTS:
		return (*stepRun).drainEvents, nil // events.go
	case stepv1.StepKind_STEP_KIND_TRACKER:
		return (*stepRun).drainTracker, nil // tracker.go
	case stepv1.StepKind_STEP_KIND_VERIFY:
		return nil, classed(ErrUnknownKind, nil, "step kind %s writes nothing: the extractor's VerifyStep compares it", kind)
	case stepv1.StepKind_STEP_KIND_UNSPECIFIED:
		return nil, classed(ErrUnknownKind, nil, "kind is required: the orchestrator sets the step kind when it plans the job")
	}
	return nil, classed(ErrUnknownKind, nil, "step kind %d is not one this loader writes: upgrade the loader to the orchestrator's version", kind)
}

// deletions reports whether the step deletes what the source deleted (its batches must be deleted-object
// entries: a deletions step that receives whole objects fails as poison instead of deleting what the source
// still has).
func (r *stepRun) deletions() bool {
	return r.req.GetKind() == stepv1.StepKind_STEP_KIND_METADATA_DELETIONS
}
