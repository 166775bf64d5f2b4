package loader

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Every step kind of the contract has a drainer, except verification (the extractor's) and the unset kind: a
// kind added to the proto without a drainer here fails this test.
func TestDrainerForEveryKind(t *testing.T) {
	for n, name := range stepv1.StepKind_name {
		k := stepv1.StepKind(n)
		drain, err := drainerFor(k)
		switch k {
		case stepv1.StepKind_STEP_KIND_UNSPECIFIED, stepv1.StepKind_STEP_KIND_VERIFY:
			if !errors.Is(err, ErrUnknownKind) {
				t.Errorf("%s: %v, want ErrUnknownKind", name, err)
			}
		default:
			if err != nil || drain == nil {
				t.Errorf("%s has no drainer: %v", name, err)
			}
		}
	}
}

// A step is written as the kind the orchestrator planned: an unset or unknown kind, or resources of another
// kind, are refused before any consumer starts.
func TestLoadStepRefusesUnknownKinds(t *testing.T) {
	l := New(context.Background(), nil, nil, slog.New(slog.DiscardHandler), Options{})
	for _, c := range []struct {
		name string
		kind stepv1.StepKind
		res  []string
		want string
	}{
		{"unset", stepv1.StepKind_STEP_KIND_UNSPECIFIED, []string{"dataElements"}, "kind is required"},
		{"newer than the loader", stepv1.StepKind(99), []string{"dataElements"}, "step kind 99"},
		{"verify writes nothing", stepv1.StepKind_STEP_KIND_VERIFY, []string{"dataElements"}, "writes nothing"},
		{"data values with metadata", stepv1.StepKind_STEP_KIND_DATA_VALUES, []string{"dataValues", "dataSets"}, `"dataSets"`},
		{"tracker with data values", stepv1.StepKind_STEP_KIND_TRACKER, []string{"trackedEntities", "dataValues"}, `"dataValues"`},
	} {
		_, err := l.LoadStep(context.Background(), &loaderv1.LoadStepRequest{JobId: "j", StepId: "s",
			DestinationInstanceId: "dst", Kind: c.kind, Resources: c.res})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), c.want) {
			t.Errorf("%s: %v, want InvalidArgument mentioning %q", c.name, err, c.want)
		}
	}
	if resp, _ := l.CancelJob(context.Background(), &loaderv1.CancelJobRequest{JobId: "j"}); resp.GetStopped() != 0 {
		t.Fatal("a refused step was started")
	}
}
