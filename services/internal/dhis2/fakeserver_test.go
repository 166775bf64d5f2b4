package dhis2

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// allVersions are the releases every client test runs against.
var allVersions = []string{"2.36.13", "2.37.9", "2.38.6", "2.39.4", "2.40.3", "2.41.1", "2.42.0"}

// fakeDHIS2 imitates the parts of a DHIS2 server of one version that the
// client tests need, with the version's paging and report shapes.
type fakeDHIS2 struct {
	t       testing.TB
	version Version
	caps    Capabilities
	srv     *httptest.Server

	dataElements    int
	trackedEntities int
	// importErrors makes imports reject one object.
	importErrors bool
	// pollsBeforeDone is how many job polls answer "not completed".
	pollsBeforeDone int

	mu       sync.Mutex
	queries  map[string][]url.Values // path -> query of each request
	bodies   map[string][][]byte     // path -> decompressed request bodies
	gzipped  map[string]bool
	polls    map[string]int
	reported map[string]bool
}

func newFake(t testing.TB, version string) *fakeDHIS2 {
	f := &fakeDHIS2{t: t, version: MustParseVersion(version), dataElements: 523, trackedEntities: 237, pollsBeforeDone: 2,
		queries: map[string][]url.Values{}, bodies: map[string][][]byte{}, gzipped: map[string]bool{},
		polls: map[string]int{}, reported: map[string]bool{}}
	f.caps = CapabilitiesFor(f.version)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDHIS2) client(t testing.TB) *Client {
	t.Helper()
	c, err := New(Options{BaseURL: f.srv.URL + "/api/", Auth: Auth{Username: "admin", Password: "district"},
		RatePerSecond: -1, MaxConcurrent: 8})
	if err != nil {
		t.Fatal(err)
	}
	c.sleepHook = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	return c
}

func (f *fakeDHIS2) record(r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries[r.URL.Path] = append(f.queries[r.URL.Path], r.URL.Query())
	if r.Body != nil && r.Method == http.MethodPost {
		b, _ := io.ReadAll(r.Body)
		if isGzip(b) {
			f.gzipped[r.URL.Path] = true
			zr, err := gzip.NewReader(strings.NewReader(string(b)))
			if err == nil {
				b, _ = io.ReadAll(zr)
			}
		}
		f.bodies[r.URL.Path] = append(f.bodies[r.URL.Path], b)
	}
}

func (f *fakeDHIS2) lastQuery(path string) url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	qs := f.queries[path]
	if len(qs) == 0 {
		return nil
	}
	return qs[len(qs)-1]
}

func (f *fakeDHIS2) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queries[path])
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeDHIS2) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") == "" {
		http.Redirect(w, r, "/dhis-web-commons/security/login.action", http.StatusFound)
		return
	}
	f.record(r)
	p := strings.TrimPrefix(r.URL.Path, "/api/")
	switch {
	case p == "system/info":
		writeJSON(w, 200, map[string]any{"version": f.version.String(), "revision": "abc1234", "systemName": "Fake",
			"serverDate": "2024-03-01T10:00:00.000", "serverTimeZoneId": "Etc/UTC"})
	case p == "dataElements":
		f.serveDataElements(w, r)
	case strings.HasPrefix(p, "tracker/") && r.Method == http.MethodGet && !strings.HasPrefix(p, "tracker/jobs"):
		f.serveTrackerExport(w, r, TrackerKind(strings.TrimPrefix(p, "tracker/")))
	case p == "metadata" && r.Method == http.MethodPost:
		f.serveMetadataImport(w, r)
	case p == "dataValueSets" && r.Method == http.MethodPost:
		f.serveDataValueImport(w, r)
	case p == "tracker" && r.Method == http.MethodPost:
		f.serveTrackerImport(w, r)
	case strings.HasPrefix(p, "system/tasks/"):
		f.serveTasks(w, strings.TrimPrefix(p, "system/tasks/"))
	case strings.HasPrefix(p, "system/taskSummaries/"):
		f.serveTaskSummary(w, strings.TrimPrefix(p, "system/taskSummaries/"))
	case strings.HasPrefix(p, "tracker/jobs/"):
		f.serveTrackerJob(w, strings.TrimPrefix(p, "tracker/jobs/"))
	default:
		writeJSON(w, 404, map[string]any{"httpStatus": "Not Found", "httpStatusCode": 404, "status": "ERROR", "message": "not modelled: " + p})
	}
}

