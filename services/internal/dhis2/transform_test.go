package dhis2

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

func loadCollections(t *testing.T, file string) map[string][]map[string]any {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(readSample(t, file), &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]any{}
	for k, v := range raw {
		var list []map[string]any
		if json.Unmarshal(v, &list) == nil {
			out[k] = list
		}
	}
	return out
}

// TestTransformMetadataEveryVersionPair runs real exports through every
// (from, to) pair of 2.36–2.42 and checks what each target requires.
func TestTransformMetadataEveryVersionPair(t *testing.T) {
	who := loadCollections(t, "metadata_export_who_mal_hist_2.36.1.json") // sharing in both forms
	graph := loadCollections(t, "metadata_dataset_with_sections.json")    // users with top-level roles
	extra := map[string][]map[string]any{
		"charts":                              {{"id": "chart000001", "type": "COLUMN"}},
		"reportTables":                        {{"id": "table000001"}},
		"programTrackedEntityAttributeGroups": {{"id": "ptaGroup001"}},
		"eventReports":                        {{"id": "evRep000001", "dataType": "EVENTS"}, {"id": "evRep000002", "dataType": "AGGREGATED_VALUES"}},
		"eventCharts":                         {{"id": "evChart0001", "type": "LINE"}},
		"eventVisualizations":                 {{"id": "evVis000001", "type": "LINE_LIST"}, {"id": "evVis000002", "type": "COLUMN"}},
		"users": {{"id": "user0000001", "firstName": "A", "userCredentials": map[string]any{
			"id": "cred0000001", "username": "a", "userRoles": []any{map[string]any{"id": "role0000001"}}, "disabled": false}}},
		"dataElements": {{"id": "legacy00001", "publicAccess": "rw------", "user": map[string]any{"id": "owner000001"},
			"userGroupAccesses": []any{map[string]any{"id": "group000001", "access": "r-r-----"}}}},
	}
	versions := []string{"2.36.1", "2.37.0", "2.38.0", "2.39.0", "2.40.0", "2.41.0", "2.42.0"}
	for _, fromS := range versions {
		for _, toS := range versions {
			from, to := MustParseVersion(fromS), MustParseVersion(toS)
			t.Run(fromS+"->"+toS, func(t *testing.T) {
				dst := CapabilitiesFor(to)
				for _, set := range []map[string][]map[string]any{who, graph, extra} {
					for plural, objs := range set {
						for _, obj := range objs {
							before, _ := json.Marshal(obj)
							newPlural, out, keep := TransformMetadata(plural, obj, from, to)
							after, _ := json.Marshal(obj)
							if string(before) != string(after) {
								t.Fatalf("%s: input modified", plural)
							}
							checkTransformed(t, plural, newPlural, obj, out, keep, dst)
						}
					}
				}
			})
		}
	}
}

