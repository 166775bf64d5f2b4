package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// TestCrossVersionMetadataMatrix syncs a real WHO package, a real tracker package, plus a dashboard with a visualization, a map and an
// event chart between far-apart DHIS2 versions, up and down, and requires a faithful copy: verification finds
// no difference beyond what the destination version cannot hold (listed as SKIPPED with its rule), the
// dashboard keeps its three items, the event chart arrives under the destination's collection with its UID,
// and the visualization keeps its relative periods.
func TestCrossVersionMetadataMatrix(t *testing.T) {
	st := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	who, err := os.ReadFile("testdata/metadata_export_who_mal_hist_2.36.1.json")
	if err != nil {
		t.Fatal(err)
	}
	tracker, err := os.ReadFile("testdata/metadata_tracker_program_basic.json")
	if err != nil {
		t.Fatal(err)
	}
	analytics, err := os.ReadFile("testdata/analytics_dashboard_2.36.json")
	if err != nil {
		t.Fatal(err)
	}
	// The group returns when its parallel subtests have ended, before ctx is cancelled.
	t.Run("pairs", func(t *testing.T) { crossVersionPairs(ctx, t, st, who, tracker, analytics) })
}

func crossVersionPairs(ctx context.Context, t *testing.T, st *Stack, who, tracker, analytics []byte) {
	for _, pair := range [][2]string{{"2.36.1", "2.42.0"}, {"2.42.0", "2.37.0"}, {"2.38.0", "2.40.0"}, {"2.41.0", "2.39.1"}} {
		t.Run(pair[0]+"_to_"+pair[1], func(t *testing.T) {
			t.Parallel()
			c := st.Client(ctx)
			src, dst := StartSim(t, pair[0]), StartSim(t, pair[1])
			whoPkg, _ := json.Marshal(packageFor(t, who, "2.36.1", pair[0]))
			createMissingDependencies(t, src, whoPkg)
			var rep map[string]any
			if code := src.Do(http.MethodPost, "/api/metadata", whoPkg, &rep); code != http.StatusOK {
				t.Fatalf("load the WHO package into the source: HTTP %d %v", code, rep)
			}
			trackerPkg, _ := json.Marshal(packageFor(t, tracker, "2.36.1", pair[0]))
			createMissingDependencies(t, src, trackerPkg)
			if code := src.Do(http.MethodPost, "/api/metadata", trackerPkg, &rep); code != http.StatusOK {
				t.Fatalf("load the tracker package into the source: HTTP %d %v", code, rep)
			}
			pkg := packageFor(t, analytics, "2.36.1", pair[0])
			if code := src.Do(http.MethodPost, "/api/metadata", pkg, &rep); code != http.StatusOK {
				t.Fatalf("load the dashboard into the source: HTTP %d %v", code, rep)
			}
			cfg := syncSetup(ctx, t, c, src, dst, &configv1.Config{Name: "Cross-version " + t.Name(), SyncType: configv1.SyncType_SYNC_TYPE_METADATA})
			job := runJob(ctx, t, c, cfg.GetId(), false)
			requireFaithful(ctx, t, c, job)
			for _, d := range job.GetVerification().GetDifferences() {
				if d.GetKind() == "SKIPPED" {
					t.Logf("skipped %s/%s: %s", d.GetResource(), d.GetUid(), d.GetDetail())
				} else {
					t.Errorf("difference %s %s/%s: %s", d.GetKind(), d.GetResource(), d.GetUid(), d.GetDetail())
				}
			}

			dstCaps := dhis2.CapabilitiesFor(mustVersion(t, pair[1]))
			chartPlural, itemKey := "eventCharts", "eventChart"
			if dstCaps.Has(dhis2.FeatureEventVisualizationsOnly) {
				chartPlural, itemKey = "eventVisualizations", "eventVisualization"
			}
			if code := dst.Do(http.MethodGet, "/api/"+chartPlural+"/xvEvChart01", nil, nil); code != http.StatusOK {
				t.Errorf("event chart not on the destination as %s: HTTP %d", chartPlural, code)
			}
			var dash struct {
				DashboardItems []map[string]any `json:"dashboardItems"`
			}
			if code := dst.Do(http.MethodGet, "/api/dashboards/xvDashbrd01?fields=dashboardItems[id,type,visualization,map,eventChart,eventReport,eventVisualization]", nil, &dash); code != http.StatusOK {
				t.Fatalf("dashboard not on the destination: HTTP %d", code)
			}
			found := map[string]bool{}
			for _, it := range dash.DashboardItems {
				for _, k := range []string{"visualization", "map", itemKey} {
					if ref, ok := it[k].(map[string]any); ok && ref["id"] != nil {
						found[k] = true
					}
				}
			}
			if len(found) != 3 {
				t.Errorf("dashboard items on the destination: %v, want a visualization, a map and an %s", dash.DashboardItems, itemKey)
			}
			// 2.39+ store periods as rawPeriods and derive relativePeriods on read; older versions store the object.
			var vis map[string]any
			dst.Do(http.MethodGet, "/api/visualizations/xvVisual001?fields=relativePeriods,rawPeriods", nil, &vis)
			if rel, _ := vis["relativePeriods"].(map[string]any); rel["last12Months"] != true || rel["thisYear"] != true {
				t.Errorf("visualization relative periods on the destination: %v", vis)
			}
			if raw, _ := vis["rawPeriods"].([]any); dstCaps.Has(dhis2.FeatureRawPeriods) &&
				(!slices.Contains(raw, any("LAST_12_MONTHS")) || !slices.Contains(raw, any("THIS_YEAR"))) {
				t.Errorf("visualization rawPeriods on the destination: %v", vis)
			}
		})
	}
}

// packageFor shapes a package written for DHIS2 version from as an administrator of version to would import
// it (event charts as event visualizations from 2.38, and so on).
func packageFor(t *testing.T, body []byte, from, to string) map[string][]any {
	t.Helper()
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		t.Fatal(err)
	}
	out := map[string][]any{}
	for plural, list := range in {
		objs, _ := list.([]any) // a package header ("package", "system") is not metadata
		for _, it := range objs {
			obj, _ := it.(map[string]any)
			target, o, keep := dhis2.TransformMetadata(plural, obj, mustVersion(t, from), mustVersion(t, to))
			if keep {
				out[target] = append(out[target], o)
			}
		}
	}
	return out
}

func mustVersion(t *testing.T, s string) dhis2.Version {
	t.Helper()
	v, err := dhis2.ParseVersion(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}