func (f *fakeDHIS2) serveDataElements(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("pageSize"))
	if page == 0 {
		page = 1
	}
	if size == 0 {
		size = 50
	}
	if q.Get("paging") == "false" {
		page, size = 1, f.dataElements
	}
	pageCount := (f.dataElements + size - 1) / size
	pager := map[string]any{"page": page, "pageCount": pageCount, "total": f.dataElements, "pageSize": size}
	if page < pageCount {
		pager["nextPage"] = fmt.Sprintf("%s/api/dataElements?page=%d", f.srv.URL, page+1)
	}
	items := []map[string]any{}
	for i := (page - 1) * size; i < min(page*size, f.dataElements); i++ {
		items = append(items, map[string]any{"id": fmt.Sprintf("de%09d", i), "name": fmt.Sprintf("DE %d", i)})
	}
	body := map[string]any{"dataElements": items}
	if q.Get("paging") != "false" {
		body["pager"] = pager
	}
	writeJSON(w, 200, body)
}

// serveTrackerExport answers with the paging shape of the version (dhis2-core PagingWrapper; tracker/view/Page); no totals, as without totalPages=true.
func (f *fakeDHIS2) serveTrackerExport(w http.ResponseWriter, r *http.Request, kind TrackerKind) {
	q := r.URL.Query()
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("pageSize"))
	if page == 0 {
		page = 1
	}
	if size == 0 {
		size = 50
	}
	n := f.trackedEntities
	idKey := map[TrackerKind]string{TrackedEntities: "trackedEntity", Enrollments: "enrollment", Events: "event", Relationships: "relationship"}[kind]
	items := []map[string]any{}
	for i := (page - 1) * size; i < min(page*size, n); i++ {
		items = append(items, map[string]any{idKey: fmt.Sprintf("te%09d", i)})
	}
	body := map[string]any{}
	switch {
	case f.version.Minor <= 40:
		body["instances"], body["page"], body["pageSize"] = items, page, size
	case f.version.Minor == 41:
		body[string(kind)], body["page"], body["pageSize"] = items, page, size
		body["pager"] = map[string]any{"page": page, "pageSize": size}
	default:
		pager := map[string]any{"page": page, "pageSize": size}
		if page*size < n {
			pager["nextPage"] = fmt.Sprintf("%s%s?page=%d", f.srv.URL, r.URL.Path, page+1)
		}
		body[string(kind)], body["pager"] = items, pager
	}
	writeJSON(w, 200, body)
}

func metadataReport(withError bool) map[string]any {
	stats := map[string]any{"created": 2, "updated": 0, "deleted": 0, "ignored": 0, "total": 2}
	rep := map[string]any{"status": "OK", "stats": stats, "typeReports": []any{}}
	if withError {
		stats["created"], stats["ignored"] = 1, 1
		rep["status"] = "ERROR"
		rep["typeReports"] = []any{map[string]any{"klass": "org.hisp.dhis.dataelement.DataElement", "stats": stats,
			"objectReports": []any{map[string]any{"klass": "org.hisp.dhis.dataelement.DataElement", "index": 1, "uid": "deUid000001",
				"errorReports": []any{map[string]any{"message": "Invalid reference [ccMissing01] (CategoryCombo)", "mainKlass": "org.hisp.dhis.dataelement.DataElement",
					"errorKlass": "org.hisp.dhis.category.CategoryCombo", "errorProperty": "categoryCombo", "errorCode": "E5002"}}}}}}
	}
	return rep
}

