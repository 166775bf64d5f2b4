package extractor_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/extractor"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// TestVerifyAcrossFarVersionsComparesMeaning copies the WHO malaria package from a 2.42 source (sharing object
// only, flat users) to a 2.37 destination (legacy sharing fields answered as well, users with userCredentials):
// verification compares both in one version-independent form and passes; after a real change on the
// destination, the unequal collection names the object and the property.
func TestVerifyAcrossFarVersionsComparesMeaning(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(samplesDir, "metadata_export_who_mal_hist_2.36.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	h := newSyncHarness(t, "2.42.0", "2.37.0")
	if err := h.src.ImportPackage(shapeFor(t, body, "2.42.0")); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.sync("job", "") {
		if r.GetError() != "" || len(r.GetConflicts()) > 0 {
			t.Errorf("step %s: %s %v", r.GetStepId(), r.GetError(), r.GetConflicts())
		}
	}
	v := h.verify("")
	for _, d := range v.GetDifferences() {
		if d.GetKind() != extractor.Skipped {
			t.Errorf("difference %s %s %s: %s", d.GetKind(), d.GetResource(), d.GetUid(), d.GetDetail())
		}
	}
	for _, c := range v.GetResources() {
		if !c.GetEqual() {
			t.Errorf("%s unequal by hash", c.GetResource())
		}
	}
	if !v.GetPassed() {
		t.Fatalf("verification failed with %d differences", v.GetDifferenceCount())
	}

	if err := h.dst.ImportPackage([]byte(`{"dataElementGroups":[{"id":"x9ko6Zdd2Dm","name":"Renamed on the destination","shortName":"Renamed"}]}`)); err != nil {
		t.Fatal(err)
	}
	v = h.verify("")
	listed := false
	for _, d := range v.GetDifferences() {
		listed = listed || d.GetKind() == extractor.Changed && d.GetUid() == "x9ko6Zdd2Dm" && strings.Contains(d.GetDetail(), "name")
	}
	if v.GetPassed() || !listed {
		t.Fatalf("a renamed group on the destination: passed %v, differences %v", v.GetPassed(), v.GetDifferences())
	}
}

// shapeFor shapes a 2.36 package as an administrator of version to would import it.
func shapeFor(t *testing.T, body []byte, to string) []byte {
	t.Helper()
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatal(err)
	}
	from, _ := dhis2.ParseVersion("2.36.1")
	target, err := dhis2.ParseVersion(to)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]any{}
	for plural, list := range in {
		objs, _ := list.([]any)
		for _, it := range objs {
			obj, _ := it.(map[string]any)
			if p, o, keep := dhis2.TransformMetadata(plural, obj, from, target); keep {
				out[p] = append(out[p], o)
			}
		}
	}
	b, _ := json.Marshal(out)
	return b
}
