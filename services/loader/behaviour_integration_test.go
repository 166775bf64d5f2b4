package loader_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/loader"
)

func TestPartialSuccessReportsCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0", scale: &demodata.Small})
	// The destination already has a data element with the code of a source one, under another UID: DHIS2
	// refuses the source's with E5003 and imports the others (atomicMode NONE).
	victim := h.src.Objects("dataElements")[3]
	code, _ := victim["code"].(string)
	if err := h.dst.PutObject("dataElements", map[string]any{"id": "zzzzzzzzz01", "name": "Local element",
		"shortName": "Local element", "code": code, "valueType": "NUMBER", "aggregationType": "SUM", "domainType": "AGGREGATE"}); err != nil {
		t.Fatal(err)
	}
	steps := stepsThrough(t, "dataElements", 50)
	byStep, _ := h.sync("partial", steps)
	last := byStep[steps[len(steps)-1].name]
	conflicts := conflictsOf(last)
	if len(conflicts) != 1 || conflicts[0].GetCode() != "E5003" || conflicts[0].GetUid() != victim["id"] {
		t.Fatalf("conflicts %v, want one E5003 on %s", conflicts, victim["id"])
	}
	var created, errs int64
	for _, r := range last {
		created += r.GetCreated()
		errs += r.GetErrors()
	}
	if want := int64(len(h.src.Objects("dataElements")) - 1); created != want || errs != 1 {
		t.Errorf("created %d errors %d, want %d and 1", created, errs, want)
	}
	if got := len(h.dst.Objects("dataElements")); got != len(h.src.Objects("dataElements")) {
		t.Errorf("destination has %d data elements, want %d (all but one, plus its own)", got, len(h.src.Objects("dataElements")))
	}
}

func TestCycleLandsInOneRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0", scale: &demodata.Small})
	// One object per page: the program group arrives in many batches and still goes out as one request.
	steps := stepsThrough(t, "programs", 1)
	for i := range steps {
		if steps[i].resources[0] != "programStageSections" {
			steps[i].pageSize = 200
		}
	}
	byStep, _ := h.sync("cycle", steps)
	results := byStep[steps[len(steps)-1].name]
	if len(results) != 1 {
		t.Fatalf("the program group produced %d import requests, want 1", len(results))
	}
	r := results[0]
	if len(r.GetSequences()) < 4 || r.GetErrors() != 0 || r.GetError() != "" {
		t.Fatalf("result covers %d batches, %d errors, %q", len(r.GetSequences()), r.GetErrors(), r.GetError())
	}
	if got, want := len(h.dst.Objects("programs")), len(h.src.Objects("programs")); got != want || got == 0 {
		t.Errorf("destination has %d programs, want %d", got, want)
	}
	if got, want := len(h.dst.Objects("programStages")), len(h.src.Objects("programStages")); got != want {
		t.Errorf("destination has %d program stages, want %d", got, want)
	}
}

func TestLoaderRestartResumesWithoutDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0", scale: &demodata.Small})
	// The second import request hangs long enough for the loader to be stopped in the middle of the step.
	h.dst.SetFaults([]dhis2sim.Fault{{Action: "delay", Delay: 3 * time.Second, Method: "POST", Pattern: "*/api/metadata", After: 1, Times: 1}})
	job, step := "restart", stepSpec{name: "ou", resources: []string{"organisationUnits"},
		params: map[string]string{"order": "level:asc"}, pageSize: 10, batchSize: 10}
	res := h.watchResults(job)
	h.start(job, step)
	waitFor(t, func() bool { return len(res.snapshot()) >= 1 })
	h.stopLoader()
	h.startLoader(loader.Options{RetryBase: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond})
	h.start(job, step) // the orchestrator asks again; the extractor's republished batches are duplicates
	all := res.waitLast(t, "ou")
	seen := map[int64]bool{}
	var created int64
	for _, r := range all {
		if r.GetError() != "" {
			t.Fatalf("result error: %s", r.GetError())
		}
		if seen[r.GetAckedThrough()] {
			t.Errorf("two results acknowledge through %d", r.GetAckedThrough())
		}
		seen[r.GetAckedThrough()] = true
		created += r.GetCreated()
	}
	want := len(h.src.Objects("organisationUnits"))
	if got := len(h.dst.Objects("organisationUnits")); got != want {
		t.Errorf("destination has %d org units, want %d", got, want)
	}
	if created > int64(want) {
		t.Errorf("results count %d created org units, more than the %d there are", created, want)
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0", scale: &demodata.Small})
	// More 503s than the DHIS2 client's own retries absorb: the loader's backoff (and JetStream redelivery)
	// carries the step through.
	h.dst.SetFaults([]dhis2sim.Fault{{Action: "status", Status: 503, Method: "POST", Pattern: "*/api/metadata", Times: 7}})
	byStep, _ := h.sync("flaky", []stepSpec{{name: "ou", resources: []string{"organisationUnits"},
		params: map[string]string{"order": "level:asc"}, pageSize: 50, final: true}})
	for _, r := range byStep["ou"] {
		if r.GetError() != "" || r.GetErrors() != 0 {
			t.Fatalf("result: %q, %d errors", r.GetError(), r.GetErrors())
		}
	}
	if got, want := len(h.dst.Objects("organisationUnits")), len(h.src.Objects("organisationUnits")); got != want {
		t.Errorf("destination has %d org units, want %d", got, want)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0", scale: &demodata.Small})
	byStep, _ := h.sync("dry", []stepSpec{{name: "ou", resources: []string{"organisationUnits"},
		params: map[string]string{"order": "level:asc"}, pageSize: 1000, final: true, dryRun: true}})
	var created int64
	for _, r := range byStep["ou"] {
		created += r.GetCreated()
	}
	if n := len(h.src.Objects("organisationUnits")); created != int64(n) {
		t.Errorf("dry run reports %d would be created, want %d", created, n)
	}
	if got := len(h.dst.Objects("organisationUnits")); got != 0 {
		t.Errorf("dry run wrote %d org units", got)
	}
}

func TestTrackerStepOfEmptySourceFinishes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0"})
	byStep, _ := h.sync("data", []stepSpec{{name: "dv", kind: stepv1.StepKind_STEP_KIND_TRACKER, resources: []string{"trackedEntities", "enrollments"}, final: true}})
	last := byStep["dv"][len(byStep["dv"])-1]
	if !last.GetLast() || last.GetError() != "" || last.GetCreated() != 0 {
		t.Fatalf("last result %v", last)
	}
}

