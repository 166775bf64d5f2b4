package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

// TestMetadataSamplesSyncThroughREST loads each real DHIS2 metadata sample into a source and copies it. Each
// sample gets its own pair of instances: two samples define the same names under other UIDs (E5003), as two
// unrelated DHIS2 packages would.
func TestMetadataSamplesSyncThroughREST(t *testing.T) {
	st := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := st.Client(ctx)
	files, _ := filepath.Glob("testdata/metadata_*.json")
	if len(files) < 4 {
		t.Fatalf("samples missing: %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src := StartSim(t, "2.39.1")
			dst := StartSim(t, "2.41.0")
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			createMissingDependencies(t, src, body)
			var rep map[string]any
			if code := src.Do(http.MethodPost, "/api/metadata", body, &rep); code != http.StatusOK {
				t.Fatalf("load into the source: HTTP %d %v", code, rep)
			}
			cfg := syncSetup(ctx, t, c, src, dst, &configv1.Config{Name: "Sample " + filepath.Base(f), SyncType: configv1.SyncType_SYNC_TYPE_METADATA})
			requireFaithful(ctx, t, c, runJob(ctx, t, c, cfg.GetId(), false))
			var payload map[string]any
			_ = json.Unmarshal(body, &payload)
			for typ, list := range payload {
				objs, ok := list.([]any)
				if !ok || len(objs) == 0 || typ == "users" || typ == "userRoles" || src.Do(http.MethodGet, "/api/"+typ+"?pageSize=1", nil, nil) != http.StatusOK {
					continue // not a metadata type (e.g. a "system" header), or superusers, never copied by policy
				}
				if s, d := src.Count(typ), dst.Count(typ); s != d {
					t.Errorf("%s: source %d, destination %d", typ, s, d)
				}
			}
		})
	}
}

// createMissingDependencies does what an administrator does before importing a package: it validates it and
// creates the org units and category combos it references but does not contain.
func createMissingDependencies(t *testing.T, s *Sim, body []byte) {
	t.Helper()
	var m map[string]any
	s.Do(http.MethodPost, "/api/metadata?importMode=VALIDATE", body, &m)
	if r, ok := m["response"].(map[string]any); ok {
		m = r
	}
	deps := map[string][]any{}
	typeReports, _ := m["typeReports"].([]any)
	for _, tr := range typeReports {
		ors, _ := tr.(map[string]any)["objectReports"].([]any)
		for _, or := range ors {
			ers, _ := or.(map[string]any)["errorReports"].([]any)
			for _, e := range ers {
				er := e.(map[string]any)
				if er["errorCode"] != "E5002" {
					continue
				}
				id, _ := er["value"].(string)
				switch er["errorKlass"] {
				case "org.hisp.dhis.organisationunit.OrganisationUnit":
					deps["organisationUnits"] = append(deps["organisationUnits"], map[string]any{"id": id, "name": "OU " + id, "shortName": "OU " + id, "openingDate": "2000-01-01"})
				case "org.hisp.dhis.category.CategoryCombo":
					deps["categoryCombos"] = append(deps["categoryCombos"], map[string]any{"id": id, "name": "CC " + id, "dataDimensionType": "DISAGGREGATION", "categories": []any{map[string]any{"id": "GLevLNI9wkl"}}})
				default:
					t.Fatalf("sample references a missing %v %s", er["errorKlass"], id)
				}
			}
		}
	}
	if len(deps) > 0 {
		if code := s.Do(http.MethodPost, "/api/metadata", deps, nil); code != http.StatusOK {
			t.Fatalf("create dependencies: HTTP %d", code)
		}
	}
}
