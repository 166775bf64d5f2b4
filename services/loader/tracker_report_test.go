package loader

import (
	"bytes"
	"io"
	"net/http"
	"testing"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// TestTrackerReportCountsRefusedChildren: with atomicMode=OBJECT DHIS2 refuses the enrollments and events
// of a refused tracked entity with E5000 (PersistablesFilter); the step's result counts each of them as an
// error, not as created or silently ignored. The report comes from the simulator, per version.
func TestTrackerReportCountsRefusedChildren(t *testing.T) {
	for _, v := range []string{"2.36.0", "2.40.0", "2.42.0"} {
		t.Run(v, func(t *testing.T) {
			_, ts := dhis2sim.NewTestServer(t, dhis2sim.Options{Version: v})
			post := func(path, body string) (int, []byte) {
				req, _ := http.NewRequest("POST", ts.URL+path, bytes.NewReader([]byte(body)))
				req.SetBasicAuth("admin", "district")
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				out, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, out
			}
			if code, out := post("/api/metadata", `{"organisationUnits":[{"id":"ouClinic001","name":"Clinic","shortName":"Clinic","openingDate":"2000-01-01"}],
			 "trackedEntityTypes":[{"id":"tetPerson01","name":"Person"}],
			 "programs":[{"id":"prgTrk00001","name":"TB","shortName":"TB","programType":"WITH_REGISTRATION","trackedEntityType":{"id":"tetPerson01"},"organisationUnits":[{"id":"ouClinic001"}]}],
			 "programStages":[{"id":"psVisit0001","name":"Visit","program":{"id":"prgTrk00001"}}]}`); code != 200 {
				t.Fatalf("metadata: %d %s", code, out)
			}
			code, out := post("/api/tracker?async=false&atomicMode=OBJECT", `{"trackedEntities":[
			 {"trackedEntity":"teGood00001","trackedEntityType":"tetPerson01","orgUnit":"ouClinic001"},
			 {"trackedEntity":"teBad000001","trackedEntityType":"tetPerson01","orgUnit":"NOSUCHOU001",
			  "enrollments":[{"enrollment":"enBad000001","program":"prgTrk00001","orgUnit":"ouClinic001","enrolledAt":"2024-01-01","status":"ACTIVE",
			   "events":[{"event":"evBad000001","programStage":"psVisit0001","orgUnit":"ouClinic001","occurredAt":"2024-01-02","status":"ACTIVE"}]}]}]}`)
			if code != 409 {
				t.Fatalf("import: %d %s", code, out)
			}
			ir, err := dhis2.ParseImportReport(out)
			if err != nil {
				t.Fatal(err)
			}
			res := &batchv1.Result{Status: string(dhis2.StatusOK)}
			accountEvents(res, ir)
			codes := map[string]int{}
			for _, c := range res.GetConflicts() {
				codes[c.GetCode()]++
			}
			if res.GetErrors() != 3 || res.GetCreated() != 1 || codes["E5000"] != 2 {
				t.Errorf("result errors=%d created=%d conflicts %v; want 3 errors (the entity and its 2 children, E5000), 1 created",
					res.GetErrors(), res.GetCreated(), codes)
			}
		})
	}
}
