package dhis2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Status is the outcome of an import, normalised over every report shape
// (ImportSummary's SUCCESS becomes OK).
type Status string

const (
	StatusOK      Status = "OK"
	StatusWarning Status = "WARNING"
	StatusError   Status = "ERROR"
)

// ImportResult is one import outcome whatever the DHIS2 version and report
// shape: metadata ImportReport (plain or wrapped), ImportSummary,
// ImportSummaries (legacy events and TEIs) and tracker import reports.
type ImportResult struct {
	Status                                    Status
	Created, Updated, Deleted, Ignored, Total int
	// Errors are the per-object errors; Warnings the tracker warnings.
	Errors   []ObjectError
	Warnings []ObjectError
	// Message is the report's own message or description, if any.
	Message string
	// ReportType is the shape that was parsed: ImportReport, ImportSummary,
	// ImportSummaries or TrackerImportReport.
	ReportType string
	// RejectedIndexes lists rejected rows of a data value import (2.39+).
	RejectedIndexes []int
	// Raw is the report as received (unwrapped from a WebMessage).
	Raw        json.RawMessage
	HTTPStatus int
	// JobID is the server job of an asynchronous import.
	JobID string
}

// OK reports whether nothing was rejected.
func (r *ImportResult) OK() bool { return r.Status == StatusOK && len(r.Errors) == 0 }

// ObjectError is one rejected object or value.
type ObjectError struct {
	Code string // DHIS2 error code, e.g. E5002, E1041, E7619
	// ObjectType is the short class (DataElement) or tracker type (EVENT).
	ObjectType string
	UID        string
	Property   string
	Value      string
	Message    string
	// Index is the object's position in the payload, or -1 when unknown.
	Index int
}

func (e ObjectError) String() string {
	var b strings.Builder
	if e.Code != "" {
		b.WriteString(e.Code + " ")
	}
	if e.ObjectType != "" || e.UID != "" {
		fmt.Fprintf(&b, "%s %s ", e.ObjectType, e.UID)
	}
	if e.Property != "" {
		fmt.Fprintf(&b, "(%s) ", e.Property)
	}
	b.WriteString(e.Message)
	return strings.TrimSpace(b.String())
}

// ErrNotImportReport means a body is valid JSON but carries no import report
// (e.g. a plain WebMessage error, or an async job reference).
var ErrNotImportReport = errors.New("dhis2: the body is not an import report")

type rawStats struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
	Ignored int `json:"ignored"`
	Total   int `json:"total"`
}

type rawImportCount struct {
	Imported int `json:"imported"`
	Updated  int `json:"updated"`
	Ignored  int `json:"ignored"`
	Deleted  int `json:"deleted"`
}

type rawErrorReport struct {
	Message       string          `json:"message"`
	MainKlass     string          `json:"mainKlass"`
	MainID        string          `json:"mainId"`
	ErrorKlass    string          `json:"errorKlass"`
	ErrorProperty string          `json:"errorProperty"`
	Value         json.RawMessage `json:"value"`
	ErrorCode     string          `json:"errorCode"`
	// Tracker error reports.
	TrackerType string `json:"trackerType"`
	UID         string `json:"uid"`
}

type rawObjectReport struct {
	Klass        string           `json:"klass"`
	TrackerType  string           `json:"trackerType"`
	UID          string           `json:"uid"`
	Index        *int             `json:"index"`
	ErrorReports []rawErrorReport `json:"errorReports"`
}

type rawTypeReport struct {
	Klass         string            `json:"klass"`
	TrackerType   string            `json:"trackerType"`
	Stats         *rawStats         `json:"stats"`
	ObjectReports []rawObjectReport `json:"objectReports"`
}

type rawConflict struct {
	Object    string            `json:"object"`
	Objects   map[string]string `json:"objects"`
	Value     json.RawMessage   `json:"value"`
	ErrorCode string            `json:"errorCode"`
	Property  string            `json:"property"`
	Indexes   []int             `json:"indexes"`
}

