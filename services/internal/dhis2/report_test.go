package dhis2

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wrapped2_38 is dhis2-core 2.38 WebMessageUtils#importReport: a 2.38+ 409 metadata report with an error.
const wrapped238MetadataError = `{"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","message":"One or more errors occurred, please see full details in import report.","response":{"responseType":"ImportReport","status":"ERROR","stats":{"created":0,"updated":0,"deleted":0,"ignored":1,"total":1},"typeReports":[{"klass":"org.hisp.dhis.dataelement.DataElement","stats":{"created":0,"updated":0,"deleted":0,"ignored":1,"total":1},"objectReports":[{"klass":"org.hisp.dhis.dataelement.DataElement","index":0,"uid":"deUid000001","errorReports":[{"message":"Invalid reference [ccMissing01] (CategoryCombo) on object DE A [deUid000001] (DataElement) for association ` + "`categoryCombo`" + `","mainKlass":"org.hisp.dhis.dataelement.DataElement","errorKlass":"org.hisp.dhis.category.CategoryCombo","errorProperty":"categoryCombo","errorCode":"E5002"}]}]}]}}`

// wrappedConflictSummary is a 2.38+ 409 ImportSummary with the 2.37+
// conflict sample inside.
func wrappedConflictSummary(t testing.TB) []byte {
	conflict := readSample(t, "dataValueSets_import_conflict_2.37plus_android.json")
	return []byte(`{"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","message":"One more conflicts encountered, please check import summary.","response":{"responseType":"ImportSummary","status":"WARNING","importCount":{"imported":3,"updated":0,"ignored":2,"deleted":0},"conflicts":[` +
		string(conflict) + `],"rejectedIndexes":[2,7],"dataSetComplete":"false"}}`)
}

func TestParseImportReportSamples(t *testing.T) {
	type want struct {
		reportType                                string
		status                                    Status
		created, updated, deleted, ignored, total int
		errors                                    []ObjectError
	}
	cases := []struct {
		name string
		body func(testing.TB) []byte
		want want
	}{
		{"metadata plain (docs)", sample("metadata_import_report_plain_docs.json"),
			want{"ImportReport", StatusOK, 3, 0, 0, 0, 3, nil}},
		{"metadata plain before 2.38 (task summary)", sample("metadata_import_report_plain_pre238_iea.json"),
			want{"ImportReport", StatusOK, 0, 0, 0, 0, 0, nil}},
		{"metadata wrapped 409 (2.38+)", literal(wrapped238MetadataError),
			want{"ImportReport", StatusError, 0, 0, 0, 1, 1, []ObjectError{{Code: "E5002", ObjectType: "DataElement",
				UID: "deUid000001", Property: "categoryCombo", Index: 0}}}},
		{"data values wrapped 200 (2.38+)", sample("dataValueSets_import_summary_wrapped_android.json"),
			want{"ImportSummary", StatusOK, 0, 10, 0, 0, 10, nil}},
		{"data values task summary", sample("dataValueSets_taskSummary_ImportSummary_iea.json"),
			want{"ImportSummary", StatusOK, 0, 0, 0, 0, 0, nil}},
		{"data values task summary (docs)", sample("system_taskSummaries_ImportSummary_docs.json"),
			want{"ImportSummary", StatusOK, 0, 431, 0, 0, 431, nil}},
		{"data values wrapped 409 with conflicts", wrappedConflictSummary,
			want{"ImportSummary", StatusWarning, 3, 0, 0, 2, 5, []ObjectError{
				{Code: "E7619", ObjectType: "dataElement", UID: "UOlfIjgN8X6", Property: "value", Value: "value_not_numeric", Index: 2},
				{Code: "E7619", ObjectType: "dataElement", UID: "UOlfIjgN8X6", Property: "value", Value: "value_not_numeric", Index: 7}}}},
		{"legacy events ImportSummaries with error", sample("events_legacy_import_summaries_error_iea.json"),
			want{"ImportSummaries", StatusError, 0, 0, 0, 1, 1, []ObjectError{{Index: 0}}}},
		{"legacy TEI nested ImportSummaries", sample("trackedEntityInstances_legacy_wrapped_ImportSummaries_android.json"),
			want{"ImportSummaries", StatusOK, 0, 2, 0, 0, 2, []ObjectError{{UID: "as6ygGvUGNg", Index: 0}}}},
		{"tracker sync full 2.36", sample("tracker_import_report_sync_full_2.36_docs.json"),
			want{"TrackerImportReport", StatusOK, 2, 0, 0, 0, 2, nil}},
		{"tracker ok 2.41", sample("tracker_import_report_ok_2.41_docs.json"),
			want{"TrackerImportReport", StatusOK, 3, 0, 0, 0, 3, nil}},
		{"tracker error E1041", sample("tracker_import_report_error_E1041_android.json"),
			want{"TrackerImportReport", StatusError, 0, 0, 0, 2, 2, []ObjectError{{Code: "E1041", ObjectType: "ENROLLMENT", UID: "XJPm2lZzxtq", Index: -1}}}},
		{"tracker error E1029", sample("tracker_import_report_error_E1029_android.json"),
			want{"TrackerImportReport", StatusError, 0, 0, 0, 1, 1, []ObjectError{{Code: "E1029", ObjectType: "EVENT", UID: "STPIK5YTi4f", Index: -1}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := ParseImportReport(tc.body(t))
			if err != nil {
				t.Fatal(err)
			}
			got := want{res.ReportType, res.Status, res.Created, res.Updated, res.Deleted, res.Ignored, res.Total, nil}
			w := tc.want
			if got.reportType != w.reportType || got.status != w.status || got.created != w.created || got.updated != w.updated ||
				got.deleted != w.deleted || got.ignored != w.ignored || got.total != w.total {
				t.Errorf("got %+v, want %+v", got, w)
			}
			if len(res.Errors) != len(w.errors) {
				t.Fatalf("got %d errors %v, want %d", len(res.Errors), res.Errors, len(w.errors))
			}
			for i, we := range w.errors {
				ge := res.Errors[i]
				if ge.Message == "" {
					t.Errorf("error %d has no message", i)
				}
				ge.Message = ""
				if ge != we {
					t.Errorf("error %d = %+v, want %+v", i, ge, we)
				}
			}
			if len(res.Raw) == 0 {
				t.Error("Raw is empty")
			}
		})
	}
}

func TestParseImportReportRejectsNonReports(t *testing.T) {
	for _, name := range []string{"error_403_webmessage_docs.json", "tracker_idscheme_error_422_2.42_docs.json",
		"metadata_import_async_started_v44_recorded.json", "tracker_async_job_added_2.41_docs.json", "system_info_docs_example.json"} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseImportReport(readSample(t, name))
			if !errors.Is(err, ErrNotImportReport) {
				t.Fatalf("err = %v, want ErrNotImportReport", err)
			}
		})
	}
	if _, err := ParseImportReport([]byte(`{"status":`)); err == nil || errors.Is(err, ErrNotImportReport) {
		t.Fatalf("truncated JSON: err = %v, want a syntax error", err)
	}
}

