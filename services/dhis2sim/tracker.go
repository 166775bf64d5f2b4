package dhis2sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// trackerStore holds tracker data in the 2.41 new-tracker shape (docs.dhis2.org 2.38 new-tracker.md; release notes 2.41), one map per kind, plus
// insertion order for stable paging. Deleted objects stay with deleted=true.
type trackerStore struct {
	kinds map[string]*trackerKind
	// children indexes enrollments by tracked entity, events by enrollment and relationships by the
	// UID of each side: "enrollments\x00<te>", "events\x00<en>", "relationships\x00<uid>".
	children map[string][]string
	// attrOwner maps "<attribute>\x00<value>" to the tracked entity holding it (E1064 unique checks).
	attrOwner map[string]string
}

type trackerKind struct {
	objs  map[string]map[string]any
	order []string
}

// Tracker kinds: the plural of the export endpoint, its id field and the report's trackerType.
var trackerKinds = []struct{ plural, idField, trackerType string }{
	{"trackedEntities", "trackedEntity", "TRACKED_ENTITY"},
	{"enrollments", "enrollment", "ENROLLMENT"},
	{"events", "event", "EVENT"},
	{"relationships", "relationship", "RELATIONSHIP"},
}

func newTrackerStore() *trackerStore {
	t := &trackerStore{kinds: map[string]*trackerKind{}, children: map[string][]string{}, attrOwner: map[string]string{}}
	for _, k := range trackerKinds {
		t.kinds[k.plural] = &trackerKind{objs: map[string]map[string]any{}}
	}
	return t
}

func (t *trackerStore) get(plural, id string) (map[string]any, bool) {
	o, ok := t.kinds[plural].objs[id]
	return o, ok
}

func (t *trackerStore) put(plural, id string, o map[string]any) {
	k := t.kinds[plural]
	old, existed := k.objs[id]
	if !existed {
		k.order = append(k.order, id)
		for _, parent := range trackerParents(plural, o) {
			key := plural + "\x00" + parent
			t.children[key] = append(t.children[key], id)
		}
	}
	if plural == "trackedEntities" {
		if existed {
			for _, a := range asList(old["attributes"]) {
				if m, ok := a.(map[string]any); ok {
					key := uidOf(m["attribute"]) + "\x00" + fmt.Sprint(m["value"])
					if t.attrOwner[key] == id {
						delete(t.attrOwner, key)
					}
				}
			}
		}
		if d, _ := o["deleted"].(bool); !d {
			for _, a := range asList(o["attributes"]) {
				if m, ok := a.(map[string]any); ok {
					t.attrOwner[uidOf(m["attribute"])+"\x00"+fmt.Sprint(m["value"])] = id
				}
			}
		}
	}
	k.objs[id] = o
}

// trackerParents returns the UIDs an object is indexed under: its tracked entity (enrollments), its
// enrollment (events), or both sides (relationships).
func trackerParents(plural string, o map[string]any) []string {
	switch plural {
	case "enrollments":
		if te, _ := o["trackedEntity"].(string); te != "" {
			return []string{te}
		}
	case "events":
		if en, _ := o["enrollment"].(string); en != "" {
			return []string{en}
		}
	case "relationships":
		return relationshipSides(o)
	}
	return nil
}

