package dhis2sim

import (
	"encoding/json"
	"net/http"
	"strings"
)

// handleSingleWrite serves POST /api/<plural> (create) and PUT /api/<plural>/{id} (update) through the
// same bundle validation as /api/metadata. The reply is a WebMessage with an ObjectReport: 201 Created for
// POST, 200 for PUT, 409 with errorReports when validation fails, 404 E1005 when PUT targets a missing object.
func (s *Server) handleSingleWrite(q *req, sch *Schema, id string) {
	body, err := readBody(q.r)
	if err != nil {
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	var obj map[string]any
	if err := json.NewDecoder(body).Decode(&obj); err != nil {
		writeError(q.w, http.StatusBadRequest, "Invalid JSON payload: "+err.Error())
		return
	}
	strategy := "CREATE"
	if id != "" {
		strategy = "UPDATE"
		s.mu.RLock()
		_, exists := s.meta.get(sch.Plural, id)
		s.mu.RUnlock()
		if !exists {
			writeWebMessage(q.w, http.StatusNotFound, "ERROR", notFoundMessage(sch, id), "E1005", nil)
			return
		}
		obj["id"] = id
	}
	qv := q.r.URL.Query()
	p, err := parseImportParams(map[string][]string{"importStrategy": {strategy}, "mergeMode": qv["mergeMode"]}, q.account.Username)
	if err != nil {
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	if q.r.Method == http.MethodPatch {
		p.MergeMode = "MERGE"
	}
	s.applyCost(q.ctx(), EndpointMetadataImport, 1)
	rep := s.importMetadata(map[string][]map[string]any{sch.Plural: {obj}}, p)
	uid, _ := obj["id"].(string)
	errs := []errorReport{}
	for _, tr := range rep.TypeReports {
		for _, or := range tr.ObjectReports {
			errs = append(errs, or.ErrorReports...)
		}
	}
	resp := &orderedObject{}
	resp.set("responseType", "ObjectReport").set("uid", uid).set("klass", sch.Klass).set("errorReports", errs)
	switch {
	case len(errs) > 0:
		writeWebMessage(q.w, http.StatusConflict, "ERROR", "One or more errors occurred, please see full details in import report.", "", resp)
	case strategy == "CREATE":
		q.w.Header().Set("Location", baseURL(q.r)+"/api/"+sch.Plural+"/"+uid)
		writeWebMessage(q.w, http.StatusCreated, "OK", "Object created", "", resp)
	default:
		writeWebMessage(q.w, http.StatusOK, "OK", "", "", resp)
	}
}

// handleSingleDelete serves DELETE /api/<plural>/{id}: 204 before 2.38 (docs@2.40 metadata.md), a 200
// WebMessage with an ObjectReport from 2.38 [UNVERIFIED exact version of the change]; 404 E1005 when
// missing; 409 with E4030 when the object is still referenced.
func (s *Server) handleSingleDelete(q *req, sch *Schema, id string) {
	s.mu.RLock()
	_, exists := s.meta.get(sch.Plural, id)
	s.mu.RUnlock()
	if !exists {
		writeWebMessage(q.w, http.StatusNotFound, "ERROR", notFoundMessage(sch, id), "E1005", nil)
		return
	}
	p, _ := parseImportParams(map[string][]string{"importStrategy": {"DELETE"}}, q.account.Username)
	s.applyCost(q.ctx(), EndpointMetadataImport, 1)
	rep := s.importMetadata(map[string][]map[string]any{sch.Plural: {{"id": id}}}, p)
	if rep.Status != "OK" {
		var e errorReport
		for _, tr := range rep.TypeReports {
			for _, or := range tr.ObjectReports {
				if len(or.ErrorReports) > 0 {
					e = or.ErrorReports[0]
				}
			}
		}
		writeWebMessage(q.w, http.StatusConflict, "ERROR", e.Message, e.ErrorCode, nil)
		return
	}
	if !s.version.AtLeast(38) {
		q.w.WriteHeader(http.StatusNoContent)
		return
	}
	resp := &orderedObject{}
	resp.set("responseType", "ObjectReport").set("uid", id).set("klass", sch.Klass).set("errorReports", []errorReport{})
	writeWebMessage(q.w, http.StatusOK, "OK", "", "", resp)
}

// PutObject creates or replaces an object as an import would, with lastUpdated set to now. It is meant for
// tests of delta flows; validation errors are returned.
func (s *Server) PutObject(plural string, obj map[string]any) error {
	sch, ok := s.schemas.Lookup(plural)
	if !ok {
		return &UnknownTypeError{Plural: plural, Version: s.version}
	}
	o, err := normaliseJSON(obj)
	if err != nil {
		return err
	}
	p, _ := parseImportParams(nil, s.opts.Username)
	rep := s.importMetadata(map[string][]map[string]any{sch.Plural: {o}}, p)
	return reportError(rep)
}

// DeleteObject deletes an object as DELETE /api/<plural>/{id} would, recording it in deletedObjects.
func (s *Server) DeleteObject(plural, uid string) error {
	sch, ok := s.schemas.Lookup(plural)
	if !ok {
		return &UnknownTypeError{Plural: plural, Version: s.version}
	}
	s.mu.RLock()
	_, exists := s.meta.get(plural, uid)
	s.mu.RUnlock()
	if !exists {
		return &NotFoundError{Klass: sch.ShortKlass(), UID: uid}
	}
	p, _ := parseImportParams(map[string][]string{"importStrategy": {"DELETE"}}, s.opts.Username)
	rep := s.importMetadata(map[string][]map[string]any{plural: {{"id": uid}}}, p)
	return reportError(rep)
}

func reportError(rep *importReport) error {
	if rep.Status == "OK" {
		return nil
	}
	var msgs []string
	for _, tr := range rep.TypeReports {
		for _, or := range tr.ObjectReports {
			for _, e := range or.ErrorReports {
				msgs = append(msgs, e.ErrorCode+": "+e.Message)
			}
		}
	}
	return &ImportError{Messages: msgs}
}

// Objects returns copies of the stored objects of a type (owner properties as stored).
func (s *Server) Objects(plural string) []map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []map[string]any
	for _, o := range s.meta.list(plural) {
		out = append(out, copyObj(o))
	}
	return out
}

// ImportError lists the error reports of a failed import.
type ImportError struct{ Messages []string }

func (e *ImportError) Error() string { return "import failed: " + strings.Join(e.Messages, "; ") }

// NotFoundError is returned for a missing object.
type NotFoundError struct{ Klass, UID string }

func (e *NotFoundError) Error() string { return e.Klass + " with id " + e.UID + " could not be found." }

// UnknownTypeError is returned for a type the simulated version does not have.
type UnknownTypeError struct {
	Plural  string
	Version Version
}

func (e *UnknownTypeError) Error() string {
	return "type " + e.Plural + " does not exist in DHIS2 " + e.Version.String()
}
