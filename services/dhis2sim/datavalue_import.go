package dhis2sim

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// dvIn is one incoming data value (JSON DataValue, docs.dhis2.org data.md; dhis2-core DefaultDataValueSetService).
type dvIn struct {
	DataElement          string          `json:"dataElement"`
	Period               string          `json:"period"`
	OrgUnit              string          `json:"orgUnit"`
	CategoryOptionCombo  string          `json:"categoryOptionCombo"`
	AttributeOptionCombo string          `json:"attributeOptionCombo"`
	Value                json.RawMessage `json:"value"`
	StoredBy             string          `json:"storedBy"`
	Created              string          `json:"created"`
	LastUpdated          string          `json:"lastUpdated"`
	Comment              *string         `json:"comment"`
	FollowUp             *bool           `json:"followup"`
	FollowUpAlt          *bool           `json:"followUp"`
	Deleted              *bool           `json:"deleted"`
}

// value returns the data value as a string and whether one was given.
func (v *dvIn) value() (string, bool) {
	return rawValueString(v.Value)
}

// dvSet is an incoming data value set; set-level fields apply to values that leave them out.
type dvSet struct {
	DataSet              string
	Period               string
	OrgUnit              string
	AttributeOptionCombo string
	CompleteDate         string
	Values               []dvIn
}

func rawValueString(m json.RawMessage) (string, bool) {
	if len(m) == 0 || string(m) == "null" {
		return "", false
	}
	if m[0] == '"' {
		var s string
		if err := json.Unmarshal(m, &s); err == nil {
			return s, true
		}
		return "", false
	}
	return string(m), true
}

// dvOptions are the POST /api/dataValueSets parameters the simulator honours (docs.dhis2.org data.md; dhis2-core DefaultDataValueSetService).
type dvOptions struct {
	DryRun            bool
	Async             bool
	ImportStrategy    string
	SkipExistingCheck bool
}

func parseDVOptions(q map[string][]string) (dvOptions, error) {
	b := func(name string) bool { return len(q[name]) > 0 && strings.EqualFold(q[name][0], "true") }
	o := dvOptions{DryRun: b("dryRun"), Async: b("async"), SkipExistingCheck: b("skipExistingCheck")}
	var err error
	o.ImportStrategy, err = parseEnum(q, "importStrategy", "CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE")
	if err != nil {
		return o, err
	}
	if id := q["idScheme"]; len(id) > 0 && !strings.EqualFold(id[0], "UID") {
		return o, fmt.Errorf("idScheme %s is not supported by the simulator (UID only)", id[0])
	}
	return o, nil
}

func (o dvOptions) json() *orderedObject {
	x := &orderedObject{}
	return x.set("idSchemes", map[string]any{}).set("dryRun", o.DryRun).set("async", o.Async).
		set("importStrategy", o.ImportStrategy).set("mergeMode", "REPLACE").set("reportMode", "FULL").
		set("skipExistingCheck", o.SkipExistingCheck).set("sharing", false).set("skipNotifications", false).
		set("skipAudit", false).set("datasetAllowsPeriods", false).set("strictPeriods", false).
		set("strictDataElements", false).set("strictCategoryOptionCombos", false).
		set("strictAttributeOptionCombos", false).set("strictOrganisationUnits", false).
		set("requireCategoryOptionCombo", false).set("requireAttributeOptionCombo", false).
		set("skipPatternValidation", false).set("ignoreEmptyCollection", false).set("force", false).
		set("firstRowIsHeader", true).set("skipLastUpdated", false).set("mergeDataValues", false).
		set("skipCache", false)
}

// conflict is an ImportConflict; conflicts with the same code and object are merged (2.37+).
type conflict struct {
	Object   string
	Objects  *orderedObject
	Value    string
	Code     string
	Property string
	Indexes  []int
}

type importCount struct {
	Imported int `json:"imported"`
	Updated  int `json:"updated"`
	Ignored  int `json:"ignored"`
	Deleted  int `json:"deleted"`
}

// importSummary is the version-neutral result of a data value import.
type importSummary struct {
	Status    string
	Options   dvOptions
	Count     importCount
	Conflicts []*conflict
	Rejected  []int
}