func checkTransformed(t *testing.T, plural, newPlural string, in, out map[string]any, keep bool, dst Capabilities) {
	t.Helper()
	id := fmt.Sprint(in["id"])
	switch plural {
	case "charts", "reportTables":
		if keep != dst.ResourceExists("charts") {
			t.Errorf("%s %s keep=%v on %s", plural, id, keep, dst.Version)
		}
		return
	case "programTrackedEntityAttributeGroups":
		if keep != dst.ResourceExists(plural) {
			t.Errorf("%s keep=%v on %s", plural, keep, dst.Version)
		}
		return
	}
	if !keep {
		t.Fatalf("%s %s dropped on %s", plural, id, dst.Version)
	}
	switch plural {
	case "eventReports", "eventCharts", "eventVisualizations":
		wantPlural := "eventVisualizations"
		if !dst.Has(FeatureEventVisualizationsOnly) {
			wantPlural = "eventCharts"
			if in["type"] == "LINE_LIST" || plural == "eventReports" {
				wantPlural = "eventReports"
			}
		}
		if newPlural != wantPlural {
			t.Errorf("%s %s -> %s on %s, want %s", plural, id, newPlural, dst.Version, wantPlural)
		}
		if plural == "eventReports" && wantPlural == "eventVisualizations" {
			wantType := map[string]string{"EVENTS": "LINE_LIST", "AGGREGATED_VALUES": "PIVOT_TABLE"}[fmt.Sprint(in["dataType"])]
			if out["type"] != wantType {
				t.Errorf("%s type %v, want %s", id, out["type"], wantType)
			}
		}
	default:
		if newPlural != plural {
			t.Errorf("%s renamed to %s", plural, newPlural)
		}
	}
	if hasSharing(in) {
		sh, ok := out["sharing"].(map[string]any)
		if !ok {
			t.Fatalf("%s %s: no sharing object on %s", plural, id, dst.Version)
		}
		_, legacy := out["publicAccess"]
		if legacy != (dst.Sharing() == SharingLegacyAndObject) {
			t.Errorf("%s %s: legacy sharing present=%v on %s", plural, id, legacy, dst.Version)
		}
		if legacy && out["publicAccess"] != sh["public"] {
			t.Errorf("%s %s: publicAccess %v != sharing.public %v", plural, id, out["publicAccess"], sh["public"])
		}
		if legacy {
			groups, _ := sh["userGroups"].(map[string]any)
			if list, _ := out["userGroupAccesses"].([]any); len(list) != len(groups) {
				t.Errorf("%s %s: %d userGroupAccesses for %d sharing groups", plural, id, len(list), len(groups))
			}
		}
	}
	if plural == "users" {
		_, top := out["userRoles"]
		uc, nested := out["userCredentials"].(map[string]any)
		if dst.UserRolesTopLevel() {
			if !top || nested {
				t.Errorf("user %s on %s: top-level roles %v, userCredentials %v", id, dst.Version, top, nested)
			}
		} else {
			if top || !nested || uc["userRoles"] == nil || uc["username"] == nil {
				t.Errorf("user %s on %s: top-level roles %v, userCredentials %v", id, dst.Version, top, uc)
			}
		}
	}
}

func TestSharingConversionsKeepAccess(t *testing.T) {
	legacy := map[string]any{"id": "legacy00001", "publicAccess": "rw------", "externalAccess": true, "user": map[string]any{"id": "owner000001"},
		"userAccesses":      []any{map[string]any{"userUid": "user0000001", "access": "rw------"}},
		"userGroupAccesses": []any{map[string]any{"id": "group000002", "access": "r-------"}, map[string]any{"id": "group000001", "access": "rw------"}}}
	_, modern, _ := TransformMetadata("dataElements", legacy, MustParseVersion("2.36.0"), MustParseVersion("2.42.0"))
	want := map[string]any{"owner": "owner000001", "external": true, "public": "rw------",
		"users":      map[string]any{"user0000001": map[string]any{"id": "user0000001", "access": "rw------"}},
		"userGroups": map[string]any{"group000001": map[string]any{"id": "group000001", "access": "rw------"}, "group000002": map[string]any{"id": "group000002", "access": "r-------"}}}
	if !reflect.DeepEqual(modern["sharing"], want) {
		t.Fatalf("sharing = %v", modern["sharing"])
	}
	_, back, _ := TransformMetadata("dataElements", modern, MustParseVersion("2.42.0"), MustParseVersion("2.38.0"))
	wantGroups := []any{map[string]any{"id": "group000001", "access": "rw------"}, map[string]any{"id": "group000002", "access": "r-------"}}
	if !reflect.DeepEqual(back["userGroupAccesses"], wantGroups) || back["publicAccess"] != "rw------" || back["externalAccess"] != true {
		t.Fatalf("legacy fields = %v", back)
	}
}

