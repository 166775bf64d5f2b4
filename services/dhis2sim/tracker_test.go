package dhis2sim

import (
	"encoding/json"
	"strings"
	"testing"
)

const trackerFixture = `{
 "organisationUnits":[{"id":"ouTrk000001","name":"Clinic","shortName":"Clinic","openingDate":"2000-01-01"},
                      {"id":"ouTrk000002","name":"Other","shortName":"Other","openingDate":"2000-01-01"}],
 "trackedEntityTypes":[{"id":"tetPerson01","name":"Person"}],
 "programs":[{"id":"prgTrk00001","name":"TB","shortName":"TB","programType":"WITH_REGISTRATION","trackedEntityType":{"id":"tetPerson01"},
              "organisationUnits":[{"id":"ouTrk000001"}],"programStages":[{"id":"psTrk000001"}]}],
 "programStages":[{"id":"psTrk000001","name":"Visit","program":{"id":"prgTrk00001"}}],
 "relationshipTypes":[{"id":"rtTrk000001","name":"Contact","fromConstraint":{"relationshipEntity":"TRACKED_ENTITY_INSTANCE"},"toConstraint":{"relationshipEntity":"TRACKED_ENTITY_INSTANCE"}}]
}`

const nestedTE = `{"trackedEntities":[{"trackedEntity":"teUid000001","trackedEntityType":"tetPerson01","orgUnit":"ouTrk000001",
 "enrollments":[{"enrollment":"enUid000001","program":"prgTrk00001","orgUnit":"ouTrk000001","enrolledAt":"2024-01-01","occurredAt":"2024-01-01","status":"ACTIVE",
   "events":[{"event":"evUid000001","programStage":"psTrk000001","orgUnit":"ouTrk000001","occurredAt":"2024-01-02","status":"COMPLETED","dataValues":[]}]}]},
 {"trackedEntity":"teUid000002","trackedEntityType":"tetPerson01","orgUnit":"ouTrk000001"}],
 "relationships":[{"relationship":"relUid00001","relationshipType":"rtTrk000001","from":{"trackedEntity":{"trackedEntity":"teUid000001"}},"to":{"trackedEntity":{"trackedEntity":"teUid000002"}}}]}`

func TestTrackerImportReportPerVersion(t *testing.T) {
	for _, v := range allVersions {
		t.Run(v, func(t *testing.T) {
			s, c := newClient(t, v)
			c.json("POST", "/api/metadata", trackerFixture, 200)
			rep := c.json("POST", "/api/tracker?async=false&reportMode=FULL", nestedTE, 200)
			if rep["status"] != "OK" || dig(rep, "stats", "created") != float64(5) {
				t.Fatalf("report %v", rep)
			}
			_, timings := rep["timingsStats"]
			_, bundleStatus := rep["bundleReport"].(map[string]any)["status"]
			_, index := dig(rep, "bundleReport", "typeReportMap", "EVENT", "objectReports", 0).(map[string]any)["index"]
			if timings != (v < "2.41") || bundleStatus != (v < "2.40") || index != (v < "2.41") {
				t.Fatalf("shape timings=%v bundleStatus=%v index=%v", timings, bundleStatus, index)
			}
			golden := "tracker_import_report_ok_2.41_docs.json"
			if v < "2.40" {
				golden = "tracker_import_report_sync_full_2.36_docs.json"
			}
			raw, _ := json.Marshal(rep)
			want := shapeOf(t, readSample(t, golden))
			delete(want, "timingsStats.timers.programrule")
			delete(want, "timingsStats.timers.programruleValidation")
			delete(want, "timingsStats.timers.preprocess")
			if m := missingKeys(want, shapeOf(t, raw)); len(m) > 0 {
				t.Fatalf("missing keys %v", m)
			}
			if s.TrackerCount("events") != 1 || s.TrackerCount("relationships") != 1 {
				t.Fatalf("stored events=%d relationships=%d", s.TrackerCount("events"), s.TrackerCount("relationships"))
			}
		})
	}
}

func TestTrackerValidationErrors(t *testing.T) {
	cases := []struct {
		name, query, payload, code string
	}{
		{"unknown TE type", "", `{"trackedEntities":[{"trackedEntity":"teUid000009","trackedEntityType":"nope0000001","orgUnit":"ouTrk000001"}]}`, "E1005"},
		{"enrollment org unit not in program", "", `{"enrollments":[{"enrollment":"enUid000009","trackedEntity":"teUid000001","program":"prgTrk00001","orgUnit":"ouTrk000002","enrolledAt":"2024-01-01"}]}`, "E1041"},
		{"event org unit not in program", "", `{"events":[{"event":"evUid000009","enrollment":"enUid000001","program":"prgTrk00001","programStage":"psTrk000001","orgUnit":"ouTrk000002","occurredAt":"2024-01-01"}]}`, "E1029"},
		{"event enrollment missing", "", `{"events":[{"event":"evUid000009","enrollment":"enMissing01","program":"prgTrk00001","programStage":"psTrk000001","orgUnit":"ouTrk000001","occurredAt":"2024-01-01"}]}`, "E1081"},
		{"update missing TE", "&importStrategy=UPDATE", `{"trackedEntities":[{"trackedEntity":"teMissing01","trackedEntityType":"tetPerson01","orgUnit":"ouTrk000001"}]}`, "E1063"},
	}
	for _, v := range []string{"2.38.0", "2.41.0"} {
		for _, tc := range cases {
			t.Run(v+"/"+tc.name, func(t *testing.T) {
				_, c := newClient(t, v)
				c.json("POST", "/api/metadata", trackerFixture, 200)
				c.json("POST", "/api/tracker?async=false", nestedTE, 200)
				rep := c.json("POST", "/api/tracker?async=false"+tc.query, tc.payload, 409)
				e := dig(rep, "validationReport", "errorReports", 0).(map[string]any)
				if rep["status"] != "ERROR" || e["errorCode"] != tc.code || e["trackerType"] == nil || e["uid"] == nil {
					t.Fatalf("report %v", rep)
				}
				_, hasArgs := e["args"]
				if hasArgs != (v >= "2.41") {
					t.Fatalf("args present=%v", hasArgs)
				}
			})
		}
	}
}