// relationshipSides returns the UIDs of a relationship's from and to items.
func relationshipSides(o map[string]any) []string {
	var out []string
	for _, side := range []string{"from", "to"} {
		if _, id := relationshipItem(o[side]); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// relationshipItem returns the kind (trackedEntity, enrollment, event) and UID of a relationship item, whose
// reference is a string or an object ({"trackedEntity":{"trackedEntity":"uid"}}).
func relationshipItem(v any) (string, string) {
	item, _ := v.(map[string]any)
	for _, k := range []string{"trackedEntity", "enrollment", "event"} {
		ref, ok := item[k]
		if !ok {
			continue
		}
		if m, isMap := ref.(map[string]any); isMap {
			id, _ := m[k].(string)
			return k, id
		}
		id, _ := ref.(string)
		return k, id
	}
	return "", ""
}

// childrenOf returns the objects of a kind indexed under a parent UID, live ones only unless withDeleted.
func (t *trackerStore) childrenOf(plural, parent string, withDeleted bool) []map[string]any {
	var out []map[string]any
	for _, id := range t.children[plural+"\x00"+parent] {
		o := t.kinds[plural].objs[id]
		if d, _ := o["deleted"].(bool); d && !withDeleted {
			continue
		}
		out = append(out, o)
	}
	return out
}

// TrackerCount returns the number of live (not deleted) objects of a tracker kind: "trackedEntities",
// "enrollments", "events" or "relationships".
func (s *Server) TrackerCount(plural string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.track.kinds[plural]
	if !ok {
		return 0
	}
	n := 0
	for _, o := range k.objs {
		if d, _ := o["deleted"].(bool); !d {
			n++
		}
	}
	return n
}

func (s *Server) routeTracker(q *req, segs []string) bool {
	switch {
	case len(segs) == 1 && q.r.Method == http.MethodPost:
		s.handleTrackerImport(q)
	case len(segs) == 3 && segs[1] == "jobs" && q.r.Method == http.MethodGet:
		_, notes, _, ok := s.tasks.get("TRACKER_IMPORT_JOB", segs[2])
		if !ok {
			writeWebMessage(q.w, http.StatusNotFound, "ERROR", "Job with id "+segs[2]+" could not be found.", "E1005", nil)
			return true
		}
		writeJSON(q.w, http.StatusOK, notes)
	case len(segs) == 4 && segs[1] == "jobs" && segs[3] == "report" && q.r.Method == http.MethodGet:
		j, _, summary, ok := s.tasks.get("TRACKER_IMPORT_JOB", segs[2])
		if !ok || !j.Done {
			writeWebMessage(q.w, http.StatusNotFound, "ERROR", "Import report for job with id "+segs[2]+" could not be found.", "E1005", nil)
			return true
		}
		writeJSON(q.w, http.StatusOK, summary)
	case len(segs) == 2 && q.r.Method == http.MethodGet && s.isTrackerKind(segs[1]):
		s.handleTrackerExport(q, segs[1], "")
	case len(segs) == 3 && q.r.Method == http.MethodGet && s.isTrackerKind(segs[1]):
		s.handleTrackerExport(q, segs[1], segs[2])
	default:
		return false
	}
	return true
}

func (s *Server) isTrackerKind(p string) bool {
	_, ok := s.track.kinds[p]
	return ok
}

// trackerParams are the POST /api/tracker parameters (docs.dhis2.org tracker.md; dhis2-core TrackerImportController).
type trackerParams struct {
	Async          bool
	ReportMode     string
	ImportMode     string
	ImportStrategy string
	AtomicMode     string
}

func parseTrackerParams(q map[string][]string) (trackerParams, error) {
	p := trackerParams{Async: true}
	if v := q["async"]; len(v) > 0 {
		p.Async = !strings.EqualFold(v[0], "false")
	}
	var err error
	if p.ReportMode, err = parseEnum(q, "reportMode", "ERRORS", "WARNINGS", "FULL"); err != nil {
		return p, err
	}
	if p.ImportMode, err = parseEnum(q, "importMode", "COMMIT", "VALIDATE"); err != nil {
		return p, err
	}
	if p.ImportStrategy, err = parseEnum(q, "importStrategy", "CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE"); err != nil {
		return p, err
	}
	if p.AtomicMode, err = parseEnum(q, "atomicMode", "ALL", "OBJECT"); err != nil {
		return p, err
	}
	return p, nil
}

// trackerBundle is a flattened tracker payload: nested enrollments and events are lifted to their lists with
// their parent ids filled in, as the importer does.
type trackerBundle map[string][]map[string]any

func flattenTracker(payload map[string]any) trackerBundle {
	b := trackerBundle{}
	add := func(plural string, o map[string]any) { b[plural] = append(b[plural], o) }
	addEvent := func(ev, en map[string]any) {
		if en != nil {
			if _, ok := ev["enrollment"]; !ok {
				ev["enrollment"] = en["enrollment"]
			}
			if _, ok := ev["program"]; !ok {
				ev["program"] = en["program"]
			}
			if _, ok := ev["trackedEntity"]; !ok && en["trackedEntity"] != nil {
				ev["trackedEntity"] = en["trackedEntity"]
			}
		}
		add("events", ev)
	}
	addEnrollment := func(en map[string]any, te map[string]any) {
		if te != nil {
			if _, ok := en["trackedEntity"]; !ok {
				en["trackedEntity"] = te["trackedEntity"]
			}
		}
		for _, ev := range asList(en["events"]) {
			if m, ok := ev.(map[string]any); ok {
				addEvent(m, en)
			}
		}
		for _, r := range asList(en["relationships"]) {
			if m, ok := r.(map[string]any); ok {
				add("relationships", m)
			}
		}
		delete(en, "events")
		delete(en, "relationships")
		add("enrollments", en)
	}
	for _, te := range asList(payload["trackedEntities"]) {
		m, ok := te.(map[string]any)
		if !ok {
			continue
		}
		for _, en := range asList(m["enrollments"]) {
			if em, ok := en.(map[string]any); ok {
				addEnrollment(em, m)
			}
		}
		for _, r := range asList(m["relationships"]) {
			if rm, ok := r.(map[string]any); ok {
				add("relationships", rm)
			}
		}
		delete(m, "enrollments")
		delete(m, "relationships")
		add("trackedEntities", m)
	}
	for _, en := range asList(payload["enrollments"]) {
		if m, ok := en.(map[string]any); ok {
			addEnrollment(m, nil)
		}
	}
	for _, ev := range asList(payload["events"]) {
		if m, ok := ev.(map[string]any); ok {
			addEvent(m, nil)
		}
	}
	for _, r := range asList(payload["relationships"]) {
		if m, ok := r.(map[string]any); ok {
			add("relationships", m)
		}
	}
	return b
}

func (s *Server) handleTrackerImport(q *req) {
	p, err := parseTrackerParams(q.r.URL.Query())
	if err != nil {
		s.trackerBadRequest(q, err.Error())
		return
	}
	body, err := readBody(q.r)
	if err != nil {
		s.trackerBadRequest(q, err.Error())
		return
	}
	var payload map[string]any
	if err := json.NewDecoder(body).Decode(&payload); err != nil {
		s.trackerBadRequest(q, "Invalid JSON payload: "+err.Error())
		return
	}
	bundle := flattenTracker(payload)
	n := 0
	for _, l := range bundle {
		n += len(l)
	}
	if p.Async {
		j := s.tasks.start("TRACKER_IMPORT_JOB", s.now())
		go func() {
			s.applyCost(q.ctx(), EndpointTrackerImport, n)
			rep := s.importTracker(bundle, p)
			st := rep.stats
			s.tasks.finish(j, s.now(), fmt.Sprintf("Import complete with status %s, %d created, %d updated, %d deleted, %d ignored",
				rep.status, st.Created, st.Updated, st.Deleted, st.Ignored), s.trackerReportJSON(rep, p))
		}()
		resp := &orderedObject{}
		if !s.version.AtLeast(41) {
			resp.set("responseType", "TrackerJob")
		}
		resp.set("id", j.ID).set("location", baseURL(q.r)+"/api/tracker/jobs/"+j.ID)
		writeWebMessage(q.w, http.StatusOK, "OK", "Tracker job added", "", resp)
		return
	}
	s.applyCost(q.ctx(), EndpointTrackerImport, n)
	rep := s.importTracker(bundle, p)
	code := http.StatusOK
	if rep.status == "ERROR" {
		code = http.StatusConflict
	}
	writeJSON(q.w, code, s.trackerReportJSON(rep, p))
}

// trackerBadRequest is the request-validation error: 409 up to 2.39, 400 from 2.40 (rel:2.40).
func (s *Server) trackerBadRequest(q *req, msg string) {
	code := http.StatusConflict
	if s.version.AtLeast(40) {
		code = http.StatusBadRequest
	}
	writeError(q.w, code, msg)
}

type trackerError struct {
	Message     string   `json:"message"`
	ErrorCode   string   `json:"errorCode"`
	TrackerType string   `json:"trackerType"`
	UID         string   `json:"uid"`
	Args        []string `json:"args,omitempty"`
}

type trackerObjReport struct {
	trackerType string
	uid         string
	index       int
	errors      []trackerError
}

type trackerReport struct {
	status   string
	stats    importStats
	errors   []trackerError
	warnings []trackerError
	perType  map[string]*importStats
	objects  map[string][]trackerObjReport
}

// importTracker validates the bundle (tracked entities, then enrollments, events, relationships) and commits
// it unless atomicMode=ALL found errors or importMode=VALIDATE. With atomicMode=OBJECT, the children of a
// refused object are refused too (E5000, PersistablesFilter): nothing is committed under a missing parent.
func (s *Server) importTracker(b trackerBundle, p trackerParams) *trackerReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := &trackerReport{status: "OK", perType: map[string]*importStats{}, objects: map[string][]trackerObjReport{}}
	inPayload := map[string]map[string]bool{}
	for _, k := range trackerKinds {
		inPayload[k.plural] = map[string]bool{}
		rep.perType[k.trackerType] = &importStats{}
		for _, o := range b[k.plural] {
			id, _ := o[k.idField].(string)
			if id == "" && p.ImportStrategy != "DELETE" {
				id = s.newUID()
				o[k.idField] = id
			}
			inPayload[k.plural][id] = true
		}
	}
	ctx := newTrackerCtx(b)
	type pending struct {
		plural, tt, id string
		obj            map[string]any
		exists         bool
		skip           bool // refused with a warning only (E4015): ignored, not an error
		report         int  // index in rep.objects[tt]
	}
	var all []*pending
	failed := map[string]bool{} // "<plural>\x00<uid>" of refused objects
	for _, k := range trackerKinds {
		for i, o := range b[k.plural] {
			id, _ := o[k.idField].(string)
			existing, exists := s.track.get(k.plural, id)
			wasDeleted := false
			if exists {
				if d, _ := existing["deleted"].(bool); d {
					exists, wasDeleted, existing = false, true, nil
				}
			}
			errs, warns := s.validateTracker(k.plural, k.trackerType, id, o, existing, exists, wasDeleted, p, inPayload, ctx)
			pd := &pending{plural: k.plural, tt: k.trackerType, id: id, obj: o, exists: exists, skip: len(warns) > 0 && len(errs) == 0}
			if len(errs) == 0 && p.AtomicMode == "OBJECT" {
				if pt, pid := s.failedParent(k.plural, o, failed); pid != "" {
					errs = append(errs, s.trackerErr("E5000", k.trackerType, id, fmt.Sprintf("\"%s\" `%s` cannot be persisted because \"%s\" `%s` referenced by it cannot be persisted.",
						k.trackerType, id, pt, pid), k.trackerType, id, pt, pid))
				}
			}
			if len(errs) > 0 {
				failed[k.plural+"\x00"+id] = true
			}
			rep.errors = append(rep.errors, errs...)
			rep.warnings = append(rep.warnings, warns...)
			pd.report = len(rep.objects[k.trackerType])
			rep.objects[k.trackerType] = append(rep.objects[k.trackerType], trackerObjReport{trackerType: k.trackerType, uid: id, index: i, errors: errs})
			all = append(all, pd)
		}
	}
	anyErr := len(rep.errors) > 0
	commit := p.ImportMode == "COMMIT" && !(anyErr && p.AtomicMode == "ALL")
	now := s.nowString()
	for _, pd := range all {
		st := rep.perType[pd.tt]
		st.Total++
		switch {
		case failed[pd.plural+"\x00"+pd.id] || pd.skip || (anyErr && p.AtomicMode == "ALL"):
			st.Ignored++
			continue
		case p.ImportStrategy == "DELETE":
			st.Deleted++
		case pd.exists:
			st.Updated++
		default:
			st.Created++
		}
		if !commit {
			continue
		}
		if p.ImportStrategy == "DELETE" {
			s.touchTrackerParents(pd.plural, s.trackerStored(pd.plural, pd.id), now)
			s.deleteTracker(pd.plural, pd.id, now)
			continue
		}
		stored := copyObj(pd.obj)
		if old, ok := s.track.get(pd.plural, pd.id); ok && pd.exists {
			stored["createdAt"] = old["createdAt"]
		} else if _, ok := stored["createdAt"]; !ok {
			stored["createdAt"] = now
		}
		stored["updatedAt"] = now
		stored["deleted"] = false
		s.track.put(pd.plural, pd.id, stored)
		s.touchTrackerParents(pd.plural, stored, now)
	}
	for _, k := range trackerKinds {
		rep.stats.add(*rep.perType[k.trackerType])
	}
	if anyErr {
		rep.status = "ERROR"
	} else if len(rep.warnings) > 0 {
		rep.status = "WARNING"
	}
	s.stats.imported(rep.stats.Created + rep.stats.Updated + rep.stats.Deleted)
	return rep
}

func (s *Server) trackerStored(plural, id string) map[string]any {
	o, _ := s.track.get(plural, id)
	return o
}

// failedParent returns the type and UID of a refused object this one references: an enrollment's tracked
// entity, an event's enrollment, either side of a relationship.
func (s *Server) failedParent(plural string, o map[string]any, failed map[string]bool) (string, string) {
	check := func(pl, id string) bool { return id != "" && failed[pl+"\x00"+id] }
	switch plural {
	case "enrollments":
		if te, _ := o["trackedEntity"].(string); check("trackedEntities", te) {
			return "TRACKED_ENTITY", te
		}
	case "events":
		if en, _ := o["enrollment"].(string); check("enrollments", en) {
			return "ENROLLMENT", en
		}
		if te, _ := o["trackedEntity"].(string); check("trackedEntities", te) {
			return "TRACKED_ENTITY", te
		}
	case "relationships":
		for _, side := range []string{"from", "to"} {
			kind, id := relationshipItem(o[side])
			pl := map[string]string{"trackedEntity": "trackedEntities", "enrollment": "enrollments", "event": "events"}[kind]
			if check(pl, id) {
				return trackerTypeOf(pl), id
			}
		}
	}
	return "", ""
}

// touchTrackerParents moves the updatedAt of the tracked entity (and enrollment) above a changed object:
// DHIS2 bumps a tracked entity's lastUpdated when its enrollments, events or originating relationships
// change, so a delta export by updatedAfter finds the entity again.
func (s *Server) touchTrackerParents(plural string, o map[string]any, now string) {
	if o == nil {
		return
	}
	touch := func(pl, id string) {
		if x, ok := s.track.get(pl, id); ok && id != "" {
			x["updatedAt"] = now
		}
	}
	switch plural {
	case "enrollments":
		te, _ := o["trackedEntity"].(string)
		touch("trackedEntities", te)
	case "events":
		en, _ := o["enrollment"].(string)
		touch("enrollments", en)
		if e, ok := s.track.get("enrollments", en); ok {
			te, _ := e["trackedEntity"].(string)
			touch("trackedEntities", te)
		}
	case "relationships":
		if kind, id := relationshipItem(o["from"]); kind == "trackedEntity" {
			touch("trackedEntities", id)
		}
	}
}

func trackerTypeOf(plural string) string {
	for _, k := range trackerKinds {
		if k.plural == plural {
			return k.trackerType
		}
	}
	return ""
}

// deleteTracker soft-deletes an object and cascades to its children.
func (s *Server) deleteTracker(plural, id, now string) {
	o, ok := s.track.get(plural, id)
	if !ok {
		return
	}
	o["deleted"], o["updatedAt"] = true, now
	if plural != "relationships" {
		// Relationships of a deleted tracked entity, enrollment or event go with it (the stricter choice:
		// see docs/dhis2-conformance.md).
		for _, r := range s.track.childrenOf("relationships", id, false) {
			r["deleted"], r["updatedAt"] = true, now
		}
	}
	child := map[string]string{"trackedEntities": "enrollments", "enrollments": "events"}[plural]
	if child == "" {
		return
	}
	for _, c := range s.track.childrenOf(child, id, false) {
		cid, _ := c[trackerIDField(child)].(string)
		s.deleteTracker(child, cid, now)
	}
}

// trackerErr is one error report; args appear from 2.41.
func (s *Server) trackerErr(code, tt, id, msg string, args ...string) trackerError {
	e := trackerError{Message: msg, ErrorCode: code, TrackerType: tt, UID: id}
	if s.version.AtLeast(41) {
		e.Args = append([]string{}, args...)
	}
	return e
}

// deletedCodes are the "already deleted and cannot be modified" codes per kind (ValidationCode E1114,
// E1113, E1082, E4017): a soft-deleted UID is never re-created.
var deletedCodes = map[string]struct{ code, name string }{
	"trackedEntities": {"E1114", "TrackedEntity"}, "enrollments": {"E1113", "Enrollment"},
	"events": {"E1082", "Event"}, "relationships": {"E4017", "Relationship"},
}

// validateTracker applies the tracker validation codes of ValidationCode.java (dhis2-core tracker ValidationCode); it returns the
// errors and the warnings (a warning alone leaves the object unchanged, as E4015 does).
func (s *Server) validateTracker(plural, tt, id string, o, stored map[string]any, exists, wasDeleted bool, p trackerParams,
	inPayload map[string]map[string]bool, ctx *trackerCtx) ([]trackerError, []trackerError) {
	var errs, warns []trackerError
	add := func(code, msg string, args ...string) { errs = append(errs, s.trackerErr(code, tt, id, msg, args...)) }
	str := func(k string) string { v, _ := o[k].(string); return v }
	if id != "" && !isUID(id) {
		add("E1048", fmt.Sprintf("Object: `%s`, uid: `%s`, has an invalid uid format.", tt, id), tt, id)
		return errs, nil
	}
	if wasDeleted && p.ImportStrategy != "DELETE" {
		d := deletedCodes[plural]
		add(d.code, fmt.Sprintf("%s: `%s`, is already deleted and cannot be modified.", d.name, id), id)
		return errs, nil
	}
	liveTracker := func(pl, oid string) bool {
		if inPayload[pl][oid] {
			return true
		}
		x, ok := s.track.get(pl, oid)
		if !ok {
			return false
		}
		d, _ := x["deleted"].(bool)
		return !d
	}
	programHasOU := func(program, ou string) bool {
		prg, ok := s.meta.get("programs", program)
		if !ok {
			return false
		}
		ous := asList(prg["organisationUnits"])
		if len(ous) == 0 {
			return true
		}
		for _, x := range ous {
			if refID(x) == ou {
				return true
			}
		}
		return false
	}
	existsMeta := func(pl, uid string) bool { _, ok := s.meta.get(pl, uid); return ok }
	switch plural {
	case "trackedEntities":
		switch {
		case p.ImportStrategy == "CREATE" && exists:
			add("E1002", fmt.Sprintf("TrackedEntity: `%s`, already exists.", id), id)
			return errs, nil
		case (p.ImportStrategy == "UPDATE" || p.ImportStrategy == "DELETE") && !exists:
			add("E1063", fmt.Sprintf("TrackedEntity: `%s`, does not exist.", id), id)
			return errs, nil
		case p.ImportStrategy == "DELETE":
			return errs, nil
		}
		if t := str("trackedEntityType"); !existsMeta("trackedEntityTypes", t) {
			add("E1005", fmt.Sprintf("Could not find TrackedEntityType: `%s`.", t), t)
		}
		if ou := str("orgUnit"); !existsMeta("organisationUnits", ou) {
			add("E1049", fmt.Sprintf("Could not find OrganisationUnit: `%s`, linked to Tracked Entity.", ou), ou)
		}
		s.trackedEntityContent(id, o, stored, add)
	case "enrollments":
		switch {
		case p.ImportStrategy == "CREATE" && exists:
			add("E1080", fmt.Sprintf("Enrollment: `%s`, already exists.", id), id)
			return errs, nil
		case (p.ImportStrategy == "UPDATE" || p.ImportStrategy == "DELETE") && !exists:
			add("E1081", fmt.Sprintf("Enrollment: `%s`, does not exist.", id), id)
			return errs, nil
		case p.ImportStrategy == "DELETE":
			return errs, nil
		}
		prg, ou, te := str("program"), str("orgUnit"), str("trackedEntity")
		if !existsMeta("programs", prg) {
			add("E1069", fmt.Sprintf("Could not find Program: `%s`, linked to Enrollment.", prg), prg)
		}
		if !existsMeta("organisationUnits", ou) {
			add("E1070", fmt.Sprintf("Could not find OrganisationUnit: `%s`, linked to Enrollment.", ou), ou)
		} else if existsMeta("programs", prg) && !programHasOU(prg, ou) {
			add("E1041", fmt.Sprintf("Enrollment OrganisationUnit: `%s`, and Program: `%s`, dont match.", ou, prg), ou, prg)
		}
		if !liveTracker("trackedEntities", te) {
			add("E1068", fmt.Sprintf("Could not find TrackedEntity: `%s`, linked to Enrollment.", te), te)
		}
		if prgObj, ok := s.meta.get("programs", prg); ok {
			s.enrollmentContent(id, o, prgObj, ctx, add)
		}
	case "events":
		switch {
		case p.ImportStrategy == "CREATE" && exists:
			add("E1030", fmt.Sprintf("Event: `%s`, already exists.", id), id)
			return errs, nil
		case (p.ImportStrategy == "UPDATE" || p.ImportStrategy == "DELETE") && !exists:
			add("E1032", fmt.Sprintf("Event: `%s`, do not exist.", id), id)
			return errs, nil
		case p.ImportStrategy == "DELETE":
			return errs, nil
		}
		prg, ps, ou, en := str("program"), str("programStage"), str("orgUnit"), str("enrollment")
		stage, stageOK := s.meta.get("programStages", ps)
		if prg == "" && stageOK {
			prg = refID(stage["program"])
		}
		program, prgOK := s.meta.get("programs", prg)
		if !prgOK {
			add("E1010", fmt.Sprintf("Could not find Program: `%s`, linked to Event.", prg), prg)
		}
		if !stageOK {
			add("E1013", fmt.Sprintf("Could not find ProgramStage: `%s`, linked to Event.", ps), ps)
		} else if prgOK && refID(stage["program"]) != "" && refID(stage["program"]) != prg {
			add("E1089", fmt.Sprintf("Event: `%s`, references a Program Stage `%s` that does not belong to Program `%s`.", id, ps, prg), id, ps, prg)
		}
		if !existsMeta("organisationUnits", ou) {
			add("E1011", fmt.Sprintf("Could not find OrganisationUnit: `%s`, linked to Event.", ou), ou)
		} else if prgOK && !programHasOU(prg, ou) {
			add("E1029", fmt.Sprintf("Event OrganisationUnit: `%s`, and Program: `%s`, don't match.", ou, prg), ou, prg)
		}
		if stageOK {
			s.eventContent(o, stored, stage, add)
		} else {
			s.eventContent(o, stored, nil, add)
		}
		if prgOK && program["programType"] == "WITH_REGISTRATION" {
			if en == "" {
				add("E1033", fmt.Sprintf("Event: `%s`, Enrollment value is NULL.", id), id)
			} else if !liveTracker("enrollments", en) {
				add("E1081", fmt.Sprintf("Enrollment: `%s`, does not exist.", en), en)
			}
		}
	case "relationships":
		if p.ImportStrategy == "DELETE" {
			if !exists {
				add("E4005", fmt.Sprintf("Relationship: `%s` do not exist.", id), id)
			}
			return errs, nil
		}
		if exists {
			// Relationships are never updated: an existing one is reported and left as it is.
			warns = append(warns, s.trackerErr("E4015", tt, id, fmt.Sprintf("Relationship: `%s`, already exists.", id), id))
			return nil, warns
		}
		if dup := s.duplicateRelationship(id, o); dup != "" {
			l := relationshipLink(o)
			add("E4018", fmt.Sprintf("Relationship: `%s`, linking %s: `%s` to %s: `%s` already exists.", id, l[0], l[1], l[2], l[3]), id, l[0], l[1], l[2], l[3])
		}
		rt := str("relationshipType")
		if !existsMeta("relationshipTypes", rt) {
			add("E4006", fmt.Sprintf("Could not find relationship Type: `%s`.", rt), rt)
		}
		for _, side := range []string{"from", "to"} {
			item, _ := o[side].(map[string]any)
			found := false
			for _, k := range trackerKinds[:3] {
				ref, ok := item[k.idField]
				if !ok {
					continue
				}
				rid, _ := ref.(string)
				if m, isMap := ref.(map[string]any); isMap {
					rid, _ = m[k.idField].(string)
				}
				found = true
				if !liveTracker(k.plural, rid) {
					add("E4012", fmt.Sprintf("Could not find `%s`: `%s`, linked to Relationship.", k.idField, rid), k.idField, rid)
				}
			}
			if !found {
				add("E4012", fmt.Sprintf("Could not find `%s`: `%s`, linked to Relationship.", side, ""), side, "")
			}
		}
	}
	return errs, warns
}

// trackerReportJSON renders the import report of the simulated version (docs.dhis2.org tracker.md; dhis2-core TrackerImportController): 2.36–2.39 have
// timingsStats and bundleReport.status and objectReports[].index; 2.40 drops bundleReport.status; 2.41
// drops timingsStats and index and adds args to error reports.
func (s *Server) trackerReportJSON(r *trackerReport, p trackerParams) *orderedObject {
	o := &orderedObject{}
	o.set("status", r.status)
	errs := r.errors
	if errs == nil {
		errs = []trackerError{}
	}
	warns := r.warnings
	if warns == nil {
		warns = []trackerError{}
	}
	o.set("validationReport", (&orderedObject{}).set("errorReports", errs).set("warningReports", warns))
	o.set("stats", r.stats)
	if !s.version.AtLeast(41) {
		o.set("timingsStats", map[string]any{"timers": map[string]string{"preheat": "0,001000 sec.",
			"validation": "0,001000 sec.", "commit": "0,001000 sec.", "totalImport": "0,003000 sec."}})
	}
	bundle := &orderedObject{}
	if !s.version.AtLeast(40) {
		bundle.set("status", r.status)
	}
	typeMap := &orderedObject{}
	for _, k := range trackerKinds {
		ors := []any{}
		for _, or := range r.objects[k.trackerType] {
			if p.ReportMode != "FULL" && len(or.errors) == 0 && r.status == "ERROR" {
				continue
			}
			x := &orderedObject{}
			x.set("trackerType", or.trackerType).set("uid", or.uid)
			if !s.version.AtLeast(41) {
				x.set("index", or.index)
			}
			e := or.errors
			if e == nil {
				e = []trackerError{}
			}
			x.set("errorReports", e)
			ors = append(ors, x)
		}
		typeMap.set(k.trackerType, (&orderedObject{}).set("trackerType", k.trackerType).
			set("stats", *r.perType[k.trackerType]).set("objectReports", ors))
	}
	bundle.set("typeReportMap", typeMap).set("stats", r.stats)
	o.set("bundleReport", bundle)
	return o
}

// handleTrackerExport serves GET /api/tracker/{trackedEntities,enrollments,events,relationships}[/{id}] with
// the paging shape of each version (dhis2-core PagingWrapper; tracker/view/Page).
func (s *Server) handleTrackerExport(q *req, plural, id string) {
	qv := q.r.URL.Query()
	if id != "" {
		s.mu.RLock()
		o, ok := s.track.get(plural, id)
		var out map[string]any
		if ok {
			out = s.trackerView(plural, o, qv)
		}
		s.mu.RUnlock()
		if !ok || out["deleted"] == true {
			writeWebMessage(q.w, http.StatusNotFound, "ERROR", fmt.Sprintf("%s with id %s could not be found.", trackerSingular(plural), id), "", nil)
			return
		}
		writeJSON(q.w, http.StatusOK, out)
		return
	}
	if !s.version.AtLeast(42) && qv.Get("skipPaging") != "" && qv.Get("paging") != "" && s.version.AtLeast(41) {
		s.trackerBadRequest(q, "Paging can either be enabled or disabled. Prefer 'paging' as 'skipPaging' will be removed.")
		return
	}
	if s.version.AtLeast(42) && qv.Get("skipPaging") != "" {
		qv.Del("skipPaging") // removed in 2.42: ignored
	}
	pg, err := readPaging(qv)
	if err != nil {
		s.trackerBadRequest(q, err.Error())
		return
	}
	includeDeleted := strings.EqualFold(qv.Get("includeDeleted"), "true")
	s.mu.RLock()
	matched, xerr := s.trackerSelect(plural, qv, includeDeleted)
	if xerr != nil {
		s.mu.RUnlock()
		writeError(q.w, xerr.code, xerr.msg)
		return
	}
	totalPages := strings.EqualFold(qv.Get("totalPages"), "true")
	from, to, pager := pg.window(len(matched), pageURL(baseURL(q.r), q.r.URL.Path, qv))
	items := make([]map[string]any, 0, to-from)
	for _, o := range matched[from:to] {
		items = append(items, s.trackerView(plural, o, qv))
	}
	s.mu.RUnlock()
	s.stats.exported(len(items))
	s.applyCost(q.ctx(), EndpointTrackerExport, len(items))
	resp := &orderedObject{}
	switch {
	case !s.version.AtLeast(41):
		if pager != nil {
			resp.set("page", pager.Page).set("pageSize", pager.PageSize)
			if totalPages {
				resp.set("total", pager.Total).set("pageCount", pager.PageCount)
			}
		}
		resp.set("instances", items)
	default:
		if pager != nil {
			pj := &orderedObject{}
			pj.set("page", pager.Page).set("pageSize", pager.PageSize)
			if totalPages {
				pj.set("total", pager.Total).set("pageCount", pager.PageCount)
			}
			if pager.PrevPage != "" {
				pj.set("prevPage", pager.PrevPage)
			}
			if pager.NextPage != "" && (totalPages || to-from == pager.PageSize) {
				pj.set("nextPage", pager.NextPage)
			}
			resp.set("pager", pj)
			if !s.version.AtLeast(42) {
				resp.set("page", pager.Page).set("pageSize", pager.PageSize)
				if totalPages {
					resp.set("total", pager.Total).set("pageCount", pager.PageCount)
				}
			}
		}
		resp.set(plural, items)
	}
	writeJSON(q.w, http.StatusOK, resp)
}

func trackerSingular(plural string) string {
	switch plural {
	case "trackedEntities":
		return "TrackedEntity"
	case "enrollments":
		return "Enrollment"
	case "events":
		return "Event"
	}
	return "Relationship"
}

// trackerSelect returns the objects an export request selects, or the error DHIS2 answers it with.
// Relationships are read per tracked entity, enrollment or event, with no date filter; tracked entities
// by programme ownership (only entities enrolled in the programme) and owner org unit.
func (s *Server) trackerSelect(plural string, qv map[string][]string, includeDeleted bool) ([]map[string]any, *exportError) {
	if plural == "relationships" {
		_, id, xerr := s.relationshipQuery(qv)
		if xerr != nil {
			return nil, xerr
		}
		return s.track.childrenOf("relationships", id, includeDeleted), nil
	}
	sel, xerr := s.readOUSelection(qv)
	if xerr != nil {
		return nil, xerr
	}
	program := firstParam(qv, "program")
	if plural == "trackedEntities" {
		if xerr := s.checkTrackedEntityQuery(qv, sel); xerr != nil {
			return nil, xerr
		}
	}
	inScope := s.ouMatcher(sel)
	filters := trackerFilters(qv, s.version)
	tet := firstParam(qv, "trackedEntityType")
	var matched []map[string]any
	k := s.track.kinds[plural]
	for _, oid := range k.order {
		o := k.objs[oid]
		if d, _ := o["deleted"].(bool); d && !includeDeleted {
			continue
		}
		if !filters(o) {
			continue
		}
		if plural == "trackedEntities" {
			if program != "" && !s.enrolledIn(o, program, includeDeleted) {
				continue
			}
			if tet != "" && o["trackedEntityType"] != tet {
				continue
			}
			if !inScope(s.ownerOrgUnit(o, program)) {
				continue
			}
		} else if ou, _ := o["orgUnit"].(string); !inScope(ou) {
			continue
		}
		matched = append(matched, o)
	}
	return matched, nil
}

// trackerFilters builds the export filter from the query: program, trackedEntity(s), enrollment(s),
// event(s), programStage, updatedAfter/updatedBefore. UID lists take "," (2.41+) or ";". Org units are
// selected by the caller (ouMatcher).
func trackerFilters(qv map[string][]string, v Version) func(map[string]any) bool {
	list := func(names ...string) map[string]bool {
		var out map[string]bool
		for _, n := range names {
			for _, val := range qv[n] {
				for _, part := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ';' }) {
					if out == nil {
						out = map[string]bool{}
					}
					out[part] = true
				}
			}
		}
		return out
	}
	one := func(n string) string {
		if l := qv[n]; len(l) > 0 {
			return l[0]
		}
		return ""
	}
	program, stage := one("program"), one("programStage")
	tes := list("trackedEntity", "trackedEntities")
	ens := list("enrollment", "enrollments")
	evs := list("event", "events")
	after, before := one("updatedAfter"), one("updatedBefore")
	return func(o map[string]any) bool {
		get := func(k string) string { x, _ := o[k].(string); return x }
		if program != "" && o["program"] != nil && get("program") != program {
			return false
		}
		if stage != "" && get("programStage") != stage {
			return false
		}
		if tes != nil && !tes[get("trackedEntity")] {
			return false
		}
		if ens != nil && !ens[get("enrollment")] {
			return false
		}
		if evs != nil && !evs[get("event")] {
			return false
		}
		if after != "" && compareValues(get("updatedAt"), after) <= 0 {
			return false
		}
		if before != "" && compareValues(get("updatedAt"), before) >= 0 {
			return false
		}
		return true
	}
}

