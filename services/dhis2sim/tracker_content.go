package dhis2sim

import (
	"fmt"
	"strings"
)

// Content validation of tracker imports: the validators behind ValidationCode (dhis2-core
// tracker/imports/validation/validator/*): attribute and data value checks, mandatory values, unique
// attributes, enrollment rules and duplicate relationships. Messages follow ValidationCode's templates.

// trackerCtx gives validators the payload's objects by UID, so that a nested enrollment sees its tracked
// entity's attributes and sibling enrollments.
type trackerCtx struct {
	payload map[string]map[string]map[string]any // plural -> uid -> object
}

func newTrackerCtx(b trackerBundle) *trackerCtx {
	c := &trackerCtx{payload: map[string]map[string]map[string]any{}}
	for _, k := range trackerKinds {
		m := map[string]map[string]any{}
		for _, o := range b[k.plural] {
			if id, _ := o[k.idField].(string); id != "" {
				m[id] = o
			}
		}
		c.payload[k.plural] = m
	}
	return c
}

// attrValues returns the attribute values (attribute UID -> value) of a list of attribute objects.
func attrValues(list any, into map[string]string) map[string]string {
	if into == nil {
		into = map[string]string{}
	}
	for _, a := range asList(list) {
		if m, ok := a.(map[string]any); ok {
			if v := valueString(m["value"]); v != "" {
				into[uidOf(m["attribute"])] = v
			}
		}
	}
	return into
}

func valueString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// optionCodes returns the codes of an option set, or nil when the object has none.
func (s *Server) optionCodes(o map[string]any) (string, map[string]bool) {
	setID := refID(o["optionSet"])
	if setID == "" {
		return "", nil
	}
	codes := map[string]bool{}
	if set, ok := s.meta.get("optionSets", setID); ok {
		for _, opt := range asList(set["options"]) {
			if oo, ok := s.meta.get("options", refID(opt)); ok {
				c, _ := oo["code"].(string)
				codes[c] = true
			} else if m, ok := opt.(map[string]any); ok {
				if c, _ := m["code"].(string); c != "" {
					codes[c] = true
				}
			}
		}
	}
	return setID, codes
}

// checkAttributes validates attribute values: existence (E1006), value type (E1007), option set (E1125)
// and uniqueness among live tracked entities (E1064).
func (s *Server) checkAttributes(list any, teID string, add func(code, msg string, args ...string)) {
	for _, a := range asList(list) {
		m, ok := a.(map[string]any)
		if !ok {
			continue
		}
		uid, val := uidOf(m["attribute"]), valueString(m["value"])
		attr, ok := s.meta.get("trackedEntityAttributes", uid)
		if !ok {
			add("E1006", fmt.Sprintf("Attribute: `%s`, does not exist.", uid), uid)
			continue
		}
		if val == "" {
			continue
		}
		vt, _ := attr["valueType"].(string)
		if key, reason := checkValueType(vt, val); key != "" {
			add("E1007", fmt.Sprintf("Error validating attribute value type: `%s`; Error: `%s`.", uid, reason), uid, reason)
			continue
		}
		if setID, codes := s.optionCodes(attr); codes != nil && !codes[val] {
			add("E1125", fmt.Sprintf("Value %s is not a valid option for TrackedEntityAttribute %s in option set %s", val, uid, setID), val, "TrackedEntityAttribute", uid, setID)
			continue
		}
		if u, _ := attr["unique"].(bool); u && teID != "" {
			if owner := s.track.attrOwner[uid+"\x00"+val]; owner != "" && owner != teID {
				if te, ok := s.track.get("trackedEntities", owner); ok && te["deleted"] != true {
					add("E1064", fmt.Sprintf("Non-unique attribute value `%s` for attribute `%s`", val, uid), val, uid)
				}
			}
		}
	}
}

