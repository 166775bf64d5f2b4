package extractor

import (
	"errors"
	"reflect"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

func TestParseDataParams(t *testing.T) {
	tests := []struct {
		name      string
		resources []string
		params    map[string]string
		want      dataParams
	}{
		{"every data set", []string{"dataValues"}, map[string]string{"startDate": "2022-01-01", "endDate": "2027-12-31"},
			dataParams{start: "2022-01-01", end: "2027-12-31"}},
		{"data set from the resource and the filter, once", []string{"dataValues:dsA"},
			map[string]string{"dataSets": "dsA, dsB", "orgUnits": "ou1,ou2", "periods": "202401", "since": "2026-01-01T00:00:00.000"},
			dataParams{dataSets: []string{"dsA", "dsB"}, orgUnits: []string{"ou1", "ou2"}, periods: []string{"202401"}, since: "2026-01-01T00:00:00.000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseDataParams(tt.resources, tt.params); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDataQueryReadsDeletionsAndPrefersPeriods(t *testing.T) {
	p := dataParams{periods: []string{"202401"}, start: "2024-01-01", end: "2024-12-31", since: "2026-01-01"}
	q := p.query(dataChunk{dataSets: []string{"ds"}, orgUnit: "ou", children: true})
	if !q.IncludeDeleted || q.LastUpdated != "2026-01-01" || q.StartDate != "" || !q.Children || q.OrgUnits[0] != "ou" {
		t.Errorf("query %+v", q)
	}
	q = dataParams{start: "2024-01-01", end: "2024-12-31"}.query(dataChunk{dataSets: []string{"ds"}, orgUnit: "ou"})
	if q.StartDate != "2024-01-01" || q.EndDate != "2024-12-31" || q.Children || q.LastUpdated != "" {
		t.Errorf("query %+v", q)
	}
}

// A split covers the org unit itself and each child's subtree: the whole subtree, each value once.
func TestSplitChunkCoversTheSubtreeOnce(t *testing.T) {
	c := dataChunk{dataSets: []string{"ds"}, orgUnit: "root", children: true}
	got := splitChunk(c, []string{"a", "b"})
	want := []dataChunk{
		{dataSets: []string{"ds"}, orgUnit: "root"},
		{dataSets: []string{"ds"}, orgUnit: "a", children: true},
		{dataSets: []string{"ds"}, orgUnit: "b", children: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestSplittable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&dhis2.Error{Kind: dhis2.KindServer, HTTPStatus: 503}, true},
		{&dhis2.Error{Kind: dhis2.KindTimeout}, true},
		{&dhis2.Error{Kind: dhis2.KindUnauthorized, HTTPStatus: 401}, false},
		{&dhis2.Error{Kind: dhis2.KindConflict, HTTPStatus: 409}, false},
		{errors.New("other"), false},
	}
	for _, tt := range tests {
		if got := splittable(tt.err); got != tt.want {
			t.Errorf("splittable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestCompareValuesPerPeriod(t *testing.T) {
	v := func(s string) storedValue { return storedValue{value: s} }
	src := map[string]storedValue{"de|202401|ou|c|a": v("1"), "de|202402|ou|c|a": v("2"), "de|202403|ou|c|a": v("3")}
	dst := map[string]storedValue{"de|202401|ou|c|a": v("1"), "de|202402|ou|c|a": v("5"), "de|202404|ou|c|a": v("4")}
	var out = newVerifyResponse()
	compareValues(out, "ds", "d1", src, dst, 10)
	if out.GetPassed() || out.GetDifferenceCount() != 3 {
		t.Fatalf("passed %v, %d differences", out.GetPassed(), out.GetDifferenceCount())
	}
	equal := map[string]bool{}
	for _, c := range out.GetResources() {
		equal[c.GetResource()] = c.GetEqual()
	}
	want := map[string]bool{"dataValues:ds:202401": true, "dataValues:ds:202402": false, "dataValues:ds:202403": false, "dataValues:ds:202404": false}
	if !reflect.DeepEqual(equal, want) {
		t.Errorf("checks %v, want %v", equal, want)
	}
}

// A changed comment or a flipped follow-up is a difference, named field by field, like a changed value.
func TestCompareValuesSeesCommentsAndFollowUps(t *testing.T) {
	src := map[string]storedValue{
		"de|202401|ou|c|a": {value: "1", comment: "checked by district"},
		"de|202402|ou|c|a": {value: "2", followUp: true},
	}
	dst := map[string]storedValue{
		"de|202401|ou|c|a": {value: "1", comment: "checked"},
		"de|202402|ou|c|a": {value: "2"},
	}
	out := newVerifyResponse()
	compareValues(out, "ds", "d1", src, dst, 10)
	if out.GetPassed() || out.GetDifferenceCount() != 2 {
		t.Fatalf("passed %v, %d differences", out.GetPassed(), out.GetDifferenceCount())
	}
	details := map[string]string{}
	for _, d := range out.GetDifferences() {
		details[d.GetUid()] = d.GetDetail()
	}
	if got := details["de|202401|ou|c|a"]; got != `comment: "checked by district" on the source, "checked" on the destination` {
		t.Errorf("comment difference: %q", got)
	}
	if got := details["de|202402|ou|c|a"]; got != "follow-up: true on the source, false on the destination" {
		t.Errorf("follow-up difference: %q", got)
	}
	for _, c := range out.GetResources() {
		if c.GetEqual() {
			t.Errorf("%s: equal hashes although the values differ", c.GetResource())
		}
	}
}
