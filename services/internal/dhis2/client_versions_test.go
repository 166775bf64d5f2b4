package dhis2

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestListObjectsPagesToTheEndEveryVersion(t *testing.T) {
	for _, v := range allVersions {
		t.Run(v, func(t *testing.T) {
			f := newFake(t, v)
			c := f.client(t)
			since := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
			q := ListQuery{Fields: ":owner", Filters: []string{FilterUpdatedAfter(since, nil), "domainType:eq:AGGREGATE"},
				Order: "id:asc", PageSize: 50}
			var ids []string
			for raw, err := range c.ListObjects(context.Background(), "dataElements", q) {
				if err != nil {
					t.Fatal(err)
				}
				var o struct{ ID string }
				if err := json.Unmarshal(raw, &o); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, o.ID)
			}
			if len(ids) != f.dataElements {
				t.Fatalf("got %d objects, want %d", len(ids), f.dataElements)
			}
			for i, id := range ids {
				if id != fmt.Sprintf("de%09d", i) {
					t.Fatalf("object %d is %s: out of order", i, id)
				}
			}
			if got, want := f.count("/api/dataElements"), 11; got != want {
				t.Errorf("%d page requests, want %d", got, want)
			}
			last := f.lastQuery("/api/dataElements")
			if got := last["filter"]; len(got) != 2 || got[0] != "lastUpdated:gt:2024-01-02T03:04:05.000" || got[1] != "domainType:eq:AGGREGATE" {
				t.Errorf("filters = %v", got)
			}
			if last.Get("fields") != ":owner" || last.Get("order") != "id:asc" || last.Get("page") != "11" || last.Get("pageSize") != "50" {
				t.Errorf("query = %v", last)
			}
		})
	}
}

func TestListObjectsParallelKeepsOrder(t *testing.T) {
	f := newFake(t, "2.40.3")
	c := f.client(t)
	n := 0
	for raw, err := range c.ListObjects(context.Background(), "dataElements", ListQuery{PageSize: 20, Parallel: 4}) {
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`"de%09d"`, n); !strings.Contains(string(raw), want) {
			t.Fatalf("item %d = %s, want id %s", n, raw, want)
		}
		n++
	}
	if n != f.dataElements {
		t.Fatalf("got %d, want %d", n, f.dataElements)
	}
}

func TestListObjectsStopsWhenConsumerStops(t *testing.T) {
	f := newFake(t, "2.41.1")
	c := f.client(t)
	n := 0
	for _, err := range c.ListObjects(context.Background(), "dataElements", ListQuery{PageSize: 50}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 70 {
			break
		}
	}
	if got := f.count("/api/dataElements"); got != 2 {
		t.Errorf("%d page requests after stopping at item 70, want 2", got)
	}
}

