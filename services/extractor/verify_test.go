package extractor_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/extractor"
)

// newDataVerifyHarness loads the same small demo, data values included, into both simulators, and returns the
// generator's values in its stream order.
func newDataVerifyHarness(t *testing.T) (*syncHarness, []demodata.DataValue) {
	t.Helper()
	h := newSyncHarness(t, "2.40.1", "2.41.0")
	scale := demodata.Scale{Name: "custom", OrgUnits: 20, DataElements: 30, DataValues: 600}
	for _, s := range []*dhis2sim.Server{h.src, h.dst} {
		if err := s.LoadDemo(demodata.New(7, scale)); err != nil {
			t.Fatal(err)
		}
	}
	var values []demodata.DataValue
	for dv := range demodata.New(7, scale).DataValues() {
		values = append(values, dv)
	}
	if len(values) < 3 {
		t.Fatalf("the demo holds %d data values, want at least 3", len(values))
	}
	return h, values
}

// postValues imports data values into a simulator the way a DHIS2 client does.
func postValues(t *testing.T, s *dhis2sim.Server, strategy string, values ...demodata.DataValue) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"dataValues": values})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/dataValueSets?importStrategy="+strategy, bytes.NewReader(body))
	req.SetBasicAuth("admin", "district")
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("import %s: HTTP %d %s", strategy, rec.Code, rec.Body.String())
	}
}

func verifyOver(t *testing.T, h *syncHarness, config string, resources ...string) (*extractorv1.VerifyStepResponse, error) {
	t.Helper()
	return h.x.VerifyStep(h.ctx, &extractorv1.VerifyStepRequest{JobId: "verify", SourceInstanceId: "src",
		DestinationInstanceIds: []string{"dst"}, Resources: resources, Kind: stepv1.StepKind_STEP_KIND_VERIFY, Config: testConfig(t, config), MaxDifferences: 50})
}

// A data step's verification compares data values per data set and period and names every differing value.
func TestVerifyStepComparesDataValues(t *testing.T) {
	h, values := newDataVerifyHarness(t)

	same, err := verifyOver(t, h, "", "dataValues")
	if err != nil {
		t.Fatal(err)
	}
	var compared int64
	for _, c := range same.GetResources() {
		if !strings.HasPrefix(c.GetResource(), "dataValues:") || !c.GetEqual() {
			t.Errorf("check %s: equal %v", c.GetResource(), c.GetEqual())
		}
		compared += c.GetSourceCount()
	}
	if !same.GetPassed() || same.GetDifferenceCount() != 0 || compared != int64(len(values)) {
		t.Fatalf("identical copies: passed %v, %d differences, %d values compared, want %d",
			same.GetPassed(), same.GetDifferenceCount(), compared, len(values))
	}

	changed, missing, extra := values[0], values[1], values[2]
	changed.Value += "1"
	postValues(t, h.dst, "CREATE_AND_UPDATE", changed)
	postValues(t, h.dst, "DELETE", missing)
	extra.Period = "202201" // the demo's periods are the months before its 2025 base date
	postValues(t, h.dst, "CREATE_AND_UPDATE", extra)

	diff, err := verifyOver(t, h, "", "dataValues")
	if err != nil {
		t.Fatal(err)
	}
	if diff.GetPassed() || diff.GetDifferenceCount() != 3 {
		t.Fatalf("three differing values: passed %v, %d differences", diff.GetPassed(), diff.GetDifferenceCount())
	}
	key := func(dv demodata.DataValue) string {
		return strings.Join([]string{dv.DataElement, dv.Period, dv.OrgUnit, dv.CategoryOptionCombo, dv.AttributeOptionCombo}, "|")
	}
	want := map[string]string{key(changed): extractor.Changed, key(missing): extractor.MissingOnDestination, key(extra): extractor.ExtraOnDestination}
	for _, d := range diff.GetDifferences() {
		if want[d.GetUid()] != d.GetKind() {
			t.Errorf("difference %s %s: want %q", d.GetKind(), d.GetUid(), want[d.GetUid()])
		}
		delete(want, d.GetUid())
	}
	if len(want) > 0 {
		t.Errorf("differences not reported: %v", want)
	}
	unequal := 0
	for _, c := range diff.GetResources() {
		if !c.GetEqual() {
			unequal++
		}
	}
	if unequal == 0 || unequal > 3 {
		t.Errorf("%d unequal data set periods, want 1 to 3", unequal)
	}
}

// Metadata and data values asked together are both compared, in one response.
func TestVerifyStepMergesMetadataAndDataChecks(t *testing.T) {
	h, _ := newDataVerifyHarness(t)
	resp, err := verifyOver(t, h, "", "dataElements", "dataValues")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range resp.GetResources() {
		kind, _, _ := strings.Cut(c.GetResource(), ":")
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	if !slices.Equal(kinds, []string{"dataElements", "dataValues"}) {
		t.Errorf("checks of %v, want dataElements then dataValues", kinds)
	}
}

// A data step whose window holds no value on either side reports that comparison, never an empty pass.
func TestVerifyStepNeverPassesWithoutChecks(t *testing.T) {
	h, _ := newDataVerifyHarness(t)
	empty, err := verifyOver(t, h, `{"filters":{"periods":["199001"]}}`, "dataValues")
	if err != nil {
		t.Fatal(err)
	}
	if len(empty.GetResources()) == 0 {
		t.Fatal("an empty window passed with no check")
	}
	for _, c := range empty.GetResources() {
		if c.GetSourceCount() != 0 || c.GetDestinationCount() != 0 || !c.GetEqual() || c.GetDestinationInstanceId() != "dst" {
			t.Errorf("check %+v, want 0 and 0 on dst", c)
		}
	}
	// Events and tracker data with nothing on either side still report the kinds they compared.
	for _, resources := range [][]string{{"events"}, {"trackedEntities", "enrollments", "events", "relationships"}} {
		v, err := verifyOver(t, h, "", resources...)
		if err != nil {
			t.Fatalf("%v: %v", resources, err)
		}
		if !v.GetPassed() || len(v.GetResources()) == 0 {
			t.Errorf("%v: passed %v with %d checks", resources, v.GetPassed(), len(v.GetResources()))
		}
	}
}