// trackerView renders a stored object for export: tracked entities embed their enrollments (and those their
// events) when fields asks for them, as fields=*,enrollments[*,events[*]] does, and their live
// relationships when fields names relationships.
func (s *Server) trackerView(plural string, o map[string]any, qv map[string][]string) map[string]any {
	out := copyObj(o)
	fields := strings.Join(qv["fields"], ",")
	id, _ := o[trackerIDField(plural)].(string)
	if plural == "trackedEntities" && strings.Contains(fields, "enrollments") {
		ens := []any{}
		for _, en := range s.track.childrenOf("enrollments", id, false) {
			ens = append(ens, s.trackerView("enrollments", en, map[string][]string{"fields": {"events"}}))
		}
		out["enrollments"] = ens
	}
	if plural == "enrollments" && strings.Contains(fields, "events") {
		evs := []any{}
		for _, ev := range s.track.childrenOf("events", id, false) {
			evs = append(evs, copyObj(ev))
		}
		out["events"] = evs
	}
	if strings.Contains(fields, "relationships") && plural != "relationships" {
		rels := []any{}
		for _, r := range s.track.childrenOf("relationships", id, false) {
			rels = append(rels, copyObj(r))
		}
		out["relationships"] = rels
	}
	return out
}

func trackerIDField(plural string) string {
	for _, k := range trackerKinds {
		if k.plural == plural {
			return k.idField
		}
	}
	return ""
}

