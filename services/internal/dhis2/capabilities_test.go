package dhis2

import (
	"strings"
	"testing"
)

func TestCapabilitiesTable(t *testing.T) {
	type row struct {
		wrapped, legacyEvents, rolesTop bool
		sharing                         SharingFormat
		listKey, noPaging, ouParam, sep string
		apiVersion                      int
		charts, eventVis, ptaGroups     bool
	}
	want := map[string]row{
		"2.36.0": {false, true, false, SharingLegacyAndObject, "instances", "skipPaging", "orgUnit", ";", 36, true, false, true},
		"2.37.9": {false, true, false, SharingLegacyAndObject, "instances", "skipPaging", "orgUnit", ";", 37, false, false, true},
		"2.38.1": {true, true, true, SharingLegacyAndObject, "instances", "skipPaging", "orgUnit", ";", 38, false, true, true},
		"2.39.4": {true, true, true, SharingLegacyAndObject, "instances", "skipPaging", "orgUnit", ";", 39, false, true, true},
		"2.40.3": {true, true, true, SharingLegacyAndObject, "instances", "skipPaging", "orgUnit", ";", 41, false, true, false},
		"2.41.0": {true, true, true, SharingObjectOnly, "events", "paging", "orgUnits", ",", 41, false, true, false},
		"2.42.2": {true, false, true, SharingObjectOnly, "events", "paging", "orgUnits", ",", 41, false, true, false},
		"2.43.0": {true, false, true, SharingObjectOnly, "events", "paging", "orgUnits", ",", 41, false, true, false},
		"2.34.0": {false, true, false, SharingLegacyAndObject, "instances", "skipPaging", "orgUnit", ";", 36, true, false, true},
	}
	for v, w := range want {
		c := CapabilitiesFor(MustParseVersion(v))
		noPaging, _ := c.TrackerNoPagingParam()
		got := row{c.ReportWrapped(), c.LegacyEventsAvailable(), c.UserRolesTopLevel(), c.Sharing(), c.TrackerListKey(Events),
			noPaging, c.TrackerParam("orgUnits"), c.TrackerUIDSeparator(), c.DefaultAPIVersion(),
			c.ResourceExists("charts"), c.ResourceExists("eventVisualizations"), c.ResourceExists("programTrackedEntityAttributeGroups")}
		if got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", v, got, w)
		}
	}
}

func TestCapabilitiesPatchLevel(t *testing.T) {
	cases := map[string]bool{"2.38.0": true, "2.39.5": true, "2.39.6": false, "2.40.3": true, "2.40.4": false,
		"2.41.0": true, "2.41.1": false, "2.42.0": false}
	for v, want := range cases {
		if got := CapabilitiesFor(MustParseVersion(v)).Has(FeatureEventChartsExported); got != want {
			t.Errorf("%s exports eventCharts = %v, want %v", v, got, want)
		}
	}
}

func TestTrackerParamRenames(t *testing.T) {
	old, cur := CapabilitiesFor(MustParseVersion("2.40.0")), CapabilitiesFor(MustParseVersion("2.41.0"))
	for modern, legacy := range map[string]string{"orgUnitMode": "ouMode", "orgUnits": "orgUnit", "trackedEntities": "trackedEntity",
		"events": "event", "attributeCategoryOptions": "attributeCos", "program": "program"} {
		if got := old.TrackerParam(modern); got != legacy {
			t.Errorf("2.40 %s = %s, want %s", modern, got, legacy)
		}
		if got := cur.TrackerParam(legacy); got != modern {
			t.Errorf("2.41 %s = %s, want %s", legacy, got, modern)
		}
	}
}

// TestTrackerScopeAndRelationshipParamsPerVersion: a tracked-entity export without org units asks for every
// accessible one where DHIS2 refuses it otherwise (2.36–2.40: ouMode=ACCESSIBLE; 2.41+ default to it), and a
// relationships export names its entity with the version's parameter; an unfiltered one is refused before
// any request (DHIS2 answers 400).
func TestTrackerScopeAndRelationshipParamsPerVersion(t *testing.T) {
	for _, v := range allVersions {
		caps := CapabilitiesFor(MustParseVersion(v))
		renamed := caps.Has(FeatureTrackerRenamedParams)
		q := TrackerQuery{Program: "IpHINAT79UW"}.values(TrackedEntities, caps)
		mode := q.Get("ouMode") + q.Get("orgUnitMode")
		if want := map[bool]string{false: "ACCESSIBLE", true: ""}[renamed]; mode != want {
			t.Errorf("%s: org-unit mode %q without org units, want %q (query %v)", v, mode, want, q)
		}
		q = TrackerQuery{Program: "IpHINAT79UW", OrgUnits: []string{"ImspTQPwCqd"}}.values(TrackedEntities, caps)
		if q.Get("ouMode")+q.Get("orgUnitMode") != "" {
			t.Errorf("%s: a mode was added to a query with org units: %v", v, q)
		}
		q = TrackerQuery{RelationshipsOf: "te000000001"}.values(Relationships, caps)
		name := map[bool]string{false: "tei", true: "trackedEntity"}[renamed]
		if q.Get(name) != "te000000001" || len(q[map[bool]string{false: "trackedEntity", true: "tei"}[renamed]]) != 0 {
			t.Errorf("%s: relationships query %v, want %s", v, q, name)
		}
	}
	c, err := New(Options{BaseURL: "http://127.0.0.1:1", Auth: Auth{Username: "admin", Password: "district"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range c.ExportTracker(t.Context(), Relationships, TrackerQuery{}) {
		if err == nil || !strings.Contains(err.Error(), "unfiltered relationships export") {
			t.Errorf("unfiltered relationships export: %v", err)
		}
		break
	}
}
