package dhis2sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// routeMetadataType serves /api/<plural> and /api/<plural>/{id} for every metadata type of the simulated
// version; types the version does not have (e.g. charts on 2.37+) fall through to 404.
func (s *Server) routeMetadataType(q *req, segs []string) bool {
	sch, ok := s.schemas.Lookup(segs[0])
	if !ok || !sch.Metadata || sch.Embedded || !sch.Endpoint {
		return false
	}
	switch {
	case len(segs) == 1 && q.r.Method == http.MethodGet:
		s.handleList(q, sch)
	case len(segs) == 1 && q.r.Method == http.MethodPost:
		s.handleSingleWrite(q, sch, "")
	case len(segs) == 2 && q.r.Method == http.MethodGet:
		s.handleGetObject(q, sch, segs[1])
	case len(segs) == 2 && (q.r.Method == http.MethodPut || q.r.Method == http.MethodPatch):
		s.handleSingleWrite(q, sch, segs[1])
	case len(segs) == 2 && q.r.Method == http.MethodDelete:
		s.handleSingleDelete(q, sch, segs[1])
	default:
		return false
	}
	return true
}

// queryPlan is the parsed selection of one type: fields, filters, order.
type queryPlan struct {
	fields  []*fieldNode
	filters []filterExpr
	or      bool
	order   []orderExpr
}

func parsePlan(fields string, filters []string, order string, rootJunction string) (queryPlan, error) {
	var p queryPlan
	var err error
	if p.fields, err = parseFields(fields); err != nil {
		return p, err
	}
	for _, f := range filters {
		fe, err := parseFilter(f)
		if err != nil {
			return p, err
		}
		p.filters = append(p.filters, fe)
	}
	if p.order, err = parseOrder(order); err != nil {
		return p, err
	}
	p.or = strings.EqualFold(rootJunction, "OR")
	return p, nil
}