// reply writes a report the way the version does: plain before 2.38,
// WebMessage-wrapped (409 on errors) from 2.38 (dhis2-core WebMessageControllerAdvice, DhisApiVersion; release notes 2.38).
func (f *fakeDHIS2) reply(w http.ResponseWriter, responseType string, report map[string]any, failed bool) {
	if !f.caps.ReportWrapped() {
		if f.version.Minor == 37 {
			report["responseType"] = responseType
		} else if responseType == "ImportReport" {
			report["importParams"] = map[string]any{"importMode": "COMMIT"}
		}
		writeJSON(w, 200, report)
		return
	}
	report["responseType"] = responseType
	if failed {
		writeJSON(w, 409, map[string]any{"httpStatus": "Conflict", "httpStatusCode": 409, "status": "WARNING",
			"message": "One or more errors occurred, please see full details in import report.", "response": report})
		return
	}
	writeJSON(w, 200, map[string]any{"httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "response": report})
}

func (f *fakeDHIS2) startJob(w http.ResponseWriter, jobType string) {
	id := jobType[:3] + "Job000001"
	writeJSON(w, 200, map[string]any{"httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "message": "Initiated " + jobType,
		"response": map[string]any{"name": jobType, "id": id, "jobType": jobType, "responseType": "JobConfiguration",
			"relativeNotifierEndpoint": "/api/system/tasks/" + jobType + "/" + id}})
}

func (f *fakeDHIS2) serveMetadataImport(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("async") == "true" {
		f.startJob(w, "METADATA_IMPORT")
		return
	}
	f.reply(w, "ImportReport", metadataReport(f.importErrors), f.importErrors)
}

func dataValueSummary(withError bool) map[string]any {
	s := map[string]any{"status": "SUCCESS", "description": "Import process completed successfully",
		"importCount": map[string]any{"imported": 2, "updated": 0, "ignored": 0, "deleted": 0}, "conflicts": []any{}}
	if withError {
		s["status"] = "WARNING"
		s["importCount"] = map[string]any{"imported": 1, "updated": 0, "ignored": 1, "deleted": 0}
		s["conflicts"] = []any{map[string]any{"object": "UOlfIjgN8X6", "objects": map[string]any{"dataElement": "UOlfIjgN8X6"},
			"value": "Data value is not numeric", "errorCode": "E7619", "property": "value", "indexes": []any{1}}}
	}
	return s
}

func (f *fakeDHIS2) serveDataValueImport(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("async") == "true" {
		f.startJob(w, "DATAVALUE_IMPORT")
		return
	}
	f.reply(w, "ImportSummary", dataValueSummary(f.importErrors), f.importErrors)
}

func trackerReport(withError bool) map[string]any {
	rep := map[string]any{"status": "OK", "validationReport": map[string]any{"errorReports": []any{}},
		"stats": map[string]any{"created": 2, "updated": 0, "deleted": 0, "ignored": 0, "total": 2}}
	if withError {
		rep["status"] = "ERROR"
		rep["stats"] = map[string]any{"created": 0, "updated": 0, "deleted": 0, "ignored": 2, "total": 2}
		rep["validationReport"] = map[string]any{"errorReports": []any{map[string]any{"message": "Enrollment OrganisationUnit and Program dont match.",
			"errorCode": "E1041", "trackerType": "ENROLLMENT", "uid": "XJPm2lZzxtq"}}}
	}
	return rep
}

// serveTrackerImport: sync answers are plain reports in every version, 409
// on ERROR (docs.dhis2.org tracker.md; dhis2-core TrackerImportController).
func (f *fakeDHIS2) serveTrackerImport(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("async") != "false" {
		writeJSON(w, 200, map[string]any{"httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "message": "Tracker job added",
			"response": map[string]any{"responseType": "TrackerJob", "id": "trkJob00001", "location": f.srv.URL + "/api/tracker/jobs/trkJob00001"}})
		return
	}
	status := 200
	if f.importErrors {
		status = 409
	}
	writeJSON(w, status, trackerReport(f.importErrors))
}

func (f *fakeDHIS2) pollCount(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls[key]++
	return f.polls[key]
}

func (f *fakeDHIS2) serveTasks(w http.ResponseWriter, key string) {
	n := f.pollCount(key)
	if n == 1 {
		writeJSON(w, 200, []any{}) // not started yet
		return
	}
	done := n > f.pollsBeforeDone
	writeJSON(w, 200, []any{map[string]any{"uid": "n1", "level": "INFO", "message": "Import running", "completed": done}})
	if done {
		f.mu.Lock()
		f.reported[key] = true
		f.mu.Unlock()
	}
}

func (f *fakeDHIS2) serveTaskSummary(w http.ResponseWriter, key string) {
	f.mu.Lock()
	done := f.reported[key]
	f.mu.Unlock()
	if !done {
		f.t.Errorf("task summary %s read before the job completed", key)
	}
	if strings.HasPrefix(key, "METADATA_IMPORT") {
		writeJSON(w, 200, metadataReport(f.importErrors))
		return
	}
	writeJSON(w, 200, dataValueSummary(f.importErrors))
}

func (f *fakeDHIS2) serveTrackerJob(w http.ResponseWriter, rest string) {
	id, report := strings.CutSuffix(rest, "/report")
	if report {
		f.mu.Lock()
		done := f.reported[id]
		f.mu.Unlock()
		if !done {
			f.t.Errorf("tracker report %s read before the job completed", id)
		}
		writeJSON(w, 200, trackerReport(f.importErrors))
		return
	}
	n := f.pollCount(id)
	done := n > f.pollsBeforeDone
	msg := "Running Validation"
	if done {
		msg = "Import complete with status OK, 2 created, 0 updated, 0 deleted, 0 ignored"
		f.mu.Lock()
		f.reported[id] = true
		f.mu.Unlock()
	}
	writeJSON(w, 200, []any{map[string]any{"uid": "n1", "level": "INFO", "category": "TRACKER_IMPORT_JOB", "message": msg, "completed": done}})
}