// rawReport is the union of every report shape and the WebMessage wrapper.
type rawReport struct {
	HTTPStatusCode int             `json:"httpStatusCode"`
	Message        string          `json:"message"`
	Response       json.RawMessage `json:"response"`
	ResponseType   string          `json:"responseType"`
	Status         string          `json:"status"`

	// Metadata ImportReport.
	ImportParams json.RawMessage  `json:"importParams"`
	Stats        *rawStats        `json:"stats"`
	TypeReports  []rawTypeReport  `json:"typeReports"`
	ErrorReports []rawErrorReport `json:"errorReports"`

	// Tracker import report.
	ValidationReport *struct {
		ErrorReports   []rawErrorReport `json:"errorReports"`
		WarningReports []rawErrorReport `json:"warningReports"`
	} `json:"validationReport"`
	BundleReport *struct {
		TypeReportMap map[string]rawTypeReport `json:"typeReportMap"`
	} `json:"bundleReport"`

	// ImportSummary.
	ImportCount     *rawImportCount `json:"importCount"`
	Conflicts       []rawConflict   `json:"conflicts"`
	Description     string          `json:"description"`
	RejectedIndexes []int           `json:"rejectedIndexes"`
	Reference       string          `json:"reference"`

	// ImportSummaries (legacy events, TEIs) and their nesting.
	ImportSummaries []rawReport `json:"importSummaries"`
	Imported        *int        `json:"imported"`
	Updated         *int        `json:"updated"`
	Deleted         *int        `json:"deleted"`
	Ignored         *int        `json:"ignored"`
	Total           *int        `json:"total"`
	Enrollments     *rawReport  `json:"enrollments"`
	Events          *rawReport  `json:"events"`

	// Async job references.
	ID                       string `json:"id"`
	JobType                  string `json:"jobType"`
	RelativeNotifierEndpoint string `json:"relativeNotifierEndpoint"`
	Location                 string `json:"location"`
}

// ParseImportReport decodes any DHIS2 import report shape of 2.36–2.42 into
// an ImportResult. It never panics; a body without a report gives an error
// wrapping ErrNotImportReport.
func ParseImportReport(data []byte) (*ImportResult, error) {
	var rr rawReport
	if err := json.Unmarshal(data, &rr); err != nil {
		return nil, fmt.Errorf("dhis2: import report: %w", err)
	}
	res := &ImportResult{}
	if rr.HTTPStatusCode != 0 {
		res.HTTPStatus = rr.HTTPStatusCode
		if len(bytes.TrimSpace(rr.Response)) == 0 || string(bytes.TrimSpace(rr.Response)) == "null" {
			return nil, fmt.Errorf("%w: WebMessage %d %q", ErrNotImportReport, rr.HTTPStatusCode, rr.Message)
		}
		outerMessage := rr.Message
		data = rr.Response
		rr = rawReport{}
		if err := json.Unmarshal(data, &rr); err != nil {
			return nil, fmt.Errorf("dhis2: import report response: %w", err)
		}
		defer func() {
			if res.Message == "" {
				res.Message = outerMessage
			}
		}()
	}
	res.Raw = append(json.RawMessage(nil), data...)
	switch {
	case rr.ValidationReport != nil || rr.BundleReport != nil:
		fillTracker(res, &rr)
	case rr.Stats != nil || rr.TypeReports != nil || rr.ResponseType == "ImportReport" || rr.ImportParams != nil:
		fillMetadata(res, &rr)
	case rr.ImportSummaries != nil || rr.ResponseType == "ImportSummaries":
		res.ReportType = "ImportSummaries"
		fillSummaries(res, &rr, true)
	case rr.ImportCount != nil || rr.ResponseType == "ImportSummary":
		res.ReportType = "ImportSummary"
		fillSummary(res, &rr, -1)
		c := rr.ImportCount
		if c != nil {
			res.Created, res.Updated, res.Ignored, res.Deleted = c.Imported, c.Updated, c.Ignored, c.Deleted
		}
		res.Total = res.Created + res.Updated + res.Ignored + res.Deleted
		res.RejectedIndexes = rr.RejectedIndexes
		res.Message = rr.Description
	default:
		return nil, fmt.Errorf("%w (responseType %q)", ErrNotImportReport, rr.ResponseType)
	}
	res.Status = normalizeStatus(rr.Status, res)
	return res, nil
}

