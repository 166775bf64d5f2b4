package resource

import (
	"testing"

	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
)

func TestDataValuesNames(t *testing.T) {
	if r := DataValuesOf("BfMAe6Itzgt"); r != "dataValues:BfMAe6Itzgt" {
		t.Fatalf("DataValuesOf = %q", r)
	}
	if ds, ok := DataSetOf("dataValues:BfMAe6Itzgt"); !ok || ds != "BfMAe6Itzgt" {
		t.Fatalf("DataSetOf = %q, %v", ds, ok)
	}
	for _, r := range []string{"dataValues", "dataValues:", "events"} {
		if _, ok := DataSetOf(r); ok {
			t.Fatalf("DataSetOf(%q) found a data set", r)
		}
	}
	for r, want := range map[string]bool{"dataValues": true, "dataValueSets": true, "dataValues:x": true,
		"dataElements": false, "events": false} {
		if IsDataValues(r) != want {
			t.Fatalf("IsDataValues(%q) = %v", r, !want)
		}
	}
	for r, want := range map[string]bool{"events": true, "trackedEntities": true, "deletedObjects": true,
		"dataValues:x": true, "organisationUnits": false, "categoryCombos": false} {
		if IsData(r) != want {
			t.Fatalf("IsData(%q) = %v", r, !want)
		}
	}
}

func TestCheckKind(t *testing.T) {
	for _, c := range []struct {
		kind stepv1.StepKind
		res  []string
		ok   bool
	}{
		{stepv1.StepKind_STEP_KIND_METADATA, []string{"categories", "categoryCombos"}, true},
		{stepv1.StepKind_STEP_KIND_METADATA, nil, false},
		{stepv1.StepKind_STEP_KIND_METADATA, []string{"dataElements", "dataValues"}, false},
		{stepv1.StepKind_STEP_KIND_METADATA_DELETIONS, []string{"dataElements", "deletedObjects"}, true},
		{stepv1.StepKind_STEP_KIND_METADATA_DELETIONS, nil, true},
		{stepv1.StepKind_STEP_KIND_METADATA_DELETIONS, []string{"events"}, false},
		{stepv1.StepKind_STEP_KIND_DATA_VALUES, []string{"dataValues:a", "dataValues:b"}, true},
		{stepv1.StepKind_STEP_KIND_DATA_VALUES, []string{"dataSets"}, false},
		{stepv1.StepKind_STEP_KIND_EVENTS, []string{"events"}, true},
		{stepv1.StepKind_STEP_KIND_EVENTS, []string{"events", "enrollments"}, false},
		{stepv1.StepKind_STEP_KIND_TRACKER, Tracker, true},
		{stepv1.StepKind_STEP_KIND_TRACKER, []string{"dataValues"}, false},
		{stepv1.StepKind_STEP_KIND_VERIFY, []string{"dataElements", "dataValues:a"}, true},
		{stepv1.StepKind_STEP_KIND_VERIFY, []string{"deletedObjects"}, false},
	} {
		if err := CheckKind(c.kind, c.res); (err == nil) != c.ok {
			t.Errorf("CheckKind(%s, %v) = %v, want ok=%v", c.kind, c.res, err, c.ok)
		}
	}
}
