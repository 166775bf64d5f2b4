package dhis2sim

import (
	"net/http"
)

// importStats is DHIS2's feedback Stats.
type importStats struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
	Ignored int `json:"ignored"`
	Total   int `json:"total"`
}

func (a *importStats) add(b importStats) {
	a.Created += b.Created
	a.Updated += b.Updated
	a.Deleted += b.Deleted
	a.Ignored += b.Ignored
	a.Total += b.Total
}

// errorReport is DHIS2's feedback ErrorReport (dhis2-core MetadataImportExportController and feedback/ImportReport); args exists from 2.41.
type errorReport struct {
	Message         string   `json:"message"`
	MainKlass       string   `json:"mainKlass"`
	MainID          string   `json:"mainId,omitempty"`
	ErrorKlass      string   `json:"errorKlass,omitempty"`
	ErrorProperty   string   `json:"errorProperty,omitempty"`
	ErrorProperties []string `json:"errorProperties,omitempty"`
	Value           any      `json:"value,omitempty"`
	ErrorCode       string   `json:"errorCode"`
	Args            []string `json:"args,omitempty"`
}

type objectReport struct {
	Klass        string        `json:"klass"`
	Index        int           `json:"index"`
	UID          string        `json:"uid,omitempty"`
	DisplayName  string        `json:"displayName,omitempty"`
	ErrorReports []errorReport `json:"errorReports"`
}

type typeReport struct {
	Klass         string         `json:"klass"`
	Stats         importStats    `json:"stats"`
	ObjectReports []objectReport `json:"objectReports,omitempty"`
}

// importReport is the version-neutral result of a metadata import; render gives its version shape.
type importReport struct {
	Status      string
	Stats       importStats
	TypeReports []typeReport
	Params      importParams
}

// plainReport renders the unwrapped report:
//   - 2.36: {importParams, status, typeReports, stats} (S:metadata_import_report_plain_docs.json).
//   - 2.37 unversioned, and /api/37 (or lower) on 2.38+: {responseType:"ImportReport", status, stats,
//     typeReports} — WebMessageControllerAdvice unwraps ImportReportWebMessageResponse (dhis2-core WebMessageControllerAdvice, DhisApiVersion; release notes 2.38).
func (s *Server) plainReport(r *importReport) *orderedObject {
	o := &orderedObject{}
	trs := s.typeReportsJSON(r)
	if s.version.Minor == 36 {
		o.set("importParams", r.Params.jsonParams()).set("status", r.Status).set("typeReports", trs).set("stats", r.Stats)
		return o
	}
	return o.set("responseType", "ImportReport").set("status", r.Status).set("stats", r.Stats).set("typeReports", trs)
}

func (s *Server) typeReportsJSON(r *importReport) []any {
	out := make([]any, 0, len(r.TypeReports))
	for _, tr := range r.TypeReports {
		o := &orderedObject{}
		o.set("klass", tr.Klass).set("stats", tr.Stats)
		if len(tr.ObjectReports) > 0 || s.version.AtLeast(38) {
			ors := tr.ObjectReports
			if ors == nil {
				ors = []objectReport{}
			}
			o.set("objectReports", ors)
		}
		out = append(out, o)
	}
	return out
}

// writeImportReport writes a metadata import report in the shape of the simulated version and the API version
// of the request path: plain with HTTP 200 before V38; from V38 wrapped in a WebMessage, with HTTP 409 and
// outer status WARNING when the report is not OK (core@2.38 WebMessageUtils#importReport).
func (s *Server) writeImportReport(q *req, r *importReport) {
	if q.apiVersion < 38 {
		writeJSON(q.w, http.StatusOK, s.plainReport(r))
		return
	}
	inner := s.plainReport(r)
	if s.version.Minor == 36 {
		inner = (&orderedObject{}).set("responseType", "ImportReport").set("status", r.Status).
			set("stats", r.Stats).set("typeReports", s.typeReportsJSON(r))
	}
	if r.Status == "OK" {
		writeWebMessage(q.w, http.StatusOK, "OK", "", "", inner)
		return
	}
	writeWebMessage(q.w, http.StatusConflict, "WARNING",
		"One or more errors occurred, please see full details in import report.", "", inner)
}