// json renders the ImportSummary of the simulated version (docs.dhis2.org data.md; dhis2-core DefaultDataValueSetService): conflicts are {object, value}
// on 2.36 and carry objects/errorCode/property/indexes from 2.37; rejectedIndexes exists from 2.39.
func (s *Server) summaryJSON(sum *importSummary) *orderedObject {
	o := &orderedObject{}
	o.set("responseType", "ImportSummary").set("status", sum.Status).set("importOptions", sum.Options.json())
	desc := "Import process completed successfully"
	o.set("description", desc).set("importCount", sum.Count)
	conflicts := make([]any, 0, len(sum.Conflicts))
	for _, c := range sum.Conflicts {
		x := &orderedObject{}
		if s.version.AtLeast(37) {
			x.set("object", c.Object).set("objects", c.Objects).set("value", c.Value).set("errorCode", c.Code).
				set("property", c.Property).set("indexes", c.Indexes)
		} else {
			x.set("object", c.Object).set("value", c.Value)
		}
		conflicts = append(conflicts, x)
	}
	if s.version.AtLeast(39) {
		rej := sum.Rejected
		if rej == nil {
			rej = []int{}
		}
		o.set("rejectedIndexes", rej)
	}
	o.set("conflicts", conflicts).set("dataSetComplete", "false")
	return o
}

// writeImportSummary writes the summary plain (before V38) or wrapped with 200/409 (dhis2-core 2.38 WebMessageUtils#importSummary).
func (s *Server) writeImportSummary(q *req, sum *importSummary) {
	body := s.summaryJSON(sum)
	if q.apiVersion < 38 {
		writeJSON(q.w, http.StatusOK, body)
		return
	}
	switch sum.Status {
	case "SUCCESS":
		writeWebMessage(q.w, http.StatusOK, "OK", "Import was successful.", "", body)
	case "WARNING":
		writeWebMessage(q.w, http.StatusConflict, "WARNING", "One more conflicts encountered, please check import summary.", "", body)
	default:
		writeWebMessage(q.w, http.StatusConflict, "ERROR", "An error occurred, please check import summary.", "", body)
	}
}