func TestListObjectsNoPaging(t *testing.T) {
	f := newFake(t, "2.39.4")
	c := f.client(t)
	n := 0
	for _, err := range c.ListObjects(context.Background(), "dataElements", ListQuery{NoPaging: true}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != f.dataElements || f.count("/api/dataElements") != 1 {
		t.Fatalf("got %d objects in %d requests", n, f.count("/api/dataElements"))
	}
}

func TestCountObjects(t *testing.T) {
	f := newFake(t, "2.38.6")
	n, err := f.client(t).CountObjects(context.Background(), "dataElements")
	if err != nil || n != f.dataElements {
		t.Fatalf("count = %d, %v", n, err)
	}
}

func TestExportTrackerPagingShapesEveryVersion(t *testing.T) {
	for _, v := range allVersions {
		t.Run(v, func(t *testing.T) {
			f := newFake(t, v)
			c := f.client(t)
			q := TrackerQuery{Program: "IpHINAT79UW", OrgUnits: []string{"ImspTQPwCqd", "O6uvpzGd5pu"}, OrgUnitMode: "DESCENDANTS",
				UpdatedAfter: "2024-01-01T00:00:00.000", PageSize: 50}
			n := 0
			for raw, err := range c.ExportTracker(context.Background(), TrackedEntities, q) {
				if err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf(`"te%09d"`, n); !strings.Contains(string(raw), want) {
					t.Fatalf("item %d = %s", n, raw)
				}
				n++
			}
			if n != f.trackedEntities {
				t.Fatalf("got %d, want %d", n, f.trackedEntities)
			}
			last := f.lastQuery("/api/tracker/trackedEntities")
			caps := CapabilitiesFor(MustParseVersion(v))
			ouParam, modeParam, sep := "orgUnit", "ouMode", ";"
			if caps.Has(FeatureTrackerRenamedParams) {
				ouParam, modeParam, sep = "orgUnits", "orgUnitMode", ","
			}
			if last.Get(ouParam) != "ImspTQPwCqd"+sep+"O6uvpzGd5pu" || last.Get(modeParam) != "DESCENDANTS" {
				t.Errorf("query %v: want %s and %s", last, ouParam, modeParam)
			}
			if last.Get("updatedAfter") != "2024-01-01T00:00:00.000" || last.Get("program") != "IpHINAT79UW" {
				t.Errorf("query %v", last)
			}
		})
	}
}

func TestImportsWithErrorsEveryVersion(t *testing.T) {
	payload := map[string]any{"dataElements": []any{map[string]any{"id": "deUid000000"}, map[string]any{"id": "deUid000001"}}}
	for _, v := range allVersions {
		t.Run(v, func(t *testing.T) {
			f := newFake(t, v)
			f.importErrors = true
			c := f.client(t)
			ctx := context.Background()
			wantHTTP := 200
			if CapabilitiesFor(f.version).ReportWrapped() {
				wantHTTP = 409
			}

			res, err := c.ImportMetadata(ctx, payload, MetadataImportParams{ImportReportMode: "ERRORS", AtomicMode: "NONE"})
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, "metadata", res, StatusError, wantHTTP, 1, 1,
				ObjectError{Code: "E5002", ObjectType: "DataElement", UID: "deUid000001", Property: "categoryCombo", Index: 1})
			if q := f.lastQuery("/api/metadata"); q.Get("importReportMode") != "ERRORS" || q.Get("atomicMode") != "NONE" {
				t.Errorf("metadata query %v", q)
			}

			dvs := `{"dataValues":[{"dataElement":"UOlfIjgN8X6","period":"202401","orgUnit":"DiszpKrYNg8","value":"1"},{"dataElement":"UOlfIjgN8X6","period":"202401","orgUnit":"DiszpKrYNg8","value":"x"}]}`
			res, err = c.ImportDataValues(ctx, strings.NewReader(dvs), DataValueImportParams{SkipAudit: true})
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, "data values", res, StatusWarning, wantHTTP, 1, 1,
				ObjectError{Code: "E7619", ObjectType: "dataElement", UID: "UOlfIjgN8X6", Property: "value", Index: 1})

			res, err = c.ImportTracker(ctx, []byte(`{"enrollments":[{"enrollment":"XJPm2lZzxtq"}]}`), TrackerImportParams{AtomicMode: "OBJECT"})
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, "tracker", res, StatusError, 409, 0, 2,
				ObjectError{Code: "E1041", ObjectType: "ENROLLMENT", UID: "XJPm2lZzxtq", Index: -1})
			if q := f.lastQuery("/api/tracker"); q.Get("async") != "false" {
				t.Errorf("tracker import must ask for a synchronous report, query %v", q)
			}
		})
	}
}

func checkResult(t *testing.T, what string, res *ImportResult, status Status, httpStatus, created, ignored int, want ObjectError) {
	t.Helper()
	if res.Status != status || res.HTTPStatus != httpStatus || res.Created != created || res.Ignored != ignored {
		t.Errorf("%s: status %s http %d created %d ignored %d; want %s %d %d %d", what, res.Status, res.HTTPStatus,
			res.Created, res.Ignored, status, httpStatus, created, ignored)
	}
	if len(res.Errors) != 1 {
		t.Fatalf("%s: errors %v, want one", what, res.Errors)
	}
	got := res.Errors[0]
	got.Message, got.Value = "", ""
	if got != want {
		t.Errorf("%s: error %+v, want %+v", what, got, want)
	}
}

