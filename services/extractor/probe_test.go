package extractor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/extractor"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// TestProbeChangesPerVersion checks that a probe sees exactly what changed at a source, in each version's
// dialect, and reports what a check costs on the source (requests and time against the simulator).
func TestProbeChangesPerVersion(t *testing.T) {
	for _, version := range []string{"2.36.0", "2.40.1", "2.42.0"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			sim, ts := dhis2sim.NewTestServer(t, dhis2sim.Options{Version: version, Seed: 1})
			if err := sim.LoadDemo(demodata.New(7, demodata.Small)); err != nil {
				t.Fatal(err)
			}
			p := &extractor.Prober{Clients: &extractor.Clients{Registry: registry{"src": ts.URL}, Tune: func(o *dhis2.Options) {
				o.Retry = dhis2.RetryPolicy{MaxAttempts: 1}
				o.RatePerSecond = -1
			}}}
			cfg, _ := protojson.Marshal(&configv1.Config{SyncType: configv1.SyncType_SYNC_TYPE_COMPLETE,
				Deletion: &configv1.Deletion{Propagate: true}})
			probe := func(since string) *extractorv1.ProbeChangesResponse {
				t.Helper()
				resp, err := p.ProbeChanges(context.Background(), &extractorv1.ProbeChangesRequest{SourceInstanceId: "src",
					ConfigJson: string(cfg), Since: since})
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}
			first := probe("")
			if first.GetServerDate() == "" || first.GetRequests() != 1 || len(first.GetChanges()) != 0 {
				t.Fatalf("first probe: %v", first)
			}
			time.Sleep(5 * time.Millisecond)
			start := time.Now()
			quiet := probe(first.GetServerDate())
			took := time.Since(start)
			if len(quiet.GetChanges()) != 0 {
				t.Fatalf("changes reported on a quiet source: %v", quiet.GetChanges())
			}
			t.Logf("%s: a quiet check of a COMPLETE configuration (every family, small demo) makes %d requests in %s",
				version, quiet.GetRequests(), took.Round(time.Millisecond))

			do := func(method, path string, body any) map[string]any {
				t.Helper()
				b, _ := json.Marshal(body)
				req, _ := http.NewRequest(method, ts.URL+path, bytes.NewReader(b))
				req.SetBasicAuth("admin", "district")
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var out map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&out)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s %s: HTTP %d %v", method, path, resp.StatusCode, out)
				}
				return out
			}
			since := quiet.GetServerDate()
			time.Sleep(5 * time.Millisecond)
			// A renamed data element, a deleted legend set, a changed data value, a new and a deleted event.
			des := do("GET", "/api/dataElements?fields=:owner&pageSize=1&order=id:asc", nil)["dataElements"].([]any)
			de := des[0].(map[string]any)
			de["name"] = "Renamed " + version
			do("POST", "/api/metadata", map[string]any{"dataElements": []any{de}})
			ls := do("GET", "/api/legendSets?fields=id&pageSize=1", nil)["legendSets"].([]any)
			if err := sim.DeleteObject("legendSets", ls[0].(map[string]any)["id"].(string)); err != nil {
				t.Fatal(err)
			}
			dss := do("GET", "/api/dataSets?fields=id&pageSize=1&order=id:asc", nil)["dataSets"].([]any)
			roots := do("GET", "/api/organisationUnits?fields=id&filter=level:eq:1", nil)["organisationUnits"].([]any)
			vals := do("GET", fmt.Sprintf("/api/dataValueSets?dataSet=%s&orgUnit=%s&children=true&startDate=2000-01-01&endDate=2100-01-01&limit=1",
				dss[0].(map[string]any)["id"], roots[0].(map[string]any)["id"]), nil)["dataValues"].([]any)
			dv := vals[0].(map[string]any)
			dv["value"] = "123456"
			delete(dv, "lastUpdated") // DHIS2 keeps a payload's lastUpdated; an edit sends none
			delete(dv, "created")
			do("POST", "/api/dataValueSets", map[string]any{"dataValues": []any{dv}})
			var eventProgram string
			for _, p := range do("GET", "/api/programs?fields=id,programType&paging=false", nil)["programs"].([]any) {
				if p.(map[string]any)["programType"] == "WITHOUT_REGISTRATION" {
					eventProgram = p.(map[string]any)["id"].(string)
				}
			}
			page := do("GET", "/api/tracker/events?fields=*&pageSize=2&program="+eventProgram, nil)
			evs, _ := page["instances"].([]any)
			if evs == nil {
				evs, _ = page["events"].([]any)
			}
			added := evs[0].(map[string]any)
			added["event"] = "EvNew" + "123456"
			do("POST", "/api/tracker?async=false&importStrategy=CREATE", map[string]any{"events": []any{added}})
			do("POST", "/api/tracker?async=false&importStrategy=DELETE", map[string]any{"events": []any{map[string]any{"event": evs[1].(map[string]any)["event"]}}})

			got := map[string]string{}
			for _, c := range probe(since).GetChanges() {
				got[c.GetResource()] = fmt.Sprintf("%d %s", c.GetChanged(), c.GetDetail())
			}
			want := map[string]string{"dataElements": "1 ", "deletedObjects": "1 ", "dataValues": "1 in 1 data set", "events": "2 in 1 program"}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}
