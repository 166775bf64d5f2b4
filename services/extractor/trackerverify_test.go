package extractor

import (
	"strings"
	"testing"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
)

// A tracked entity of a 2.40 export (programme attributes under the enrollment) and of a 2.41 export
// (attributes on the entity, dates with a zone) is the same record.
const (
	te240 = `{"trackedEntity":"te1","trackedEntityType":"tet","orgUnit":"ou1","createdAt":"2024-01-01T10:00:00.000",
		"attributes":[{"attribute":"a1","value":"Ama","displayName":"First name","valueType":"TEXT"}],
		"enrollments":[{"enrollment":"en1","program":"p1","orgUnit":"ou1","status":"ACTIVE","enrolledAt":"2024-02-03T00:00:00.000",
			"orgUnitName":"Clinic","attributes":[{"attribute":"a2","value":"12"}],
			"events":[{"event":"ev1","program":"p1","programStage":"s1","enrollment":"en1","orgUnit":"ou1","status":"COMPLETED",
				"occurredAt":"2024-02-05T00:00:00.000","completedAt":"2024-02-05T09:00:00.000",
				"dataValues":[{"dataElement":"d1","value":"3","storedBy":"x"},{"dataElement":"d2","value":"true"}]}]}],
		"relationships":[]}`
	te241 = `{"trackedEntity":"te1","trackedEntityType":"tet","orgUnit":"ou1","createdAt":"2025-06-01T10:00:00.000Z",
		"attributes":[{"attribute":"a2","value":"12"},{"attribute":"a1","value":"Ama"}],
		"enrollments":[{"enrollment":"en1","trackedEntity":"te1","program":"p1","orgUnit":"ou1","status":"ACTIVE",
			"enrolledAt":"2024-02-03T00:00:00.000Z","attributes":[],
			"events":[{"event":"ev1","program":"p1","programStage":"s1","enrollment":"en1","orgUnit":"ou1","status":"COMPLETED",
				"occurredAt":"2024-02-05T00:00:00.000Z","completedAt":"2025-06-01T10:00:01.000Z",
				"dataValues":[{"dataElement":"d2","value":"true"},{"dataElement":"d1","value":"3"}]}]}]}`
)

func sideOf(t *testing.T, raws ...string) *trackerSide {
	t.Helper()
	s := newTrackerSide()
	for _, raw := range raws {
		obj, err := decodeObject([]byte(raw))
		if err != nil {
			t.Fatal(err)
		}
		s.addTrackedEntity(obj)
	}
	return s
}

func TestCompareTrackerAcrossVersions(t *testing.T) {
	resp := &extractorv1.VerifyStepResponse{Passed: true}
	compareTracker(resp, sideOf(t, te240), sideOf(t, te241), "d1", 10)
	if !resp.GetPassed() || resp.GetDifferenceCount() != 0 {
		t.Fatalf("same records differ: %v", resp.GetDifferences())
	}
	want := map[string]bool{"trackedEntities:tet": true, "enrollments:p1:202402": true, "events:p1:s1:202402": true, "relationships": true}
	for _, c := range resp.GetResources() {
		if !want[c.GetResource()] {
			t.Errorf("unexpected check %s", c.GetResource())
		}
		delete(want, c.GetResource())
	}
	if len(want) > 0 {
		t.Errorf("missing checks %v", want)
	}
}

// Corruptions of the destination are named record by record and property by property.
func TestCompareTrackerNamesEachDifference(t *testing.T) {
	changed := strings.NewReplacer(`{"attribute":"a1","value":"Ama"}`, `{"attribute":"a1","value":"Amma"}`,
		`{"dataElement":"d1","value":"3"}`, `{"dataElement":"d1","value":"4"}`).Replace(te241)
	extra := strings.ReplaceAll(te241, "1", "9") // another entity, enrollment and event
	resp := &extractorv1.VerifyStepResponse{Passed: true}
	compareTracker(resp, sideOf(t, te240), sideOf(t, changed, extra), "d1", 10)
	got := map[string]string{}
	for _, d := range resp.GetDifferences() {
		got[d.GetResource()+"/"+d.GetUid()+"/"+d.GetKind()] = d.GetDetail()
	}
	for key, detail := range map[string]string{
		"trackedEntities/te1/" + Changed:            "properties: attribute a1",
		"events/ev1/" + Changed:                     "properties: data value d1",
		"trackedEntities/te9/" + ExtraOnDestination: "tet",
		"enrollments/en9/" + ExtraOnDestination:     "p9:202402",
		"events/ev9/" + ExtraOnDestination:          "p9:s9:202402",
	} {
		if got[key] != detail {
			t.Errorf("%s: %q, want %q", key, got[key], detail)
		}
	}
	if resp.GetPassed() || resp.GetDifferenceCount() != 5 {
		t.Errorf("passed %v with %d differences: %v", resp.GetPassed(), resp.GetDifferenceCount(), got)
	}
	missing := &extractorv1.VerifyStepResponse{Passed: true}
	compareTracker(missing, sideOf(t, te240), sideOf(t), "d1", 10)
	if missing.GetPassed() || missing.GetDifferenceCount() != 3 {
		t.Errorf("an empty destination: passed %v, %d differences", missing.GetPassed(), missing.GetDifferenceCount())
	}
}

func TestRelationshipEnds(t *testing.T) {
	a, _ := decodeObject([]byte(`{"relationship":"r1","relationshipType":"rt","from":{"trackedEntity":{"trackedEntity":"te1","orgUnit":"x"}},"to":{"trackedEntity":"te2"}}`))
	b, _ := decodeObject([]byte(`{"relationship":"r1","relationshipType":"rt","createdAt":"2025-01-01","from":{"trackedEntity":{"trackedEntity":"te1"}},"to":{"trackedEntity":{"trackedEntity":"te2"}}}`))
	c, _ := decodeObject([]byte(`{"relationship":"r1","relationshipType":"rt","from":{"trackedEntity":{"trackedEntity":"te2"}},"to":{"trackedEntity":{"trackedEntity":"te1"}}}`))
	s, d, e := newTrackerSide(), newTrackerSide(), newTrackerSide()
	s.addRelationship(a)
	d.addRelationship(b)
	e.addRelationship(c)
	if s.relationships["r1"].d.hash != d.relationships["r1"].d.hash {
		t.Error("the same relationship, embedded or referenced, differs")
	}
	if s.relationships["r1"].d.hash == e.relationships["r1"].d.hash {
		t.Error("a reversed relationship compares equal")
	}
}