func normalizeStatus(s string, res *ImportResult) Status {
	switch strings.ToUpper(s) {
	case "OK", "SUCCESS":
		return StatusOK
	case "WARNING":
		return StatusWarning
	case "ERROR":
		return StatusError
	}
	if len(res.Errors) > 0 {
		return StatusError
	}
	return StatusOK
}

func fillMetadata(res *ImportResult, rr *rawReport) {
	res.ReportType = "ImportReport"
	if s := rr.Stats; s != nil {
		res.Created, res.Updated, res.Deleted, res.Ignored, res.Total = s.Created, s.Updated, s.Deleted, s.Ignored, s.Total
	}
	for _, tr := range rr.TypeReports {
		for _, or := range tr.ObjectReports {
			idx := -1
			if or.Index != nil {
				idx = *or.Index
			}
			for _, er := range or.ErrorReports {
				res.Errors = append(res.Errors, ObjectError{
					Code:       er.ErrorCode,
					ObjectType: ShortClassName(firstNonEmpty(or.Klass, er.MainKlass, tr.Klass)),
					UID:        firstNonEmpty(or.UID, er.MainID),
					Property:   er.ErrorProperty,
					Value:      rawToString(er.Value),
					Message:    er.Message,
					Index:      idx,
				})
			}
		}
	}
	// Some replies (single-object writes) carry errorReports at the root.
	for _, er := range rr.ErrorReports {
		res.Errors = append(res.Errors, ObjectError{Code: er.ErrorCode, ObjectType: ShortClassName(er.MainKlass),
			UID: er.MainID, Property: er.ErrorProperty, Value: rawToString(er.Value), Message: er.Message, Index: -1})
	}
}

func fillTracker(res *ImportResult, rr *rawReport) {
	res.ReportType = "TrackerImportReport"
	if s := rr.Stats; s != nil {
		res.Created, res.Updated, res.Deleted, res.Ignored, res.Total = s.Created, s.Updated, s.Deleted, s.Ignored, s.Total
	}
	res.Message = rr.Message
	// Object indexes (2.36–2.40) come from the bundle report.
	type key struct{ typ, uid string }
	index := map[key]int{}
	seen := map[[3]string]bool{}
	var bundleErrors []ObjectError
	if br := rr.BundleReport; br != nil {
		for typ, tr := range br.TypeReportMap {
			for _, or := range tr.ObjectReports {
				t := firstNonEmpty(or.TrackerType, tr.TrackerType, typ)
				if or.Index != nil {
					index[key{t, or.UID}] = *or.Index
				}
				for _, er := range or.ErrorReports {
					bundleErrors = append(bundleErrors, trackerError(er, firstNonEmpty(er.TrackerType, t), firstNonEmpty(er.UID, or.UID)))
				}
			}
		}
	}
	withIndex := func(e ObjectError) ObjectError {
		if i, ok := index[key{e.ObjectType, e.UID}]; ok {
			e.Index = i
		}
		return e
	}
	if vr := rr.ValidationReport; vr != nil {
		for _, er := range vr.ErrorReports {
			e := withIndex(trackerError(er, er.TrackerType, er.UID))
			seen[[3]string{e.Code, e.ObjectType, e.UID}] = true
			res.Errors = append(res.Errors, e)
		}
		for _, er := range vr.WarningReports {
			res.Warnings = append(res.Warnings, withIndex(trackerError(er, er.TrackerType, er.UID)))
		}
	}
	for _, e := range bundleErrors {
		if !seen[[3]string{e.Code, e.ObjectType, e.UID}] {
			res.Errors = append(res.Errors, withIndex(e))
		}
	}
}

func trackerError(er rawErrorReport, typ, uid string) ObjectError {
	return ObjectError{Code: er.ErrorCode, ObjectType: typ, UID: uid, Message: er.Message,
		Property: er.ErrorProperty, Value: rawToString(er.Value), Index: -1}
}