func TestAsyncImportsPollUntilDone(t *testing.T) {
	for _, v := range []string{"2.36.13", "2.39.4", "2.42.0"} {
		t.Run(v, func(t *testing.T) {
			f := newFake(t, v)
			f.pollsBeforeDone = 3
			c := f.client(t)
			ctx := context.Background()

			res, err := c.ImportMetadata(ctx, `{"dataElements":[]}`, MetadataImportParams{Async: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusOK || res.Created != 2 || res.JobID != "METJob000001" {
				t.Errorf("metadata async result %+v", res)
			}
			if got := f.count("/api/system/tasks/METADATA_IMPORT/METJob000001"); got != 4 {
				t.Errorf("metadata job polled %d times, want 4", got)
			}

			res, err = c.ImportDataValues(ctx, []byte(`{"dataValues":[]}`), DataValueImportParams{Async: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusOK || res.Created != 2 || res.ReportType != "ImportSummary" {
				t.Errorf("data value async result %+v", res)
			}

			res, err = c.ImportTracker(ctx, []byte(`{"trackedEntities":[]}`), TrackerImportParams{Async: true, ReportMode: "FULL"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusOK || res.Created != 2 || res.JobID != "trkJob00001" {
				t.Errorf("tracker async result %+v", res)
			}
			if got := f.count("/api/tracker/jobs/trkJob00001"); got != 4 {
				t.Errorf("tracker job polled %d times, want 4", got)
			}
			if q := f.lastQuery("/api/tracker/jobs/trkJob00001/report"); q.Get("reportMode") != "FULL" {
				t.Errorf("report query %v", q)
			}
		})
	}
}

func TestAsyncImportWithErrors(t *testing.T) {
	f := newFake(t, "2.40.3")
	f.importErrors = true
	res, err := f.client(t).ImportMetadata(context.Background(), `{"dataElements":[]}`, MetadataImportParams{Async: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusError || len(res.Errors) != 1 || res.Errors[0].Code != "E5002" {
		t.Fatalf("result %+v", res)
	}
}

func TestImportBodiesGzipWhereDHIS2DetectsIt(t *testing.T) {
	f := newFake(t, "2.41.1")
	c := f.client(t)
	big := map[string]any{"dataElements": make([]any, 0, 100)}
	for i := range 100 {
		big["dataElements"] = append(big["dataElements"].([]any), map[string]any{"id": fmt.Sprintf("de%09d", i), "name": "Data element with a long name"})
	}
	ctx := context.Background()
	if _, err := c.ImportMetadata(ctx, big, MetadataImportParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ImportTracker(ctx, big, TrackerImportParams{}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.gzipped["/api/metadata"] {
		t.Error("metadata body was not gzip-compressed")
	}
	if f.gzipped["/api/tracker"] {
		t.Error("tracker body was compressed")
	}
	var decoded map[string][]any
	if err := json.Unmarshal(f.bodies["/api/metadata"][0], &decoded); err != nil || len(decoded["dataElements"]) != 100 {
		t.Errorf("server could not read the compressed body: %v", err)
	}
}

func TestSystemInfoAndCapabilities(t *testing.T) {
	for _, v := range allVersions {
		f := newFake(t, v)
		c := f.client(t)
		caps, err := c.Capabilities(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if caps.Version.String() != v || !caps.Supported {
			t.Errorf("%s: caps %+v", v, caps)
		}
	}
	f := newFake(t, "2.35.4")
	_, err := f.client(t).Capabilities(context.Background())
	if !isKind(err, KindUnsupportedVersion) || !strings.Contains(err.Error(), "2.36 to 2.42") {
		t.Fatalf("2.35: err = %v", err)
	}
}

// A consumer may call the client while iterating, even with one slot.
func TestNestedCallsWhileIterating(t *testing.T) {
	f := newFake(t, "2.40.3")
	c, err := New(Options{BaseURL: f.srv.URL, Auth: Auth{Username: "admin", Password: "district"}, RatePerSecond: -1, MaxConcurrent: 1})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, err := range c.ListObjects(context.Background(), "dataElements", ListQuery{PageSize: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		if n%100 == 0 {
			if _, err := c.SystemInfo(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		n++
	}
	if n != f.dataElements {
		t.Fatalf("got %d", n)
	}
}
