package orchestrator

import (
	"strings"
	"testing"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// Version adaptations reach the job log as information, one line per rule with its count and examples.
func TestResultLogLinesListAdaptations(t *testing.T) {
	lines := resultLogLines(&batchv1.Result{StepId: "s1", DestinationInstanceId: "d1", Adaptations: []*batchv1.Adaptation{
		{Rule: "event charts and reports become event visualizations", Count: 9, Examples: []string{"a", "b", "c"}},
	}})
	if len(lines) != 1 {
		t.Fatalf("%d lines, want 1", len(lines))
	}
	l := lines[0]
	if l.GetLevel() != orchestratorv1.LogLevel_LOG_LEVEL_INFO || l.GetStepId() != "s1" ||
		!strings.Contains(l.GetMessage(), "event charts and reports become event visualizations (9 objects, e.g. a, b, c)") {
		t.Errorf("line %v", l)
	}
	if warningsOf(&batchv1.Result{Adaptations: []*batchv1.Adaptation{{Rule: "x", Count: 1}}}) != 0 {
		t.Error("an adaptation counts as a warning")
	}
}

// Progress moves by the source items a result covered, not by the objects DHIS2 reports for them.
func TestProcessedCountsSourceItems(t *testing.T) {
	tracked := &batchv1.Result{Items: 20, Created: 20 + 35 + 140} // 20 tracked entities with enrollments and events
	if got := processedOf(tracked); got != 20 {
		t.Errorf("processed %d, want the 20 tracked entities", got)
	}
	if got := processedOf(&batchv1.Result{Errors: 3}); got != 3 {
		t.Errorf("a result without item counts: processed %d, want what DHIS2 reported", got)
	}
}