// routeLegacyTracker serves the legacy /api/events and /api/trackedEntityInstances reads on versions that
// have them (absent on 2.42, docs.dhis2.org 2.38 tracker.md; release notes 2.42), mapping the new-tracker store to the old field names (docs.dhis2.org 2.38 tracker.md; release notes 2.42).
func (s *Server) routeLegacyTracker(q *req, segs []string) bool {
	if s.version.AtLeast(42) || q.r.Method != http.MethodGet || len(segs) != 1 {
		return false
	}
	var plural, key string
	switch segs[0] {
	case "events":
		plural, key = "events", "events"
	case "trackedEntityInstances":
		plural, key = "trackedEntities", "trackedEntityInstances"
	case "enrollments":
		plural, key = "enrollments", "enrollments"
	default:
		return false
	}
	qv := q.r.URL.Query()
	pg, err := readPaging(qv)
	if err != nil {
		writeError(q.w, http.StatusConflict, err.Error())
		return true
	}
	legacy := map[string]string{"occurredAt": "eventDate", "scheduledAt": "dueDate", "createdAt": "created",
		"updatedAt": "lastUpdated", "completedAt": "completedDate", "trackedEntity": "trackedEntityInstance",
		"enrolledAt": "enrollmentDate"}
	filters := trackerFilters(qv, s.version)
	legacyOUs := uidList(qv, "orgUnit", "ou")
	since := qv.Get("lastUpdatedStartDate")
	s.mu.RLock()
	k := s.track.kinds[plural]
	var matched []map[string]any
	for _, id := range k.order {
		o := k.objs[id]
		if o["deleted"] == true && !strings.EqualFold(qv.Get("includeDeleted"), "true") {
			continue
		}
		if !filters(o) {
			continue
		}
		if ou, _ := o["orgUnit"].(string); legacyOUs != nil && !legacyOUs[ou] {
			continue
		}
		if since != "" {
			if u, _ := o["updatedAt"].(string); compareValues(u, since) < 0 {
				continue
			}
		}
		matched = append(matched, o)
	}
	from, to, pager := pg.window(len(matched), pageURL(baseURL(q.r), q.r.URL.Path, qv))
	items := make([]map[string]any, 0, to-from)
	for _, o := range matched[from:to] {
		x := map[string]any{}
		for kk, v := range o {
			if nk, ok := legacy[kk]; ok {
				kk = nk
			}
			x[kk] = deepCopy(v)
		}
		if plural == "trackedEntities" {
			x["trackedEntityInstance"] = o["trackedEntity"]
		}
		items = append(items, x)
	}
	s.mu.RUnlock()
	s.applyCost(q.ctx(), EndpointTrackerExport, len(items))
	resp := &orderedObject{}
	if pager != nil {
		resp.set("pager", (&orderedObject{}).set("page", pager.Page).set("pageSize", pager.PageSize).
			set("isLastPage", pager.Page >= pager.PageCount))
	}
	resp.set(key, items)
	writeJSON(q.w, http.StatusOK, resp)
	return true
}

var _ = slices.Index[[]string]