// trackedEntityContent checks a tracked entity's attributes and the mandatory attributes of its type (E1090).
func (s *Server) trackedEntityContent(id string, o, stored map[string]any, add func(code, msg string, args ...string)) {
	s.checkAttributes(o["attributes"], id, add)
	tet, ok := s.meta.get("trackedEntityTypes", uidOf(o["trackedEntityType"]))
	if !ok {
		return
	}
	have := attrValues(o["attributes"], nil)
	if stored != nil {
		for k, v := range attrValues(stored["attributes"], nil) {
			if _, set := have[k]; !set {
				have[k] = v
			}
		}
	}
	for _, x := range asList(tet["trackedEntityTypeAttributes"]) {
		m, _ := x.(map[string]any)
		if mand, _ := m["mandatory"].(bool); mand {
			a := refID(m["trackedEntityAttribute"])
			if have[a] == "" {
				add("E1090", fmt.Sprintf("Attribute: `%s`, is mandatory in tracked entity type `%s` but not declared in tracked entity `%s`.", a, refID(tet), id), a, refID(tet), id)
			}
		}
	}
}

// enrollmentContent checks enrolledAt (E1025), programme attributes (E1019, E1018) and the enrollment
// rules of the programme: once only (E1016) and one active enrollment (E1015).
func (s *Server) enrollmentContent(id string, o map[string]any, program map[string]any, ctx *trackerCtx, add func(code, msg string, args ...string)) {
	if at, _ := o["enrolledAt"].(string); at == "" {
		add("E1025", "Property enrolledAt is null or has an invalid format: `null`.", "null")
	} else if _, err := parseTime(at); err != nil {
		add("E1025", fmt.Sprintf("Property enrolledAt is null or has an invalid format: `%s`.", at), at)
	}
	prgID := refID(program)
	programAttrs := map[string]bool{}
	var mandatory []string
	for _, x := range asList(program["programTrackedEntityAttributes"]) {
		m, _ := x.(map[string]any)
		a := refID(m["trackedEntityAttribute"])
		programAttrs[a] = true
		if mand, _ := m["mandatory"].(bool); mand {
			mandatory = append(mandatory, a)
		}
	}
	teID, _ := o["trackedEntity"].(string)
	for _, a := range asList(o["attributes"]) {
		m, _ := a.(map[string]any)
		if uid := uidOf(m["attribute"]); !programAttrs[uid] {
			add("E1019", fmt.Sprintf("Only Program attributes is allowed for enrollment; Non valid attribute: `%s`.", uid), uid)
		}
	}
	s.checkAttributes(o["attributes"], teID, add)
	have := attrValues(o["attributes"], nil)
	if te := ctx.payload["trackedEntities"][teID]; te != nil {
		attrValues(te["attributes"], have)
	}
	if te, ok := s.track.get("trackedEntities", teID); ok {
		for k, v := range attrValues(te["attributes"], nil) {
			if _, set := have[k]; !set {
				have[k] = v
			}
		}
	}
	for _, a := range mandatory {
		if have[a] == "" {
			add("E1018", fmt.Sprintf("Attribute: `%s`, is mandatory in program `%s` but not declared in enrollment `%s`.", a, prgID, id), a, prgID, id)
		}
	}
	// Other enrollments of the entity in the programme, stored or in the payload.
	others := map[string]map[string]any{}
	for _, en := range s.track.childrenOf("enrollments", teID, false) {
		if eid, _ := en["enrollment"].(string); eid != id && en["program"] == prgID {
			others[eid] = en
		}
	}
	for eid, en := range ctx.payload["enrollments"] {
		if eid != id && en["trackedEntity"] == teID && en["program"] == prgID {
			others[eid] = en
		}
	}
	if len(others) == 0 {
		return
	}
	if once, _ := program["onlyEnrollOnce"].(bool); once {
		add("E1016", fmt.Sprintf("TrackedEntityInstance: `%s`, already has an enrollment in Program: `%s`, and this program only allows enrolling one time.", teID, prgID), teID, prgID)
		return
	}
	if st, _ := o["status"].(string); st == "" || st == "ACTIVE" {
		for _, en := range others {
			if st, _ := en["status"].(string); st == "" || st == "ACTIVE" {
				add("E1015", fmt.Sprintf("TrackedEntityInstance: `%s`, already has an active Enrollment in Program `%s`.", teID, prgID), teID, prgID)
				return
			}
		}
	}
}

