package dhis2_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

var simulatorVersions = []string{"2.36.0", "2.37.0", "2.38.0", "2.39.0", "2.40.0", "2.41.0", "2.42.0"}

// versionedPayload converts the 2.36-era sample graph for the target version.
func versionedPayload(t *testing.T, to dhis2.Version) (map[string][]map[string]any, int) {
	t.Helper()
	b, err := os.ReadFile("testdata/metadata_dataset_with_sections.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string][]map[string]any{}
	n := 0
	for plural, v := range raw {
		var list []map[string]any
		if json.Unmarshal(v, &list) != nil {
			continue
		}
		for _, obj := range list {
			newPlural, o, keep := dhis2.TransformMetadata(plural, obj, dhis2.MustParseVersion("2.36.0"), to)
			if keep {
				out[newPlural] = append(out[newPlural], o)
				n++
			}
		}
	}
	return out, n
}

func TestClientAgainstSimulator(t *testing.T) {
	for _, v := range simulatorVersions {
		t.Run(v, func(t *testing.T) {
			_, ts := dhis2sim.NewTestServer(t, dhis2sim.Options{Version: v})
			c, err := dhis2.New(dhis2.Options{BaseURL: ts.URL + "/api", Auth: dhis2.Auth{Username: "admin", Password: "district"}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			caps, err := c.Capabilities(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if caps.Version.Minor != dhis2.MustParseVersion(v).Minor {
				t.Fatalf("detected %s, want %s", caps.Version, v)
			}

			payload, n := versionedPayload(t, caps.Version)
			res, err := c.ImportMetadata(ctx, payload, dhis2.MetadataImportParams{ImportReportMode: "FULL"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status == dhis2.StatusError || res.Created+res.Updated == 0 {
				t.Fatalf("metadata import: %s created %d updated %d errors %v", res.Status, res.Created, res.Updated, res.Errors)
			}
			t.Logf("metadata import of %d objects: %s, %d created, %d updated, %d ignored", n, res.Status, res.Created, res.Updated, res.Ignored)

			count := 0
			for _, err := range c.ListObjects(ctx, "dataElements", dhis2.ListQuery{Fields: "id,name", PageSize: 1, Filters: []string{"domainType:eq:AGGREGATE"}}) {
				if err != nil {
					t.Fatal(err)
				}
				count++
			}
			if count < 2 {
				t.Errorf("listed %d data elements, want at least the 2 imported", count)
			}

			exported := map[string]int{}
			err = c.ExportMetadata(ctx, dhis2.MetadataQuery{Types: map[string]dhis2.TypeQuery{"dataSets": {}, "dataElements": {}}},
				func(plural string, _ json.RawMessage) error {
					exported[plural]++
					return nil
				})
			if err != nil {
				t.Fatal(err)
			}
			if exported["dataSets"] < 1 || exported["dataElements"] < 2 {
				t.Errorf("export: %v", exported)
			}

			dvs := map[string]any{"dataValues": []map[string]any{
				{"dataElement": "nHwIqKAudKN", "period": "202401", "orgUnit": "x3gVvpbVgqy", "value": "12"},
				{"dataElement": "VolAzjFe5zP", "period": "202401", "orgUnit": "x3gVvpbVgqy", "value": "7"},
			}}
			res, err = c.ImportDataValues(ctx, dvs, dhis2.DataValueImportParams{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("data value import: %s %d created %d updated %d ignored, errors %v", res.Status, res.Created, res.Updated, res.Ignored, res.Errors)
			imported := res.Created + res.Updated

			var values []dhis2.DataValue
			err = c.ExportDataValues(ctx, dhis2.DataValueQuery{DataSets: []string{"em8Bg4LCr5k"}, Periods: []string{"202401"},
				OrgUnits: []string{"x3gVvpbVgqy"}}, func(dv dhis2.DataValue) error {
				values = append(values, dv)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if imported != 1 || res.Ignored != 1 || len(res.Errors) != 1 {
				t.Errorf("data values: %d imported, %d ignored, errors %v; want 1, 1 and the COC conflict", imported, res.Ignored, res.Errors)
			}
			if len(values) != imported {
				t.Errorf("exported %d values, imported %d", len(values), imported)
			}

			res, err = c.ImportMetadata(ctx, payload, dhis2.MetadataImportParams{Async: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.JobID == "" || res.Status == dhis2.StatusError {
				t.Errorf("async metadata import: %+v", res)
			}

			bad := map[string]any{"dataElements": []map[string]any{{"id": "deBad000001", "name": "Broken", "shortName": "Broken",
				"valueType": "NUMBER", "domainType": "AGGREGATE", "aggregationType": "SUM", "categoryCombo": map[string]any{"id": "ccMissing01"}}}}
			res, err = c.ImportMetadata(ctx, bad, dhis2.MetadataImportParams{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != dhis2.StatusError || len(res.Errors) == 0 {
				t.Errorf("broken reference accepted: %+v", res)
			} else {
				t.Logf("rejected as expected: HTTP %d %v", res.HTTPStatus, res.Errors[0])
			}

			for i, async := range []bool{false, true} {
				te := map[string]any{"trackedEntities": []map[string]any{{"trackedEntity": fmt.Sprintf("teSim00000%d", i+1),
					"trackedEntityType": "MDvmqCKmXQM", "orgUnit": "x3gVvpbVgqy"}}}
				res, err = c.ImportTracker(ctx, te, dhis2.TrackerImportParams{Async: async})
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != dhis2.StatusOK || res.Created != 1 {
					t.Errorf("tracker import (async %v): %+v", async, res)
				}
			}
			n = 0
			for _, err := range c.ExportTracker(ctx, dhis2.TrackedEntities, dhis2.TrackerQuery{OrgUnits: []string{"x3gVvpbVgqy"},
				TrackedEntityType: "MDvmqCKmXQM", PageSize: 1}) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n != 2 {
				t.Errorf("exported %d tracked entities, want 2", n)
			}
		})
	}
}
