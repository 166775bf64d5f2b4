package loader_test

import (
	"testing"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/extractor"
)

func TestMetadataSyncCopiesEverythingAndVerifies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0", scale: &demodata.Small})
	steps := planSteps(t, 40)
	byStep, _ := h.sync("job1", steps)
	created, _, errs, failures := totals(byStep)
	if len(failures) > 0 {
		t.Fatalf("steps failed: %v", failures)
	}
	for step, list := range byStep {
		for _, r := range list {
			for _, c := range r.GetConflicts() {
				t.Errorf("%s: conflict %s %s %s: %s", step, c.GetCode(), c.GetObjectType(), c.GetUid(), c.GetMessage())
			}
		}
	}
	if errs != 0 || created == 0 {
		t.Fatalf("created %d, errors %d", created, errs)
	}
	v := h.verify(nil, "")
	for _, d := range v.GetDifferences() {
		if d.GetKind() == extractor.Skipped { // superusers are never copied, by policy
			continue
		}
		t.Errorf("difference %s %s %s: %s", d.GetResource(), d.GetUid(), d.GetKind(), d.GetDetail())
	}
	if !v.GetPassed() {
		t.Fatalf("verification failed with %d differences", v.GetDifferenceCount())
	}

	// A second run finds everything in place: nothing is created.
	again, _ := h.sync("job2", steps)
	created2, _, errs2, failures2 := totals(again)
	for step, list := range again {
		for _, r := range list {
			for _, c := range r.GetConflicts() {
				t.Errorf("second run %s: conflict %s %s %s: %s", step, c.GetCode(), c.GetObjectType(), c.GetUid(), c.GetMessage())
			}
		}
	}
	if created2 != 0 || errs2 != 0 || len(failures2) > 0 {
		t.Errorf("second run: created %d, errors %d, failures %v", created2, errs2, failures2)
	}
}