func TestTrackerAtomicModeAndValidate(t *testing.T) {
	s, c := newClient(t, "2.41.0")
	c.json("POST", "/api/metadata", trackerFixture, 200)
	mixed := `{"trackedEntities":[{"trackedEntity":"teUid000003","trackedEntityType":"tetPerson01","orgUnit":"ouTrk000001"},
	  {"trackedEntity":"teUid000004","trackedEntityType":"nope0000001","orgUnit":"ouTrk000001"}]}`
	c.json("POST", "/api/tracker?async=false", mixed, 409)
	if s.TrackerCount("trackedEntities") != 0 {
		t.Fatalf("atomicMode=ALL committed")
	}
	c.json("POST", "/api/tracker?async=false&atomicMode=OBJECT", mixed, 409)
	if s.TrackerCount("trackedEntities") != 1 {
		t.Fatalf("atomicMode=OBJECT: %d", s.TrackerCount("trackedEntities"))
	}
	c.json("POST", "/api/tracker?async=false&importMode=VALIDATE", nestedTE, 200)
	if s.TrackerCount("trackedEntities") != 1 {
		t.Fatalf("VALIDATE committed")
	}
}

func TestTrackerAsyncJob(t *testing.T) {
	s, c := newClient(t, "2.41.0")
	c.json("POST", "/api/metadata", trackerFixture, 200)
	m := c.json("POST", "/api/tracker", nestedTE, 200)
	if m["message"] != "Tracker job added" {
		t.Fatalf("async %v", m)
	}
	id := dig(m, "response", "id").(string)
	if !strings.HasSuffix(dig(m, "response", "location").(string), "/api/tracker/jobs/"+id) {
		t.Fatalf("location %v", m)
	}
	s.WaitJob(id)
	code, body, _ := c.do("GET", "/api/tracker/jobs/"+id, nil)
	var notes []map[string]any
	_ = json.Unmarshal(body, &notes)
	if code != 200 || notes[0]["completed"] != true || !strings.HasPrefix(notes[0]["message"].(string), "Import complete with status OK, 5 created") {
		t.Fatalf("notifications %s", body)
	}
	rep := c.json("GET", "/api/tracker/jobs/"+id+"/report", nil, 200)
	if rep["status"] != "OK" {
		t.Fatalf("report %v", rep)
	}
}

func TestTrackerExportPagingPerVersion(t *testing.T) {
	for _, v := range allVersions {
		t.Run(v, func(t *testing.T) {
			_, c := newClient(t, v)
			c.json("POST", "/api/metadata", trackerFixture, 200)
			c.json("POST", "/api/tracker?async=false", nestedTE, 200)
			ouParam := map[bool]string{true: "orgUnits", false: "orgUnit"}[v >= "2.41"]
			m := c.json("GET", "/api/tracker/trackedEntities?trackedEntityType=tetPerson01&"+ouParam+"=ouTrk000001&pageSize=1&totalPages=true", nil, 200)
			_, instances := m["instances"]
			_, plural := m["trackedEntities"]
			_, pager := m["pager"]
			_, rootPage := m["page"]
			switch {
			case v < "2.41":
				if !instances || plural || pager || !rootPage {
					t.Fatalf("2.36–2.40 shape %v", m)
				}
			case v < "2.42":
				if instances || !plural || !pager || !rootPage {
					t.Fatalf("2.41 shape %v", m)
				}
			default:
				if instances || !plural || !pager || rootPage {
					t.Fatalf("2.42 shape %v", m)
				}
			}
			if v >= "2.41" && !strings.Contains(dig(m, "pager", "nextPage").(string), "page=2") {
				t.Fatalf("nextPage %v", m["pager"])
			}
			m = c.json("GET", "/api/tracker/events?updatedAfter=2000-01-01&program=prgTrk00001", nil, 200)
			key := "events"
			if v < "2.41" {
				key = "instances"
			}
			if len(asList(m[key])) != 1 {
				t.Fatalf("events %v", m)
			}
			m = c.json("GET", "/api/tracker/events?updatedAfter=2999-01-01", nil, 200)
			if len(asList(m[key])) != 0 {
				t.Fatalf("updatedAfter ignored %v", m)
			}
			code, _, _ := c.do("GET", "/api/events?program=prgTrk00001", nil)
			if want := map[bool]int{true: 404, false: 200}[v >= "2.42"]; code != want {
				t.Fatalf("legacy /api/events: %d, want %d", code, want)
			}
		})
	}
}