func (s *Server) handleDataValueSetsImport(q *req) {
	opts, err := parseDVOptions(q.r.URL.Query())
	if err != nil {
		writeError(q.w, http.StatusConflict, err.Error())
		return
	}
	body, err := readBody(q.r)
	if err != nil {
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	set, err := decodeDataValueSet(body)
	if err != nil {
		if q.apiVersion >= 38 {
			sum := &importSummary{Status: "ERROR", Options: opts}
			body := s.summaryJSON(sum)
			body.set("description", "The import process failed: "+err.Error())
			writeWebMessage(q.w, http.StatusConflict, "ERROR", "An error occurred, please check import summary.", "", body)
			return
		}
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	if opts.Async {
		j := s.tasks.start("DATAVALUE_IMPORT", s.now())
		go func() {
			s.applyCost(q.ctx(), EndpointDataValuesImport, len(set.Values))
			sum := s.importDataValues(set, opts, q.account.Username)
			s.tasks.finish(j, s.now(), "Import done", s.summaryJSON(sum))
		}()
		s.writeJobStarted(q, j, nil)
		return
	}
	s.applyCost(q.ctx(), EndpointDataValuesImport, len(set.Values))
	sum := s.importDataValues(set, opts, q.account.Username)
	s.writeImportSummary(q, sum)
}

// deInfo caches what validation needs about a data element.
type deInfo struct {
	valueType string
	cocs      map[string]bool
	options   map[string]bool
	zeroSig   bool
	// averaged: AVERAGE or AVERAGE_SUM_ORG_UNIT aggregation, where a zero is always stored.
	averaged bool
}

// zeroInsignificant is ValidationUtils.dataValueIsZeroAndInsignificant: a numeric zero of a data element
// whose zeroIsSignificant is false (and whose aggregation is not an average) is not stored.
func (d *deInfo) zeroInsignificant(val string) bool {
	if d.zeroSig || d.averaged || !numericValueTypes[d.valueType] {
		return false
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
	return err == nil && f == 0
}

var numericValueTypes = map[string]bool{"NUMBER": true, "UNIT_INTERVAL": true, "PERCENTAGE": true, "INTEGER": true,
	"INTEGER_POSITIVE": true, "INTEGER_NEGATIVE": true, "INTEGER_ZERO_OR_POSITIVE": true}

// payloadTime is the payload's lastUpdated when it has one (DHIS2 keeps it, as it keeps created), else now.
func payloadTime(v string, nowMs int64) int64 {
	if v != "" {
		if t, err := parseTime(v); err == nil {
			return t.UnixMilli()
		}
	}
	return nowMs
}

// importDataValues validates and stores values the way DefaultDataValueSetService does: one row at a time,
// conflicts per row (merged by code and object), counts per outcome.
func (s *Server) importDataValues(set *dvSet, opts dvOptions, user string) *importSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := &importSummary{Status: "SUCCESS", Options: opts}
	conflicts := map[string]*conflict{}
	var order []string
	addConflict := func(idx int, code, object, property, msg string, objects *orderedObject) {
		key := code + "\x00" + object
		if s.version.AtLeast(37) {
			if c, ok := conflicts[key]; ok {
				c.Indexes = append(c.Indexes, idx)
				return
			}
		} else {
			key = fmt.Sprintf("%s\x00%d", key, idx)
		}
		conflicts[key] = &conflict{Object: object, Objects: objects, Value: msg, Code: code, Property: property, Indexes: []int{idx}}
		order = append(order, key)
	}
	var dsElements map[string]bool
	if set.DataSet != "" {
		ds, ok := s.meta.get("dataSets", set.DataSet)
		if !ok {
			addConflict(0, "E7600", set.DataSet, "dataSet", fmt.Sprintf("Data set not found or not accessible: `%s`", set.DataSet),
				(&orderedObject{}).set("dataSet", set.DataSet))
			sum.Status = "ERROR"
			sum.Count.Ignored = len(set.Values)
			sum.Conflicts = []*conflict{conflicts[order[0]]}
			return sum
		}
		dsElements = map[string]bool{}
		for _, e := range asList(ds["dataSetElements"]) {
			if m, ok := e.(map[string]any); ok {
				dsElements[refID(m["dataElement"])] = true
			}
		}
	}
	des := map[string]*deInfo{}
	getDE := func(id string) *deInfo {
		if d, ok := des[id]; ok {
			return d
		}
		o, ok := s.meta.get("dataElements", id)
		if !ok {
			des[id] = nil
			return nil
		}
		d := &deInfo{cocs: map[string]bool{}}
		d.valueType, _ = o["valueType"].(string)
		d.zeroSig, _ = o["zeroIsSignificant"].(bool)
		agg, _ := o["aggregationType"].(string)
		d.averaged = agg == "AVERAGE" || agg == "AVERAGE_SUM_ORG_UNIT"
		cc := refID(o["categoryCombo"])
		if cc == "" {
			cc = defaultCategoryCombo
		}
		for _, coc := range s.meta.list("categoryOptionCombos") {
			if refID(coc["categoryCombo"]) == cc {
				d.cocs[refID(coc)] = true
			}
		}
		if os := refID(o["optionSet"]); os != "" {
			if set, ok := s.meta.get("optionSets", os); ok {
				d.options = map[string]bool{}
				for _, opt := range asList(set["options"]) {
					if oo, ok := s.meta.get("options", refID(opt)); ok {
						c, _ := oo["code"].(string)
						d.options[c] = true
					}
				}
			}
		}
		des[id] = d
		return d
	}
	exists := func(plural, id string) bool { _, ok := s.meta.get(plural, id); return ok }
	validPeriods := map[string]bool{}
	nowMs := s.now().UnixMilli()
	storedByDefault := s.values.intern(user)
	for i, in := range set.Values {
		pe, ou, aoc := in.Period, in.OrgUnit, in.AttributeOptionCombo
		if pe == "" {
			pe = set.Period
		}
		if ou == "" {
			ou = set.OrgUnit
		}
		if aoc == "" {
			aoc = set.AttributeOptionCombo
		}
		if aoc == "" {
			aoc = defaultCategoryOptionCombo
		}
		coc := in.CategoryOptionCombo
		if coc == "" {
			coc = defaultCategoryOptionCombo
		}
		de := getDE(in.DataElement)
		reject := func(code, object, property, msg string, objects *orderedObject) {
			addConflict(i, code, object, property, msg, objects)
			sum.Rejected = append(sum.Rejected, i)
			sum.Count.Ignored++
		}
		if de == nil {
			reject("E7610", in.DataElement, "dataElement", fmt.Sprintf("Data element not found or not accessible: `%s`", in.DataElement),
				(&orderedObject{}).set("dataElement", in.DataElement))
			continue
		}
		ok, seen := validPeriods[pe]
		if !seen {
			_, _, ok = periodRange(pe)
			validPeriods[pe] = ok
		}
		if !ok {
			reject("E7611", pe, "period", fmt.Sprintf("Period not valid: `%s`", pe), (&orderedObject{}).set("period", pe))
			continue
		}
		if !exists("organisationUnits", ou) {
			reject("E7612", ou, "orgUnit", fmt.Sprintf("Organisation unit not found or not accessible: `%s`", ou),
				(&orderedObject{}).set("orgUnit", ou))
			continue
		}
		if !exists("categoryOptionCombos", coc) {
			reject("E7613", coc, "categoryOptionCombo", fmt.Sprintf("Category option combo not found or not accessible for writing data: `%s`", coc),
				(&orderedObject{}).set("categoryOptionCombo", coc))
			continue
		}
		if !exists("categoryOptionCombos", aoc) {
			reject("E7615", aoc, "attributeOptionCombo", fmt.Sprintf("Attribute option combo not found or not accessible for writing data: `%s`", aoc),
				(&orderedObject{}).set("attributeOptionCombo", aoc))
			continue
		}
		if !de.cocs[coc] {
			reject("E7634", coc, "categoryOptionCombo", fmt.Sprintf("Category option combo: `%s` must be part of category combo of data element: `%s`", coc, in.DataElement),
				(&orderedObject{}).set("categoryOptionCombo", coc).set("dataElement", in.DataElement))
			continue
		}
		if dsElements != nil && !dsElements[in.DataElement] {
			reject("E7633", in.DataElement, "dataElement", fmt.Sprintf("Data element: `%s` is not part of dataset: `%s`", in.DataElement, set.DataSet),
				(&orderedObject{}).set("dataElement", in.DataElement).set("dataSet", set.DataSet))
			continue
		}
		val, hasVal := in.value()
		comment := ""
		if in.Comment != nil {
			comment = *in.Comment
		}
		deleteReq := opts.ImportStrategy == "DELETE" || (in.Deleted != nil && *in.Deleted)
		if hasVal && !deleteReq {
			if key, reason := checkValueType(de.valueType, val); key != "" {
				reject("E7619", in.DataElement, "value", fmt.Sprintf("Value must match data element's `%s` type constraints: %s", in.DataElement, reason),
					(&orderedObject{}).set("dataElement", in.DataElement).set("value", key))
				continue
			}
			if de.options != nil && !de.options[val] {
				reject("E7621", in.DataElement, "value", fmt.Sprintf("Data value is not a valid option of the data element option set: `%s`", in.DataElement),
					(&orderedObject{}).set("dataElement", in.DataElement))
				continue
			}
		}
		key := dvKey{s.values.intern(in.DataElement), s.values.intern(pe), s.values.intern(ou), s.values.intern(coc), s.values.intern(aoc)}
		old, found := s.values.get(key)
		live := found && !old.deleted
		if !hasVal && comment == "" && !deleteReq {
			if live {
				deleteReq = true // an empty value deletes the existing one
			} else {
				reject("E7618", in.DataElement, "value", fmt.Sprintf("Data value or comment not specified for data element: `%s`", in.DataElement),
					(&orderedObject{}).set("dataElement", in.DataElement))
				continue
			}
		}
		if hasVal && !deleteReq && de.zeroInsignificant(val) {
			if !live {
				sum.Count.Ignored++ // a new insignificant zero is skipped
				continue
			}
			deleteReq = true // an existing value updated to an insignificant zero is deleted
		}
		payloadDeleted := in.Deleted != nil && *in.Deleted && opts.ImportStrategy != "DELETE"
		switch {
		case deleteReq && !live && payloadDeleted && !found:
			// "deleted":true for a value the destination never had stores a deleted row, so that the
			// deletion is known there (an includeDeleted export lists it).
			sum.Count.Ignored++
			if !opts.DryRun {
				rec := dvRec{key: key, value: val, comment: comment, hasComment: in.Comment != nil, storedBy: storedByDefault,
					created: nowMs, lastUpdated: payloadTime(in.LastUpdated, nowMs), deleted: true}
				s.values.upsert(rec)
			}
			continue
		case deleteReq:
			if !live {
				sum.Count.Ignored++
				continue
			}
			sum.Count.Deleted++
		case live && old.value == val && old.comment == comment && (in.StoredBy == "" || s.values.strs[old.storedBy] == in.StoredBy) &&
			(in.FollowUp == nil || *in.FollowUp == old.followup) && (in.FollowUpAlt == nil || *in.FollowUpAlt == old.followup) &&
			opts.ImportStrategy != "CREATE":
			// An identical value is not written again: its lastUpdated stays.
			sum.Count.Updated++
			continue
		case opts.ImportStrategy == "CREATE" && live, opts.ImportStrategy == "UPDATE" && !live:
			sum.Count.Ignored++
			continue
		case live:
			sum.Count.Updated++
		default:
			sum.Count.Imported++
		}
		if opts.DryRun {
			continue
		}
		rec := dvRec{key: key, value: val, comment: comment, hasComment: in.Comment != nil, storedBy: storedByDefault,
			lastUpdated: payloadTime(in.LastUpdated, nowMs), deleted: deleteReq}
		if deleteReq {
			rec = *old
			rec.deleted, rec.lastUpdated = true, nowMs
		} else {
			if in.StoredBy != "" {
				rec.storedBy = s.values.intern(in.StoredBy)
			}
			if in.Created != "" {
				if t, err := parseTime(in.Created); err == nil {
					rec.created = t.UnixMilli()
				}
			}
			if rec.created == 0 && !found {
				rec.created = nowMs
			}
			if in.FollowUp != nil {
				rec.followup = *in.FollowUp
			} else if in.FollowUpAlt != nil {
				rec.followup = *in.FollowUpAlt
			}
		}
		s.values.upsert(rec)
	}
	for _, k := range order {
		sum.Conflicts = append(sum.Conflicts, conflicts[k])
	}
	if len(sum.Conflicts) > 0 {
		sum.Status = "WARNING"
	}
	sort.Ints(sum.Rejected)
	s.stats.imported(sum.Count.Imported + sum.Count.Updated + sum.Count.Deleted)
	return sum
}

// checkValueType applies DHIS2's ValidationUtils.valueIsValid for the value types that constrain aggregate
// data; it returns the i18n key DHIS2 reports in ImportConflict.objects.value and a readable reason.
func checkValueType(vt, v string) (string, string) {
	isInt := func() (int64, bool) {
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	switch vt {
	case "NUMBER":
		if f, err := strconv.ParseFloat(v, 64); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return "value_not_numeric", "Data value is not numeric"
		}
	case "INTEGER":
		if _, ok := isInt(); !ok {
			return "value_not_integer", "Data value is not an integer"
		}
	case "INTEGER_POSITIVE":
		if n, ok := isInt(); !ok || n <= 0 {
			return "value_not_positive_integer", "Data value is not a positive integer"
		}
	case "INTEGER_ZERO_OR_POSITIVE":
		if n, ok := isInt(); !ok || n < 0 {
			return "value_not_zero_or_positive_integer", "Data value is not zero or positive integer"
		}
	case "INTEGER_NEGATIVE":
		if n, ok := isInt(); !ok || n >= 0 {
			return "value_not_negative_integer", "Data value is not a negative integer"
		}
	case "PERCENTAGE":
		if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 || f > 100 {
			return "value_not_percentage", "Data value is not a percentage"
		}
	case "UNIT_INTERVAL":
		if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 || f > 1 {
			return "value_not_unit_interval", "Data value is not a unit interval"
		}
	case "BOOLEAN":
		if l := strings.ToLower(v); l != "true" && l != "false" {
			return "value_not_bool", "Data value is not boolean"
		}
	case "TRUE_ONLY":
		if strings.ToLower(v) != "true" {
			return "value_not_true_only", "Data value is not true (true-only value type)"
		}
	case "DATE":
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return "value_not_valid_date", "Data value is not a valid date"
		}
	}
	return "", ""
}
