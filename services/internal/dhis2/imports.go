package dhis2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/klauspost/compress/gzip"
)

// gzipMinSize is the body size from which compression pays off.
const gzipMinSize = 1 << 10

// MetadataImportParams are the POST /api/metadata parameters (dhis2-core MetadataImportExportController and feedback/ImportReport).
// Empty fields keep DHIS2's defaults.
type MetadataImportParams struct {
	ImportMode       string // COMMIT | VALIDATE
	Identifier       string // UID | CODE | AUTO
	ImportReportMode string // ERRORS | FULL | DEBUG
	PreheatMode      string
	ImportStrategy   string // CREATE_AND_UPDATE | CREATE | UPDATE | DELETE
	AtomicMode       string // ALL | NONE
	MergeMode        string
	FlushMode        string
	SkipSharing      bool
	SkipValidation   bool
	UserOverrideMode string
	OverrideUser     string
	// Async submits a job and polls it until DHIS2 reports it finished.
	Async bool
	Extra url.Values
}

func (p MetadataImportParams) values() url.Values {
	v := cloneValues(p.Extra)
	setIf(v, "importMode", p.ImportMode)
	setIf(v, "identifier", p.Identifier)
	setIf(v, "importReportMode", p.ImportReportMode)
	setIf(v, "preheatMode", p.PreheatMode)
	setIf(v, "importStrategy", p.ImportStrategy)
	setIf(v, "atomicMode", p.AtomicMode)
	setIf(v, "mergeMode", p.MergeMode)
	setIf(v, "flushMode", p.FlushMode)
	setIf(v, "userOverrideMode", p.UserOverrideMode)
	setIf(v, "overrideUser", p.OverrideUser)
	setBool(v, "skipSharing", p.SkipSharing)
	setBool(v, "skipValidation", p.SkipValidation)
	setBool(v, "async", p.Async)
	return v
}

// idempotent: imports by UID that create-or-update (or update, or delete)
// leave the same state when repeated; CREATE would fail the second time.
func (p MetadataImportParams) idempotent() bool {
	return p.ImportStrategy != "CREATE" && (p.Identifier == "" || p.Identifier == "UID")
}

// ImportMetadata posts a metadata payload ({"dataElements":[…],…}) and
// returns the import result. The payload is an io.Reader, []byte, string,
// json.RawMessage or any other value that encodes to JSON.
func (c *Client) ImportMetadata(ctx context.Context, payload any, p MetadataImportParams) (*ImportResult, error) {
	return c.importPayload(ctx, importSpec{
		op: "import metadata", path: "metadata", query: p.values(), payload: payload,
		gzip: c.gzipRequests, idempotent: p.idempotent(), async: p.Async, defaultJobType: "METADATA_IMPORT",
	})
}

// DataValueImportParams are the POST /api/dataValueSets parameters (docs.dhis2.org data.md; dhis2-core DefaultDataValueSetService).
type DataValueImportParams struct {
	ImportStrategy      string // CREATE | UPDATE | CREATE_AND_UPDATE | DELETE
	DryRun              bool
	SkipExistingCheck   bool
	SkipAudit           bool
	PreheatCache        bool
	Force               bool
	IDScheme            string
	DataElementIDScheme string
	OrgUnitIDScheme     string
	Async               bool
	Extra               url.Values
}

func (p DataValueImportParams) values() url.Values {
	v := cloneValues(p.Extra)
	setIf(v, "importStrategy", p.ImportStrategy)
	setIf(v, "idScheme", p.IDScheme)
	setIf(v, "dataElementIdScheme", p.DataElementIDScheme)
	setIf(v, "orgUnitIdScheme", p.OrgUnitIDScheme)
	setBool(v, "dryRun", p.DryRun)
	setBool(v, "skipExistingCheck", p.SkipExistingCheck)
	setBool(v, "skipAudit", p.SkipAudit)
	setBool(v, "preheatCache", p.PreheatCache)
	setBool(v, "force", p.Force)
	setBool(v, "async", p.Async)
	return v
}

// ImportDataValues posts {"dataValues":[…]} to /api/dataValueSets. Data
// values are keyed by (dataElement, period, orgUnit, COC, AOC), so repeating
// the request is safe.
func (c *Client) ImportDataValues(ctx context.Context, payload any, p DataValueImportParams) (*ImportResult, error) {
	return c.importPayload(ctx, importSpec{
		op: "import data values", path: "dataValueSets", query: p.values(), payload: payload,
		gzip: c.gzipRequests, idempotent: p.ImportStrategy != "CREATE", async: p.Async, defaultJobType: "DATAVALUE_IMPORT",
	})
}