func TestDeletionsPropagateBehindTheGuard(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0", scale: &demodata.Small})
	steps := stepsThrough(t, "indicatorGroups", 200)
	byStep, _ := h.sync("first", steps)
	since := byStep[steps[0].name][0].GetServerDate()
	if since == "" {
		t.Fatal("results carry no serverDate")
	}
	// One indicator group is deleted at the source: it goes. Then all of them are: the guard holds the deletions
	// back with a warning, and the step still ends.
	group := h.src.Objects("indicatorGroups")[0]["id"].(string)
	if err := h.src.DeleteObject("indicatorGroups", group); err != nil {
		t.Fatal(err)
	}
	// The deletions step as the orchestrator sends it: its kind, the metadata types, the watermark.
	del := stepSpec{name: "del", kind: stepv1.StepKind_STEP_KIND_METADATA_DELETIONS,
		resources: []string{"indicatorTypes", "indicators", "indicatorGroups"}, final: true, params: map[string]string{"since": since}}
	got, _ := h.sync("deletions", []stepSpec{del})
	for _, r := range got["del"] {
		if r.GetError() != "" {
			t.Fatalf("deletions: %s", r.GetError())
		}
	}
	for _, o := range h.dst.Objects("indicatorGroups") {
		if o["id"] == group {
			t.Fatalf("indicator group %s is still on the destination", group)
		}
	}
	for _, g := range h.src.Objects("indicatorGroups") {
		if err := h.src.DeleteObject("indicatorGroups", g["id"].(string)); err != nil {
			t.Fatal(err)
		}
	}
	before := len(h.dst.Objects("indicatorGroups"))
	got, _ = h.sync("deletions2", []stepSpec{del})
	last := got["del"][len(got["del"])-1]
	held := slices.ContainsFunc(last.GetConflicts(), func(c *batchv1.Conflict) bool {
		return c.GetCode() == loader.DeletionGuardCode && c.GetObjectType() == "indicatorGroups" && strings.Contains(c.GetMessage(), "deletion.maxSharePercent")
	})
	if last.GetError() != "" || !held || last.GetStatus() != "WARNING" {
		t.Fatalf("mass deletion was not held back with a warning: %v", last)
	}
	if after := len(h.dst.Objects("indicatorGroups")); after != before {
		t.Errorf("the refused run deleted %d indicator groups", before-after)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // safety net only
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeleteStepNeverDeletesLiveObjects(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0", scale: &demodata.Small})
	steps := stepsThrough(t, "indicatorTypes", 200)
	h.sync("first", steps)
	before := len(h.dst.Objects("indicatorTypes"))
	// A deletions step whose extractor reads metadata: the loader receives whole objects and must refuse, not
	// delete.
	got, _ := h.sync("misrouted", []stepSpec{{name: "x", kind: stepv1.StepKind_STEP_KIND_METADATA_DELETIONS,
		extractKind: stepv1.StepKind_STEP_KIND_METADATA, resources: []string{"indicatorTypes"}, final: true}})
	last := got["x"][len(got["x"])-1]
	if !strings.Contains(last.GetError(), "nothing was deleted") {
		t.Fatalf("last result %v", last)
	}
	if after := len(h.dst.Objects("indicatorTypes")); after != before || before == 0 {
		t.Errorf("indicator types %d before, %d after", before, after)
	}
}
