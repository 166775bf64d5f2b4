package extractor_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/extractor"
)

// samplesDir holds real DHIS2 metadata packages (the simulator's golden samples).
const samplesDir = "../dhis2sim/testdata"

// TestSampleSyncVerifiesAcrossVersions copies each real metadata package from a 2.39 source (legacy sharing
// fields next to the sharing object) to a 2.41 destination (sharing object only), every family included, and
// requires a clean import and a passing verification (superusers, left alone on both sides, are only listed).
func TestSampleSyncVerifiesAcrossVersions(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(samplesDir, "metadata_*.json"))
	n := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !isPackage(body) {
			continue
		}
		n++
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			h := newSyncHarness(t, "2.39.1", "2.41.0")
			if err := h.src.ImportPackage(body); err != nil {
				t.Fatal(err)
			}
			for _, r := range h.sync("job", "") {
				for _, c := range r.GetConflicts() {
					t.Errorf("conflict %s %s %s: %s", c.GetCode(), c.GetObjectType(), c.GetUid(), c.GetMessage())
				}
				if r.GetError() != "" {
					t.Errorf("step %s: %s", r.GetStepId(), r.GetError())
				}
			}
			v := h.verify("")
			for _, d := range v.GetDifferences() {
				if d.GetKind() != extractor.Skipped {
					t.Errorf("difference %s %s %s: %s", d.GetKind(), d.GetResource(), d.GetUid(), d.GetDetail())
				}
			}
			if !v.GetPassed() {
				t.Fatalf("verification failed with %d differences", v.GetDifferenceCount())
			}
		})
	}
	if n < 4 {
		t.Fatalf("%d metadata packages in %s, want 4", n, samplesDir)
	}
}
