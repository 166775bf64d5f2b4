package dhis2sim

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// dvQuery is a parsed GET /api/dataValueSets request (docs.dhis2.org data.md; dhis2-core DefaultDataValueSetService).
type dvQuery struct {
	des            map[uint32]bool
	ous            map[uint32]bool
	periods        map[uint32]bool // exact periods; nil when a date range is used
	start, end     time.Time
	hasRange       bool
	since          int64
	includeDeleted bool
	aoc            uint32
	limit          int
}

// illegalQuery answers like DHIS2's IllegalQueryException: 409 with the E2xxx code.
func illegalQuery(q *req, code, msg string) {
	writeWebMessage(q.w, http.StatusConflict, "ERROR", msg, code, nil)
}

func splitParams(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseDVQuery validates the request parameters (DataValueSetQueryParams, ErrorCode E2001–E2009).
// Callers hold s.mu for reading.
func (s *Server) parseDVQuery(q *req) (*dvQuery, bool) {
	v := q.r.URL.Query()
	if id := v.Get("idScheme"); id != "" && !strings.EqualFold(id, "UID") {
		illegalQuery(q, "E2000", "idScheme "+id+" is not supported by the simulator (UID only)")
		return nil, false
	}
	dq := &dvQuery{des: map[uint32]bool{}, ous: map[uint32]bool{}, includeDeleted: strings.EqualFold(v.Get("includeDeleted"), "true")}
	dataSets, groups, elements := splitParams(v["dataSet"]), splitParams(v["dataElementGroup"]), splitParams(v["dataElement"])
	if len(dataSets)+len(groups)+len(elements) == 0 {
		illegalQuery(q, "E2001", "At least one data element, data set or data element group must be specified")
		return nil, false
	}
	addDE := func(id string) {
		if n, ok := s.values.lookupID(id); ok {
			dq.des[n] = true
		}
	}
	for _, ds := range dataSets {
		o, ok := s.meta.get("dataSets", ds)
		if !ok {
			illegalQuery(q, "E1005", fmt.Sprintf("DataSet with id %s could not be found.", ds))
			return nil, false
		}
		for _, e := range asList(o["dataSetElements"]) {
			if m, ok := e.(map[string]any); ok {
				addDE(refID(m["dataElement"]))
			}
		}
	}
	for _, g := range groups {
		o, ok := s.meta.get("dataElementGroups", g)
		if !ok {
			illegalQuery(q, "E1005", fmt.Sprintf("DataElementGroup with id %s could not be found.", g))
			return nil, false
		}
		for _, e := range asList(o["dataElements"]) {
			addDE(refID(e))
		}
	}
	for _, e := range elements {
		addDE(e)
	}
	periods := splitParams(v["period"])
	startDate, endDate := v.Get("startDate"), v.Get("endDate")
	lastUpdated, duration := v.Get("lastUpdated"), v.Get("lastUpdatedDuration")
	if len(periods) == 0 && (startDate == "" || endDate == "") && lastUpdated == "" && duration == "" {
		illegalQuery(q, "E2002", "At least one period, start/end dates, last updated or last updated duration must be specified")
		return nil, false
	}
	if len(periods) > 0 {
		dq.periods = map[uint32]bool{}
		for _, p := range periods {
			if n, ok := s.values.lookupID(p); ok {
				dq.periods[n] = true
			}
		}
	} else if startDate != "" && endDate != "" {
		st, err1 := parseTime(startDate)
		en, err2 := parseTime(endDate)
		if err1 != nil || err2 != nil {
			illegalQuery(q, "E2000", "Invalid start or end date")
			return nil, false
		}
		if st.After(en) {
			illegalQuery(q, "E2004", "Start date must be before end date")
			return nil, false
		}
		dq.start, dq.end, dq.hasRange = st, en, true
	}
	if lastUpdated != "" {
		t, err := parseTime(lastUpdated)
		if err != nil {
			illegalQuery(q, "E2000", "Invalid lastUpdated: "+lastUpdated)
			return nil, false
		}
		dq.since = t.UnixMilli()
	} else if duration != "" {
		d, err := parseDHISDuration(duration)
		if err != nil {
			illegalQuery(q, "E2005", fmt.Sprintf("Duration is not valid: `%s`", duration))
			return nil, false
		}
		dq.since = s.now().Add(-d).UnixMilli()
	}
	orgUnits := splitParams(v["orgUnit"])
	ouGroups := splitParams(v["orgUnitGroup"])
	children := strings.EqualFold(v.Get("children"), "true")
	if len(orgUnits)+len(ouGroups) == 0 {
		illegalQuery(q, "E2006", "At least one organisation unit or organisation unit group must be specified")
		return nil, false
	}
	if children && len(ouGroups) > 0 && len(orgUnits) == 0 {
		illegalQuery(q, "E2007", "Organisation unit children cannot be included for organisation unit groups")
		return nil, false
	}
	addOU := func(id string) {
		if n, ok := s.values.lookupID(id); ok {
			dq.ous[n] = true
		}
	}
	for _, g := range ouGroups {
		if o, ok := s.meta.get("organisationUnitGroups", g); ok {
			for _, e := range asList(o["organisationUnits"]) {
				addOU(refID(e))
			}
		}
	}
	for _, ou := range orgUnits {
		addOU(ou)
	}
	if children && len(orgUnits) > 0 {
		roots := map[string]bool{}
		for _, ou := range orgUnits {
			roots[ou] = true
		}
		for _, o := range s.meta.list("organisationUnits") {
			path, _ := o["path"].(string)
			for _, seg := range strings.Split(path, "/") {
				if roots[seg] {
					addOU(refID(o))
					break
				}
			}
		}
	}
	if a := v.Get("attributeOptionCombo"); a != "" {
		n, ok := s.values.lookupID(a)
		if !ok {
			n = ^uint32(0)
		}
		dq.aoc = n
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			illegalQuery(q, "E2009", fmt.Sprintf("Limit cannot be less than zero: `%s`", l))
			return nil, false
		}
		dq.limit = n
	}
	return dq, true
}

