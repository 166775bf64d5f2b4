package dhis2sim

import (
	"fmt"
	"net/http"
	"strings"
)

// Export request rules of /api/tracker/{trackedEntities,enrollments,events,relationships}, version by
// version. docs/dhis2-conformance.md lists each rule with its DHIS2 source; where the real behaviour could
// not be established the simulator takes the stricter choice.

// exportError is a refused export request: its status and message.
type exportError struct {
	code int
	msg  string
}

// ouModes are OrganisationUnitSelectionMode's values.
var ouModes = map[string]bool{"SELECTED": true, "CHILDREN": true, "DESCENDANTS": true, "ACCESSIBLE": true,
	"CAPTURE": true, "ALL": true}

// ouSelection is the org-unit scope of an export: a mode and the selected org units.
type ouSelection struct {
	mode string
	ous  map[string]bool
}

// ouParamNames are the org-unit parameter names a version reads: orgUnit/ouMode up to 2.40, both the
// 2.41 names and the deprecated ones on 2.41, only orgUnits/orgUnitMode on 2.42 (rel:2.41, rel:2.42).
func ouParamNames(v Version) (units, modes []string) {
	switch {
	case v.AtLeast(42):
		return []string{"orgUnits"}, []string{"orgUnitMode"}
	case v.AtLeast(41):
		return []string{"orgUnits", "orgUnit"}, []string{"orgUnitMode", "ouMode"}
	}
	return []string{"orgUnit"}, []string{"ouMode"}
}

// conflictStatus is the status of an IllegalQueryException: 409 up to 2.40 (the export controllers'
// tests assert CONFLICT), 400 from 2.41, where the request mappers throw BadRequestException.
func (s *Server) conflictStatus() int {
	if s.version.AtLeast(41) {
		return http.StatusBadRequest
	}
	return http.StatusConflict
}

// readOUSelection reads and checks the org-unit parameters of a tracker export.
func (s *Server) readOUSelection(qv map[string][]string) (ouSelection, *exportError) {
	unitNames, modeNames := ouParamNames(s.version)
	sel := ouSelection{ous: uidList(qv, unitNames...)}
	for _, n := range modeNames {
		if v := firstParam(qv, n); v != "" {
			sel.mode = strings.ToUpper(v)
			if !ouModes[sel.mode] {
				return sel, &exportError{http.StatusBadRequest, fmt.Sprintf("Value '%s' is not valid for parameter %s. Valid values are: [SELECTED, CHILDREN, DESCENDANTS, ACCESSIBLE, CAPTURE, ALL]", v, n)}
			}
			break
		}
	}
	if !s.version.AtLeast(41) {
		if sel.mode == "" {
			sel.mode = "SELECTED"
		}
		return sel, nil
	}
	// RequestParamsValidator.validateOrgUnitMode (2.41+): the default depends on whether org units are given,
	// and some combinations are refused.
	if sel.mode == "" {
		sel.mode = "SELECTED"
		if len(sel.ous) == 0 {
			sel.mode = "ACCESSIBLE"
		}
	}
	noUnitModes := map[string]bool{"ACCESSIBLE": true, "CAPTURE": true}
	if s.version.AtLeast(42) {
		noUnitModes["ALL"] = true
	}
	if len(sel.ous) > 0 && noUnitModes[sel.mode] {
		return sel, &exportError{http.StatusBadRequest, fmt.Sprintf("orgUnitMode %s cannot be used with orgUnits. Please remove the orgUnit parameter and try again.", sel.mode)}
	}
	return sel, nil
}

// needsUnits reports whether the mode selects relative to given org units.
func (sel ouSelection) needsUnits() bool {
	return sel.mode == "SELECTED" || sel.mode == "CHILDREN" || sel.mode == "DESCENDANTS"
}

// matcher returns the org-unit test of the selection: the simulated user (a superuser with the root) can
// read every org unit, so ACCESSIBLE, CAPTURE and ALL select everything.
func (s *Server) ouMatcher(sel ouSelection) func(ou string) bool {
	if !sel.needsUnits() || len(sel.ous) == 0 {
		return func(string) bool { return true }
	}
	return func(ou string) bool {
		if sel.ous[ou] {
			return true
		}
		o, ok := s.meta.get("organisationUnits", ou)
		if !ok {
			return false
		}
		switch sel.mode {
		case "CHILDREN":
			return sel.ous[refID(o["parent"])]
		case "DESCENDANTS":
			path, _ := o["path"].(string)
			for _, p := range strings.Split(path, "/") {
				if sel.ous[p] {
					return true
				}
			}
		}
		return false
	}
}

