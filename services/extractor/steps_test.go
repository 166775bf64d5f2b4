package extractor_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/extractor"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

// testConfig reads a configuration written as protojson ("" is the default configuration).
func testConfig(tb testing.TB, s string) *configv1.Config {
	tb.Helper()
	cfg := &configv1.Config{}
	if s != "" {
		if err := protojson.Unmarshal([]byte(s), cfg); err != nil {
			tb.Fatalf("test configuration %s: %v", s, err)
		}
	}
	return cfg
}

// A step is read as the kind the orchestrator planned, never guessed: a kind the extractor does not know, an
// unset kind, or resources that are not the kind's, are refused before anything starts.
func TestExtractStepRefusesUnknownKinds(t *testing.T) {
	x := extractor.New(context.Background(), nil, nil, slog.New(slog.DiscardHandler))
	for _, c := range []struct {
		name string
		kind stepv1.StepKind
		res  []string
		want string
	}{
		{"unset", stepv1.StepKind_STEP_KIND_UNSPECIFIED, []string{"dataElements"}, "kind is required"},
		{"newer than the extractor", stepv1.StepKind(99), []string{"dataElements"}, "step kind 99"},
		{"verify is not extracted", stepv1.StepKind_STEP_KIND_VERIFY, []string{"dataElements"}, "VerifyStep"},
		// What the removed inference used to turn into a deletions step or a data step.
		{"metadata with data", stepv1.StepKind_STEP_KIND_METADATA, []string{"dataElements", "dataValues"}, `"dataValues"`},
		{"metadata without resources", stepv1.StepKind_STEP_KIND_METADATA, nil, "resources is empty"},
		{"events with tracked entities", stepv1.StepKind_STEP_KIND_EVENTS, []string{"events", "trackedEntities"}, `"trackedEntities"`},
		{"data values with metadata", stepv1.StepKind_STEP_KIND_DATA_VALUES, []string{"dataSets"}, `"dataSets"`},
	} {
		_, err := x.ExtractStep(context.Background(), &extractorv1.ExtractStepRequest{JobId: "j", StepId: "s",
			SourceInstanceId: "src", Kind: c.kind, Resources: c.res})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(status.Convert(err).Message(), c.want) {
			t.Errorf("%s: %v, want InvalidArgument mentioning %q", c.name, err, c.want)
		}
	}
	if resp, _ := x.CancelJob(context.Background(), &extractorv1.CancelJobRequest{JobId: "j"}); resp.GetStopped() != 0 {
		t.Fatal("a refused step was started")
	}
	for _, k := range []stepv1.StepKind{stepv1.StepKind_STEP_KIND_UNSPECIFIED, stepv1.StepKind_STEP_KIND_METADATA} {
		_, err := x.VerifyStep(context.Background(), &extractorv1.VerifyStepRequest{SourceInstanceId: "src",
			DestinationInstanceIds: []string{"dst"}, Kind: k})
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("VerifyStep of kind %s: %v, want InvalidArgument", k, err)
		}
	}
}