func TestLegacyTrackerRoundTrip(t *testing.T) {
	events := loadCollections(t, "events_legacy_payload_e2e.json")["events"]
	if len(events) == 0 {
		t.Fatal("no events in sample")
	}
	for _, ev := range events {
		modern := LegacyToTracker(Events, ev)
		for _, gone := range []string{"eventDate", "dueDate", "created", "lastUpdated"} {
			if _, ok := modern[gone]; ok {
				t.Errorf("event %v still has %s", ev["event"], gone)
			}
		}
		if modern["occurredAt"] != ev["eventDate"] || modern["scheduledAt"] != ev["dueDate"] || modern["updatedAt"] != ev["lastUpdated"] {
			t.Errorf("renamed values differ: %v", modern)
		}
		for _, dv := range modern["dataValues"].([]any) {
			if _, ok := dv.(map[string]any)["createdAt"]; !ok {
				t.Errorf("data value not renamed: %v", dv)
			}
		}
		if back := TrackerToLegacy(Events, modern); !reflect.DeepEqual(back, ev) {
			t.Errorf("round trip differs:\n%v\n%v", back, ev)
		}
	}
	rel := map[string]any{"relationship": "rel00000001", "from": map[string]any{"trackedEntityInstance": map[string]any{"trackedEntityInstance": "te000000001"}}}
	got := LegacyToTracker(Relationships, rel)
	if !reflect.DeepEqual(got["from"], map[string]any{"trackedEntity": map[string]any{"trackedEntity": "te000000001"}}) {
		t.Errorf("relationship item = %v", got["from"])
	}
	if back := TrackerToLegacy(Relationships, got); !reflect.DeepEqual(back, rel) {
		t.Errorf("relationship round trip = %v", back)
	}
	ev := LegacyToTracker(Events, map[string]any{"assignedUser": "user0000001"})
	if !reflect.DeepEqual(ev["assignedUser"], map[string]any{"uid": "user0000001"}) {
		t.Errorf("assignedUser = %v", ev["assignedUser"])
	}
}

func TestTransformTrackerEnrollmentAttributes(t *testing.T) {
	te := map[string]any{"trackedEntity": "te000000001", "attributes": []any{map[string]any{"attribute": "attr0000001", "value": "a"}},
		"enrollments": []any{map[string]any{"enrollment": "en000000001", "orgUnitName": "X",
			"attributes": []any{map[string]any{"attribute": "attr0000001", "value": "a"}, map[string]any{"attribute": "attr0000002", "value": "b"}}}}}
	for _, tc := range []struct {
		to        string
		teAttrs   int
		enAttrs   int
		orgUnitNm bool
	}{{"2.40.0", 1, 2, true}, {"2.41.0", 2, 0, false}, {"2.42.0", 2, 0, false}} {
		out := TransformTracker(TrackedEntities, te, MustParseVersion("2.38.0"), MustParseVersion(tc.to))
		en := out["enrollments"].([]any)[0].(map[string]any)
		_, hasName := en["orgUnitName"]
		if len(out["attributes"].([]any)) != tc.teAttrs || len(en["attributes"].([]any)) != tc.enAttrs || hasName != tc.orgUnitNm {
			t.Errorf("to %s: %v", tc.to, out)
		}
	}
	if len(te["attributes"].([]any)) != 1 {
		t.Error("input modified")
	}
}

// TransformMetadataNoting names the rules that changed an object, and only those.
func TestTransformMetadataNotesTheRulesThatChangedAnObject(t *testing.T) {
	var notes []string
	note := func(rule string) { notes = append(notes, rule) }
	from, to := MustParseVersion("2.36.0"), MustParseVersion("2.41.0")

	chart := map[string]any{"id": "ch1", "name": "ANC", "type": "COLUMN"}
	if plural, _, _ := TransformMetadataNoting("eventCharts", chart, from, to, note); plural != "eventVisualizations" ||
		!reflect.DeepEqual(notes, []string{"event charts and reports become event visualizations"}) {
		t.Errorf("event chart 2.36 → 2.41: %s, notes %q", plural, notes)
	}

	notes = nil
	shared := map[string]any{"id": "de1", "name": "ANC 1", "publicAccess": "rw------", "userAccesses": []any{}}
	if _, out, _ := TransformMetadataNoting("dataElements", shared, from, to, note); out["publicAccess"] != nil ||
		!reflect.DeepEqual(notes, []string{"sharing object only"}) {
		t.Errorf("legacy sharing to 2.41: %v, notes %q", out, notes)
	}

	notes = nil
	if _, _, keep := TransformMetadataNoting("charts", map[string]any{"id": "c1"}, from, to, note); keep || len(notes) != 1 {
		t.Errorf("a chart to 2.41: kept %v, notes %q; want dropped and noted", keep, notes)
	}

	notes = nil
	plain := map[string]any{"id": "de2", "name": "ANC 2", "sharing": map[string]any{"public": "rw------"}}
	TransformMetadataNoting("dataElements", plain, from, to, note)
	if len(notes) != 0 {
		t.Errorf("an object no rule changes is noted: %q", notes)
	}
}