// parseDHISDuration parses lastUpdatedDuration values such as "10d", "2h", "30m", "45s".
func parseDHISDuration(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return time.Duration(n) * unit, nil
}

// handleDataValueSetsExport streams GET /api/dataValueSets as JSON, encoding as it goes. Matching records
// are copied out in chunks under the read lock so writers are never blocked by a slow client.
func (s *Server) handleDataValueSetsExport(q *req) {
	s.mu.RLock()
	dq, ok := s.parseDVQuery(q)
	if !ok {
		s.mu.RUnlock()
		return
	}
	// Count first so the cost model can charge the whole export up front.
	periodOK := map[uint32]bool{}
	match := func(r *dvRec) bool {
		if r.deleted && !dq.includeDeleted {
			return false
		}
		if !dq.des[r.key[0]] || !dq.ous[r.key[2]] {
			return false
		}
		if dq.aoc != 0 && r.key[4] != dq.aoc {
			return false
		}
		if r.lastUpdated < dq.since {
			return false
		}
		if dq.periods != nil {
			return dq.periods[r.key[1]]
		}
		if dq.hasRange {
			ok, seen := periodOK[r.key[1]]
			if !seen {
				st, en, valid := periodRange(s.values.strs[r.key[1]])
				ok = valid && !st.Before(dq.start) && !en.After(dq.end)
				periodOK[r.key[1]] = ok
			}
			return ok
		}
		return true
	}
	var idx []int32
	for i := range s.values.recs {
		if match(&s.values.recs[i]) {
			idx = append(idx, int32(i))
			if dq.limit > 0 && len(idx) >= dq.limit {
				break
			}
		}
	}
	s.mu.RUnlock()
	s.stats.exported(len(idx))
	s.applyCost(q.ctx(), EndpointDataValuesExport, len(idx))

	q.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	q.w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(q.w, 128<<10)
	bw.WriteString(`{"dataValues":[`)
	const chunk = 4096
	buf := make([]dvRec, 0, chunk)
	var line []byte
	first := true
	for from := 0; from < len(idx); from += chunk {
		to := min(from+chunk, len(idx))
		buf = buf[:0]
		s.mu.RLock()
		strs := s.values.strs
		for _, i := range idx[from:to] {
			buf = append(buf, s.values.recs[i])
		}
		s.mu.RUnlock()
		for i := range buf {
			line = appendDataValue(line[:0], &buf[i], strs, dq.includeDeleted, first)
			first = false
			if _, err := bw.Write(line); err != nil {
				return
			}
		}
	}
	bw.WriteString("]}\n")
	_ = bw.Flush()
}

func appendDataValue(b []byte, r *dvRec, strs []string, withDeleted, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, `{"dataElement":`...)
	b = appendJSONString(b, strs[r.key[0]])
	b = append(b, `,"period":`...)
	b = appendJSONString(b, strs[r.key[1]])
	b = append(b, `,"orgUnit":`...)
	b = appendJSONString(b, strs[r.key[2]])
	b = append(b, `,"categoryOptionCombo":`...)
	b = appendJSONString(b, strs[r.key[3]])
	b = append(b, `,"attributeOptionCombo":`...)
	b = appendJSONString(b, strs[r.key[4]])
	b = append(b, `,"value":`...)
	b = appendJSONString(b, r.value)
	b = append(b, `,"storedBy":`...)
	b = appendJSONString(b, strs[r.storedBy])
	b = append(b, `,"created":"`...)
	b = appendTimestamp(b, r.created)
	b = append(b, `","lastUpdated":"`...)
	b = appendTimestamp(b, r.lastUpdated)
	b = append(b, '"')
	if r.hasComment {
		b = append(b, `,"comment":`...)
		b = appendJSONString(b, r.comment)
	}
	b = append(b, `,"followup":`...)
	b = strconv.AppendBool(b, r.followup)
	if withDeleted {
		b = append(b, `,"deleted":`...)
		b = strconv.AppendBool(b, r.deleted)
	}
	return append(b, '}')
}

func appendTimestamp(b []byte, ms int64) []byte {
	return time.UnixMilli(ms).UTC().AppendFormat(b, "2006-01-02T15:04:05.000")
}

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, fmt.Sprintf(`\u%04x`, c)...)
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