// checkTrackedEntityQuery applies the tracked-entity export rules: DefaultTrackedEntityInstanceService
// .validate up to 2.40 (409), the request mappers and RequestParamsValidator from 2.41 (400).
func (s *Server) checkTrackedEntityQuery(qv map[string][]string, sel ouSelection) *exportError {
	program, tet := firstParam(qv, "program"), firstParam(qv, "trackedEntityType")
	teNames := []string{"trackedEntity"}
	if s.version.AtLeast(41) {
		teNames = []string{"trackedEntities", "trackedEntity"}
	}
	hasTEs := len(uidList(qv, teNames...)) > 0
	code := s.conflictStatus()
	if program != "" {
		if p, ok := s.meta.get("programs", program); !ok {
			return &exportError{code, fmt.Sprintf("Program is specified but does not exist: %s", program)}
		} else if p["programType"] != "WITH_REGISTRATION" {
			return &exportError{code, fmt.Sprintf("Program specified is not a tracker program: %s", program)}
		}
	}
	if tet != "" {
		if _, ok := s.meta.get("trackedEntityTypes", tet); !ok {
			return &exportError{code, fmt.Sprintf("Tracked entity type is specified but does not exist: %s", tet)}
		}
	}
	if s.version.AtLeast(41) {
		if len(sel.ous) == 0 && sel.needsUnits() && !hasTEs {
			return &exportError{http.StatusBadRequest, fmt.Sprintf("At least one org unit is required for orgUnitMode: %s. Please add an orgUnit or use a different orgUnitMode.", sel.mode)}
		}
	} else if len(sel.ous) == 0 && !hasTEs && sel.needsUnits() {
		return &exportError{code, "At least one organisation unit must be specified"}
	}
	switch {
	case program != "" && tet != "":
		return &exportError{code, "Program and tracked entity cannot be specified simultaneously"}
	case program == "" && tet == "" && !hasTEs:
		return &exportError{code, "Either Program or Tracked entity type should be specified"}
	}
	return nil
}

// relationshipQuery reads the one entity a relationships export is for: tei (up to 2.40, and deprecated on
// 2.41) or trackedEntity (2.41+), enrollment or event. TrackerRelationshipsExportController refuses an
// unfiltered list with 400 in every version.
func (s *Server) relationshipQuery(qv map[string][]string) (string, string, *exportError) {
	teParams := []string{"tei"}
	name := "tei"
	switch {
	case s.version.AtLeast(42):
		teParams, name = []string{"trackedEntity"}, "trackedEntity"
	case s.version.AtLeast(41):
		teParams, name = []string{"trackedEntity", "tei"}, "trackedEntity"
	case s.version.AtLeast(39):
		name = "trackedEntity"
	}
	var kind, id string
	n := 0
	for _, p := range teParams {
		if v := firstParam(qv, p); v != "" {
			kind, id = "trackedEntities", v
			n++
			break
		}
	}
	if v := firstParam(qv, "enrollment"); v != "" {
		kind, id = "enrollments", v
		n++
	}
	if v := firstParam(qv, "event"); v != "" {
		kind, id = "events", v
		n++
	}
	switch {
	case n == 0:
		return "", "", &exportError{http.StatusBadRequest, fmt.Sprintf("Missing required parameter '%s', 'enrollment' or 'event'.", name)}
	case n > 1:
		return "", "", &exportError{http.StatusBadRequest, fmt.Sprintf("Only one of parameters '%s', 'enrollment' or 'event' is allowed.", name)}
	}
	if _, ok := s.track.get(kind, id); !ok {
		return "", "", &exportError{http.StatusNotFound, fmt.Sprintf("%s with id %s could not be found.", trackerSingular(kind), id)}
	}
	return kind, id, nil
}

// ownerOrgUnit is the org unit a tracked entity is selected by: its owner in the programme (the org unit of
// its enrollment there, as DHIS2 records ownership at enrollment) or its registration org unit.
func (s *Server) ownerOrgUnit(te map[string]any, program string) string {
	if program != "" {
		for _, po := range asList(te["programOwners"]) {
			if m, ok := po.(map[string]any); ok && refID(m["program"]) == program {
				if ou := refID(m["orgUnit"]); ou != "" {
					return ou
				}
			}
		}
		id, _ := te["trackedEntity"].(string)
		for _, en := range s.track.childrenOf("enrollments", id, false) {
			if en["program"] == program {
				ou, _ := en["orgUnit"].(string)
				return ou
			}
		}
	}
	ou, _ := te["orgUnit"].(string)
	return ou
}

// enrolledIn reports whether a tracked entity has an enrollment in the programme (it is owned there).
func (s *Server) enrolledIn(te map[string]any, program string, withDeleted bool) bool {
	id, _ := te["trackedEntity"].(string)
	for _, en := range s.track.childrenOf("enrollments", id, withDeleted) {
		if en["program"] == program {
			return true
		}
	}
	return false
}

func firstParam(qv map[string][]string, name string) string {
	if l := qv[name]; len(l) > 0 {
		return l[0]
	}
	return ""
}

// uidList reads UID lists separated by "," (2.41+) or ";" from any of the parameters.
func uidList(qv map[string][]string, names ...string) map[string]bool {
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