func TestParseAsyncJob(t *testing.T) {
	cases := []struct{ file, id, jobType, endpoint string }{
		{"metadata_import_async_started_v44_recorded.json", "cb48ri1yBy2", "METADATA_IMPORT", "/api/system/tasks/METADATA_IMPORT/cb48ri1yBy2"},
		{"dataValueSets_async_started_docs.json", "YR1UxOUXmzT", "DATAVALUE_IMPORT", "/api/system/tasks/DATAVALUE_IMPORT/YR1UxOUXmzT"},
		{"dataValueSets_async_started_iea.json", "VSvRqiTbZFw", "DATAVALUE_IMPORT", "/api/system/tasks/DATAVALUE_IMPORT/VSvRqiTbZFw"},
		{"tracker_async_job_added_2.41_docs.json", "cHh2OCTJvRw", "", "https://play.im.dhis2.org/dev/api/tracker/jobs/cHh2OCTJvRw"},
		{"tracker_async_job_added_android.json", "LkXBUdIgbe3", "", "https://play.dhis2.org/dev/api/tracker/jobs/LkXBUdIgbe3"},
	}
	for _, tc := range cases {
		job, err := parseAsyncJob(readSample(t, tc.file))
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if job.ID != tc.id || job.JobType != tc.jobType || job.Endpoint != tc.endpoint {
			t.Errorf("%s: got %+v", tc.file, job)
		}
	}
}

func TestJobDoneOnSamples(t *testing.T) {
	cases := []struct {
		file string
		done bool
	}{
		{"system_tasks_job_docs.json", true},
		{"system_tasks_metadata_import_v44_recorded.json", false},
		{"tracker_job_notifications_2.38_docs.json", true},
		{"tracker_jobs_notifications_android.json", true},
	}
	for _, tc := range cases {
		var ns []notification
		if err := jsonUnmarshal(readSample(t, tc.file), &ns); err != nil {
			t.Fatal(err)
		}
		done, failed, last := jobDone(ns)
		if done != tc.done || failed || last == "" {
			t.Errorf("%s: done=%v failed=%v last=%q", tc.file, done, failed, last)
		}
	}
}

// FuzzParseImportReport: no input makes the parser panic, and a parsed
// result is internally consistent.
func FuzzParseImportReport(f *testing.F) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".json") && e.Name() != "metadata_export_aggregate_e2e.json" {
			f.Add(readSample(f, e.Name()))
		}
	}
	f.Add([]byte(wrapped238MetadataError))
	f.Add(wrappedConflictSummary(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseImportReport(data)
		if err != nil {
			return
		}
		switch res.Status {
		case StatusOK, StatusWarning, StatusError:
		default:
			t.Fatalf("status %q", res.Status)
		}
		for _, e := range res.Errors {
			_ = e.String()
		}
	})
}

// FuzzParseAsyncJob: the async reply parser never panics.
func FuzzParseAsyncJob(f *testing.F) {
	for _, name := range []string{"metadata_import_async_started_v44_recorded.json", "tracker_async_job_added_android.json",
		"dataValueSets_async_started_docs.json", "error_403_webmessage_docs.json"} {
		f.Add(readSample(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		job, err := parseAsyncJob(data)
		if err == nil && job.ID == "" {
			t.Fatal("job without id accepted")
		}
	})
}

func sample(name string) func(testing.TB) []byte {
	return func(t testing.TB) []byte { return readSample(t, name) }
}

func literal(s string) func(testing.TB) []byte {
	return func(testing.TB) []byte { return []byte(s) }
}