// TrackerImportParams are the POST /api/tracker parameters (docs.dhis2.org tracker.md; dhis2-core TrackerImportController).
type TrackerImportParams struct {
	ImportMode                                             string // COMMIT | VALIDATE
	ImportStrategy                                         string // CREATE_AND_UPDATE | CREATE | UPDATE | DELETE
	AtomicMode                                             string // ALL | OBJECT
	FlushMode                                              string
	ValidationMode                                         string
	ReportMode                                             string // ERRORS | WARNINGS | FULL
	SkipSideEffects, SkipRuleEngine, SkipPatternValidation bool
	IDScheme                                               string
	// Async submits a job and polls /api/tracker/jobs until it is done.
	// DHIS2's own default is async; this client defaults to synchronous.
	Async bool
	Extra url.Values
}

func (p TrackerImportParams) values() url.Values {
	v := cloneValues(p.Extra)
	setIf(v, "importMode", p.ImportMode)
	setIf(v, "importStrategy", p.ImportStrategy)
	setIf(v, "atomicMode", p.AtomicMode)
	setIf(v, "flushMode", p.FlushMode)
	setIf(v, "validationMode", p.ValidationMode)
	setIf(v, "reportMode", p.ReportMode)
	setIf(v, "idScheme", p.IDScheme)
	setBool(v, "skipSideEffects", p.SkipSideEffects)
	setBool(v, "skipRuleEngine", p.SkipRuleEngine)
	setBool(v, "skipPatternValidation", p.SkipPatternValidation)
	v.Set("async", strconv.FormatBool(p.Async))
	return v
}

// ImportTracker posts a tracker payload (flat or nested) to /api/tracker.
// Payloads carry their UIDs, so CREATE_AND_UPDATE, UPDATE and DELETE are
// safe to repeat. The body is never compressed: the tracker endpoint is not
// documented to detect gzip.
func (c *Client) ImportTracker(ctx context.Context, payload any, p TrackerImportParams) (*ImportResult, error) {
	return c.importPayload(ctx, importSpec{
		op: "import tracker", path: "tracker", query: p.values(), payload: payload,
		idempotent: p.ImportStrategy != "CREATE", async: p.Async, tracker: true, reportMode: p.ReportMode,
	})
}

type importSpec struct {
	op, path       string
	query          url.Values
	payload        any
	gzip           bool
	idempotent     bool
	async          bool
	tracker        bool
	defaultJobType string
	reportMode     string
}

func (c *Client) importPayload(ctx context.Context, s importSpec) (*ImportResult, error) {
	body, err := encodeBody(s.payload, s.gzip)
	if err != nil {
		return nil, newError(KindInvalidInput, s.op, err)
	}
	r := &request{op: s.op, method: "POST", path: s.path, query: s.query, body: body, class: classImport,
		idempotent: s.idempotent, reportStatuses: []int{400, 409, 422}}
	resp, data, err := c.doRead(ctx, r)
	if err != nil {
		return nil, err
	}
	if s.async && resp.status < 300 {
		job, jerr := parseAsyncJob(data)
		if jerr == nil {
			if s.tracker {
				return c.waitTrackerJob(ctx, s.op, job, s.reportMode)
			}
			if job.JobType == "" {
				job.JobType = s.defaultJobType
			}
			return c.waitTask(ctx, s.op, job)
		}
		// Some servers answer synchronously despite async=true; fall through.
	}
	return c.resultFromBody(r, resp, data)
}

// resultFromBody parses an import report, or maps a non-report error body.
func (c *Client) resultFromBody(r *request, resp *response, data []byte) (*ImportResult, error) {
	res, err := ParseImportReport(data)
	if err != nil {
		if resp.status >= 300 {
			return nil, c.classify(context.Background(), r, resp.url, resp.status, kindForStatus(resp.status), data, nil)
		}
		kind := KindMalformed
		e := &Error{Kind: kind, Op: r.op, Method: r.method, URL: redactURL(resp.url), HTTPStatus: resp.status, Hint: hints[kind], Err: err}
		if errors.Is(err, ErrNotImportReport) {
			e.Message = "the answer is not an import report"
		}
		return nil, e
	}
	res.HTTPStatus = resp.status
	return res, nil
}

// encodeBody turns a payload into bytes, gzip-compressed when asked and
// large enough. DHIS2 detects gzip by its magic bytes (StreamUtils), so no
// Content-Encoding header is sent.
func encodeBody(payload any, compress bool) ([]byte, error) {
	var raw []byte
	switch p := payload.(type) {
	case nil:
		return nil, fmt.Errorf("the payload is empty")
	case []byte:
		raw = p
	case string:
		raw = []byte(p)
	case json.RawMessage:
		raw = p
	case io.Reader:
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, fmt.Errorf("read payload: %w", err)
		}
		raw = b
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		raw = b
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("the payload is empty")
	}
	if !compress || len(raw) < gzipMinSize || isGzip(raw) {
		return raw, nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if _, err := zw.Write(raw); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func isGzip(b []byte) bool { return len(b) > 2 && b[0] == 0x1f && b[1] == 0x8b }

func setIf(v url.Values, k, s string) {
	if s != "" {
		v.Set(k, s)
	}
}

func setBool(v url.Values, k string, b bool) {
	if b {
		v.Set(k, "true")
	}
}