// fillSummary adds the conflicts of one ImportSummary; index is the
// summary's position in an ImportSummaries list, or -1.
func fillSummary(res *ImportResult, rr *rawReport, index int) {
	for _, c := range rr.Conflicts {
		uid, msg := c.Object, rawToString(c.Value)
		// Some legacy replies swap object and value (message in object).
		if !looksLikeUID(uid) && looksLikeUID(msg) {
			uid, msg = msg, uid
		}
		e := ObjectError{Code: c.ErrorCode, UID: uid, Property: c.Property, Message: msg, Index: index}
		for typ, id := range c.Objects {
			if id == c.Object && typ != "value" {
				e.ObjectType = typ
			}
		}
		if v, ok := c.Objects["value"]; ok {
			e.Value = v
		}
		if e.UID == "" && rr.Reference != "" {
			e.UID = rr.Reference
		}
		if len(c.Indexes) == 0 {
			res.Errors = append(res.Errors, e)
			continue
		}
		for _, i := range c.Indexes {
			e.Index = i
			res.Errors = append(res.Errors, e)
		}
	}
	if strings.EqualFold(rr.Status, "ERROR") && len(rr.Conflicts) == 0 && rr.Description != "" {
		res.Errors = append(res.Errors, ObjectError{UID: rr.Reference, Message: strings.TrimSpace(rr.Description), Index: index})
	}
}

// fillSummaries walks ImportSummaries, including the enrollments and events
// nested in legacy TEI replies; counts come from the top level.
func fillSummaries(res *ImportResult, rr *rawReport, top bool) {
	var sum rawImportCount
	for i := range rr.ImportSummaries {
		s := &rr.ImportSummaries[i]
		fillSummary(res, s, i)
		if c := s.ImportCount; c != nil {
			sum.Imported += c.Imported
			sum.Updated += c.Updated
			sum.Ignored += c.Ignored
			sum.Deleted += c.Deleted
		}
		for _, nested := range []*rawReport{s.Enrollments, s.Events} {
			if nested != nil {
				fillSummaries(res, nested, false)
			}
		}
	}
	if !top {
		return
	}
	pick := func(p *int, fallback int) int {
		if p != nil {
			return *p
		}
		return fallback
	}
	res.Created = pick(rr.Imported, sum.Imported)
	res.Updated = pick(rr.Updated, sum.Updated)
	res.Deleted = pick(rr.Deleted, sum.Deleted)
	res.Ignored = pick(rr.Ignored, sum.Ignored)
	res.Total = pick(rr.Total, res.Created+res.Updated+res.Deleted+res.Ignored)
	res.Message = rr.Description
}

// asyncJob is the reference an async import returns.
type asyncJob struct {
	ID       string
	JobType  string
	Endpoint string // relativeNotifierEndpoint or location
}

// parseAsyncJob reads "Initiated …" (JobConfiguration) and "Tracker job
// added" (TrackerJob) replies.
func parseAsyncJob(data []byte) (asyncJob, error) {
	var wm rawReport
	if err := json.Unmarshal(data, &wm); err != nil {
		return asyncJob{}, err
	}
	inner := wm
	if len(wm.Response) > 0 {
		inner = rawReport{}
		if err := json.Unmarshal(wm.Response, &inner); err != nil {
			return asyncJob{}, err
		}
	}
	if inner.ID == "" {
		return asyncJob{}, fmt.Errorf("no job id in the async reply")
	}
	return asyncJob{ID: inner.ID, JobType: inner.JobType, Endpoint: firstNonEmpty(inner.RelativeNotifierEndpoint, inner.Location)}, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// rawToString renders a JSON scalar as text (strings unquoted).
func rawToString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		if s, err := strconv.Unquote(string(raw)); err == nil {
			return s
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

// looksLikeUID reports whether s has the shape of a DHIS2 UID (11
// alphanumerics starting with a letter).
func looksLikeUID(s string) bool {
	if len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		isLetter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if !isLetter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}