// eventContent checks occurredAt (E1031) and the data values: data element (E1304), stage membership
// (E1305), value type (E1302), option set (E1125) and compulsory elements (E1303).
func (s *Server) eventContent(o, stored, stage map[string]any, add func(code, msg string, args ...string)) {
	status, _ := o["status"].(string)
	if at, _ := o["occurredAt"].(string); at == "" && status != "SCHEDULE" && status != "SKIPPED" && status != "OVERDUE" {
		add("E1031", "Event OccurredAt date is missing.")
	}
	if stage == nil {
		return
	}
	psID := refID(stage)
	inStage := map[string]bool{}
	var compulsory []string
	for _, psde := range s.stageDataElements(stage) {
		de := refID(psde["dataElement"])
		inStage[de] = true
		if c, _ := psde["compulsory"].(bool); c {
			compulsory = append(compulsory, de)
		}
	}
	have := map[string]string{}
	for _, x := range asList(o["dataValues"]) {
		m, _ := x.(map[string]any)
		uid, val := uidOf(m["dataElement"]), valueString(m["value"])
		have[uid] = val
		de, ok := s.meta.get("dataElements", uid)
		if !ok {
			add("E1304", fmt.Sprintf("DataElement `%s` is not a valid data element", uid), uid)
			continue
		}
		if !inStage[uid] {
			add("E1305", fmt.Sprintf("DataElement `%s` is not part of `%s` program stage", uid, psID), uid, psID)
			continue
		}
		if val == "" {
			continue
		}
		vt, _ := de["valueType"].(string)
		if key, reason := checkValueType(vt, val); key != "" {
			add("E1302", fmt.Sprintf("DataElement `%s` is not valid: `%s`", uid, reason), uid, reason)
			continue
		}
		if setID, codes := s.optionCodes(de); codes != nil && !codes[val] {
			add("E1125", fmt.Sprintf("Value %s is not a valid option for DataElement %s in option set %s", val, uid, setID), val, "DataElement", uid, setID)
		}
	}
	if stored != nil {
		for _, x := range asList(stored["dataValues"]) {
			m, _ := x.(map[string]any)
			if _, set := have[uidOf(m["dataElement"])]; !set {
				have[uidOf(m["dataElement"])] = valueString(m["value"])
			}
		}
	}
	strategy, _ := stage["validationStrategy"].(string)
	if status == "COMPLETED" || strategy == "ON_UPDATE_AND_INSERT" {
		for _, de := range compulsory {
			if have[de] == "" {
				add("E1303", fmt.Sprintf("Mandatory DataElement `%s` is not present", de), de)
			}
		}
	}
}

// stageDataElements returns a stage's programStageDataElements: embedded, or stored on their own.
func (s *Server) stageDataElements(stage map[string]any) []map[string]any {
	var out []map[string]any
	for _, x := range asList(stage["programStageDataElements"]) {
		m, ok := x.(map[string]any)
		if !ok {
			continue
		}
		if m["dataElement"] == nil {
			if full, ok := s.meta.get("programStageDataElements", refID(m)); ok {
				m = full
			}
		}
		out = append(out, m)
	}
	return out
}

// duplicateRelationship returns the live relationship (another UID) linking the same items with the same
// type, in either direction when the type is bidirectional (E4018).
func (s *Server) duplicateRelationship(id string, o map[string]any) string {
	fromKind, from := relationshipItem(o["from"])
	toKind, to := relationshipItem(o["to"])
	if from == "" || to == "" {
		return ""
	}
	rt := uidOf(o["relationshipType"])
	bidi := false
	if t, ok := s.meta.get("relationshipTypes", rt); ok {
		bidi, _ = t["bidirectional"].(bool)
	}
	for _, r := range s.track.childrenOf("relationships", from, false) {
		rid, _ := r["relationship"].(string)
		if rid == id || uidOf(r["relationshipType"]) != rt {
			continue
		}
		fk, f := relationshipItem(r["from"])
		tk, t := relationshipItem(r["to"])
		if (f == from && t == to && fk == fromKind && tk == toKind) || (bidi && f == to && t == from) {
			return rid
		}
	}
	return ""
}

// relationshipLink describes a relationship for E4018: "trackedEntity: `a` to trackedEntity: `b`".
func relationshipLink(o map[string]any) []string {
	fk, f := relationshipItem(o["from"])
	tk, t := relationshipItem(o["to"])
	return []string{strings.ToLower(fk), f, strings.ToLower(tk), t}
}

// uidOf reads a tracker payload reference: a UID string ("attribute":"uid") or an object with an id.
func uidOf(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return refID(v)
}