// selectObjects returns the (shared, read-only) stored objects matching the plan, sorted. Callers hold s.mu.
func (s *Server) selectObjects(plural string, plan queryPlan, excludeDefaults bool) []map[string]any {
	var out []map[string]any
	for _, o := range s.meta.list(plural) {
		if excludeDefaults && isDefaultObject(plural, o) {
			continue
		}
		if len(plan.filters) > 0 {
			ok := !plan.or
			for _, f := range plan.filters {
				m := s.matchFilter(o, f)
				if plan.or && m {
					ok = true
					break
				}
				if !plan.or && !m {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
		}
		out = append(out, o)
	}
	s.sortObjects(out, plan.order)
	return out
}

func (s *Server) handleList(q *req, sch *Schema) {
	qv := q.r.URL.Query()
	fields := qv.Get("fields")
	if fields == "" {
		fields = "id,displayName" // Preset.ID_NAME
	}
	plan, err := parsePlan(fields, qv["filter"], qv.Get("order"), qv.Get("rootJunction"))
	if err != nil {
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	pg, err := readPaging(qv)
	if err != nil {
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.RLock()
	objs := s.selectObjects(sch.Plural, plan, false)
	from, to, pager := pg.window(len(objs), pageURL(baseURL(q.r), q.r.URL.Path, qv))
	proj := &projector{s: s, base: baseURL(q.r)}
	items := make([]map[string]any, 0, to-from)
	for _, o := range objs[from:to] {
		items = append(items, proj.project(o, sch, plan.fields))
	}
	s.mu.RUnlock()
	s.stats.exported(len(items))
	s.applyCost(q.ctx(), EndpointMetadataList, len(items))
	resp := &orderedObject{}
	if pager != nil {
		resp.set("pager", pager)
	}
	resp.set(sch.Plural, items)
	writeJSON(q.w, http.StatusOK, resp)
}

func notFoundMessage(sch *Schema, id string) string {
	return fmt.Sprintf("%s with id %s could not be found.", sch.ShortKlass(), id)
}

func (s *Server) handleGetObject(q *req, sch *Schema, id string) {
	fields := q.r.URL.Query().Get("fields")
	if fields == "" {
		fields = "*"
	}
	nodes, err := parseFields(fields)
	if err != nil {
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.RLock()
	o, ok := s.meta.get(sch.Plural, id)
	var out map[string]any
	if ok {
		out = (&projector{s: s, base: baseURL(q.r)}).project(o, sch, nodes)
	}
	s.mu.RUnlock()
	if !ok {
		writeWebMessage(q.w, http.StatusNotFound, "ERROR", notFoundMessage(sch, id), "E1005", nil)
		return
	}
	s.applyCost(q.ctx(), EndpointMetadataList, 1)
	writeJSON(q.w, http.StatusOK, out)
}

// eventChartsExcluded reports whether /api/metadata leaves out eventCharts/eventReports: from 2.39.6,
// 2.40.4 and 2.41.1 (commit 55ea990, docs/dhis2-versions.md).
func (v Version) eventChartsExcluded() bool {
	switch v.Minor {
	case 39:
		return v.Patch >= 6
	case 40:
		return v.Patch >= 4
	case 41:
		return v.Patch >= 1
	}
	return v.Minor > 41
}

// handleMetadataExport serves GET /api/metadata (docs.dhis2.org metadata.md): per-type selection with <plural>=true,
// <plural>:fields, <plural>:filter, <plural>:order; global fields (default :owner), filter, order,
// defaults=EXCLUDE and skipSharing. The response is streamed type by type.
func (s *Server) handleMetadataExport(q *req) {
	qv := q.r.URL.Query()
	selected := map[string]bool{}
	for k, v := range qv {
		name, suffix, _ := strings.Cut(k, ":")
		sch, ok := s.schemas.Lookup(name)
		if !ok || !sch.Metadata || sch.Embedded || !sch.Endpoint {
			continue
		}
		if suffix != "" || (len(v) > 0 && !strings.EqualFold(v[0], "false")) {
			selected[name] = true
		}
	}
	var types []*Schema
	for _, sch := range s.schemas.Ordered() {
		if len(selected) == 0 || selected[sch.Plural] {
			if len(selected) == 0 && (sch.Plural == "eventCharts" || sch.Plural == "eventReports") && s.version.eventChartsExcluded() {
				continue
			}
			types = append(types, sch)
		}
	}
	sort.Slice(types, func(i, j int) bool { return types[i].Plural < types[j].Plural })
	excludeDefaults := strings.EqualFold(qv.Get("defaults"), "EXCLUDE")
	globalFields := qv.Get("fields")
	if globalFields == "" {
		globalFields = ":owner"
	}
	plans := make([]queryPlan, len(types))
	for i, sch := range types {
		f := qv.Get(sch.Plural + ":fields")
		if f == "" {
			f = globalFields
		}
		filters := qv[sch.Plural+":filter"]
		if len(filters) == 0 {
			filters = qv["filter"]
		}
		order := qv.Get(sch.Plural + ":order")
		if order == "" {
			order = qv.Get("order")
		}
		p, err := parsePlan(f, filters, order, qv.Get("rootJunction"))
		if err != nil {
			writeError(q.w, http.StatusBadRequest, err.Error())
			return
		}
		plans[i] = p
	}
	proj := &projector{s: s, base: baseURL(q.r), skipSharing: strings.EqualFold(qv.Get("skipSharing"), "true")}
	// Collect under the read lock, then stream without holding it.
	s.mu.RLock()
	results := make([][]map[string]any, len(types))
	total := 0
	for i, sch := range types {
		objs := s.selectObjects(sch.Plural, plans[i], excludeDefaults)
		out := make([]map[string]any, len(objs))
		for j, o := range objs {
			out[j] = proj.project(o, sch, plans[i].fields)
		}
		results[i] = out
		total += len(out)
	}
	s.mu.RUnlock()
	s.stats.exported(total)
	s.applyCost(q.ctx(), EndpointMetadataExport, total)

	q.w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	q.w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(q.w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	sys := &orderedObject{}
	sys.set("id", systemID).set("rev", "a1b2c3d").set("version", s.version.String()).set("date", s.nowString())
	bw.WriteString(`{"system":`)
	_ = enc.Encode(sys)
	for i, sch := range types {
		if len(results[i]) == 0 {
			continue
		}
		fmt.Fprintf(bw, ",%q:[", sch.Plural)
		for j, o := range results[i] {
			if j > 0 {
				bw.WriteByte(',')
			}
			_ = enc.Encode(o)
		}
		bw.WriteByte(']')
	}
	bw.WriteString("}\n")
	_ = bw.Flush()
}

// handleDeletedObjects serves GET /api/deletedObjects (docs.dhis2.org metadata.md); superusers only.
func (s *Server) handleDeletedObjects(q *req) {
	if !q.account.Superuser {
		writeError(q.w, http.StatusForbidden, "Access is denied")
		return
	}
	qv := q.r.URL.Query()
	klasses := map[string]bool{}
	for _, k := range qv["klass"] {
		for _, part := range strings.Split(k, ",") {
			klasses[part] = true
		}
	}
	uids := map[string]bool{}
	for _, u := range qv["uid"] {
		for _, part := range strings.Split(u, ",") {
			uids[part] = true
		}
	}
	var since string
	if d := qv.Get("deletedAt"); d != "" {
		if _, err := parseTime(d); err != nil {
			writeError(q.w, http.StatusBadRequest, err.Error())
			return
		}
		since = d
	}
	pg, err := readPaging(qv)
	if err != nil {
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	s.mu.RLock()
	var out []deletedObject
	for _, d := range s.meta.deleted {
		if len(klasses) > 0 && !klasses[d.Klass] {
			continue
		}
		if len(uids) > 0 && !uids[d.UID] {
			continue
		}
		if c := qv.Get("code"); c != "" && d.Code != c {
			continue
		}
		if since != "" && compareValues(d.DeletedAt, since) < 0 {
			continue
		}
		out = append(out, d)
	}
	s.mu.RUnlock()
	from, to, pager := pg.window(len(out), pageURL(baseURL(q.r), q.r.URL.Path, qv))
	resp := &orderedObject{}
	if pager != nil {
		resp.set("pager", pager)
	}
	page := out[from:to]
	if page == nil {
		page = []deletedObject{}
	}
	resp.set("deletedObjects", page)
	writeJSON(q.w, http.StatusOK, resp)
}
