package dhis2sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
)

// importParams are the POST /api/metadata parameters (dhis2-core MetadataImportExportController and feedback/ImportReport); the first listed value is the default.
type importParams struct {
	ImportMode       string
	Identifier       string
	ImportReportMode string
	PreheatMode      string
	ImportStrategy   string
	AtomicMode       string
	MergeMode        string
	FlushMode        string
	SkipSharing      bool
	SkipValidation   bool
	Async            bool
	Username         string
}

func (p importParams) jsonParams() *orderedObject {
	o := &orderedObject{}
	return o.set("userOverrideMode", "NONE").set("importMode", p.ImportMode).set("identifier", p.Identifier).
		set("preheatMode", p.PreheatMode).set("importStrategy", p.ImportStrategy).set("atomicMode", p.AtomicMode).
		set("mergeMode", p.MergeMode).set("flushMode", p.FlushMode).set("skipSharing", p.SkipSharing).
		set("skipTranslation", false).set("skipValidation", p.SkipValidation).set("metadataSyncImport", false).
		set("firstRowIsHeader", true).set("username", p.Username)
}

func parseEnum(q map[string][]string, name string, allowed ...string) (string, error) {
	v := ""
	if l := q[name]; len(l) > 0 {
		v = strings.ToUpper(strings.TrimSpace(l[0]))
	}
	if v == "" {
		return allowed[0], nil
	}
	// Pre-2.30 aliases DHIS2 still maps.
	switch v {
	case "NEW_AND_UPDATES":
		v = "CREATE_AND_UPDATE"
	case "NEW":
		v = "CREATE"
	case "UPDATES":
		v = "UPDATE"
	case "DELETES":
		v = "DELETE"
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", fmt.Errorf("value %q is not valid for parameter %s, allowed: %s", v, name, strings.Join(allowed, ", "))
}

func parseImportParams(q map[string][]string, user string) (importParams, error) {
	p := importParams{Username: user}
	var err error
	for _, f := range []struct {
		dst     *string
		name    string
		allowed []string
	}{
		{&p.ImportMode, "importMode", []string{"COMMIT", "VALIDATE"}},
		{&p.Identifier, "identifier", []string{"UID", "CODE", "AUTO"}},
		{&p.ImportReportMode, "importReportMode", []string{"ERRORS", "FULL", "DEBUG"}},
		{&p.PreheatMode, "preheatMode", []string{"REFERENCE", "ALL", "NONE"}},
		{&p.ImportStrategy, "importStrategy", []string{"CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE"}},
		{&p.AtomicMode, "atomicMode", []string{"ALL", "NONE"}},
		{&p.MergeMode, "mergeMode", []string{"REPLACE", "MERGE"}},
		{&p.FlushMode, "flushMode", []string{"AUTO", "OBJECT"}},
	} {
		if *f.dst, err = parseEnum(q, f.name, f.allowed...); err != nil {
			return p, err
		}
	}
	b := func(name string) bool { return len(q[name]) > 0 && strings.EqualFold(q[name][0], "true") }
	p.SkipSharing, p.SkipValidation, p.Async = b("skipSharing"), b("skipValidation"), b("async")
	if b("dryRun") {
		p.ImportMode = "VALIDATE"
	}
	return p, nil
}

// bundleObj is one object of an import bundle.
type bundleObj struct {
	sch    *Schema
	index  int
	obj    map[string]any
	id     string
	exists bool
	errs   []errorReport
}

func (b *bundleObj) displayName() string {
	if n, ok := b.obj["name"].(string); ok && n != "" {
		return n
	}
	if n, ok := b.obj["username"].(string); ok {
		return n
	}
	return b.id
}

// describe formats an object the way DHIS2's ErrorReport messages do: "Name [uid] (Klass)".
func describe(name, id, shortKlass string) string {
	if name == "" {
		return fmt.Sprintf("[%s] (%s)", id, shortKlass)
	}
	return fmt.Sprintf("%s [%s] (%s)", name, id, shortKlass)
}

// requiredProps are DHIS2's required properties per type (descriptor/Hibernate not-null columns) that the
// generated schema copies do not carry. E4000 is reported for each one missing.
var requiredProps = map[string][]string{
	"dataElements":            {"name", "shortName", "valueType", "aggregationType", "domainType"},
	"indicators":              {"name", "shortName", "numerator", "denominator", "indicatorType"},
	"indicatorTypes":          {"name"},
	"organisationUnits":       {"name", "shortName", "openingDate"},
	"dataSets":                {"name", "periodType"},
	"categoryOptions":         {"name", "shortName"},
	"categories":              {"name", "dataDimensionType"},
	"categoryCombos":          {"name", "dataDimensionType"},
	"optionSets":              {"name", "valueType"},
	"options":                 {"name", "code"},
	"programs":                {"name", "shortName", "programType"},
	"programStages":           {"name"},
	"trackedEntityTypes":      {"name"},
	"trackedEntityAttributes": {"name", "shortName", "valueType", "aggregationType"},
	"relationshipTypes":       {"name", "fromConstraint", "toConstraint"},
	"userRoles":               {"name"},
	"userGroups":              {"name"},
	"dataElementGroups":       {"name", "shortName"},
	"indicatorGroups":         {"name"},
	"legendSets":              {"name"},
	"validationRules":         {"name", "leftSide", "rightSide", "operator", "periodType"},
	"sections":                {"name", "dataSet"},
	"users":                   {"firstName", "surname"},
}

// uniqueProps are the properties DHIS2 keeps unique per type (E5003); code is unique for every type.
var uniqueProps = map[string][]string{
	"dataElements": {"name", "shortName"}, "indicators": {"name", "shortName"},
	"categoryOptions": {"name", "shortName"}, "categories": {"name"}, "categoryCombos": {"name"},
	"optionSets": {"name"}, "programs": {"name", "shortName"}, "trackedEntityTypes": {"name"},
	"trackedEntityAttributes": {"name", "shortName"}, "userRoles": {"name"}, "userGroups": {"name"},
	"dataElementGroups": {"name", "shortName"}, "indicatorGroups": {"name"}, "indicatorTypes": {"name"},
	"dataSets": {"code"}, "users": {"username"}, "relationshipTypes": {"name"}, "legendSets": {"name"},
}

// decodeMetadataPayload reads a metadata payload into objects per known type, in import order.
func (s *Server) decodeMetadataPayload(r *http.Request) (map[string][]map[string]any, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return s.decodeMetadata(body)
}

// decodeMetadata reads a metadata payload into objects per known type.
func (s *Server) decodeMetadata(body io.Reader) (map[string][]map[string]any, error) {
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(body).Decode(&raw); err != nil {
		return nil, fmt.Errorf("invalid JSON payload: %w", err)
	}
	out := map[string][]map[string]any{}
	for k, v := range raw {
		sch, ok := s.schemas.Lookup(k)
		if !ok || !sch.Metadata || sch.Embedded || !sch.Endpoint {
			continue // unknown keys (system, package, types of other versions) are ignored
		}
		var list []map[string]any
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, fmt.Errorf("invalid %s: %w", k, err)
		}
		out[k] = list
	}
	return out, nil
}

func (s *Server) handleMetadataImport(q *req) {
	params, err := parseImportParams(q.r.URL.Query(), q.account.Username)
	if err != nil {
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	payload, err := s.decodeMetadataPayload(q.r)
	if err != nil {
		writeError(q.w, http.StatusBadRequest, err.Error())
		return
	}
	n := 0
	for _, l := range payload {
		n += len(l)
	}
	if params.Async {
		job := s.tasks.start("METADATA_IMPORT", s.now())
		go func() {
			s.applyCost(q.ctx(), EndpointMetadataImport, n)
			rep := s.importMetadata(payload, params)
			s.tasks.finish(job, s.now(), "Import complete with status "+rep.Status, s.plainReport(rep))
		}()
		s.writeJobStarted(q, job, params)
		return
	}
	s.applyCost(q.ctx(), EndpointMetadataImport, n)
	rep := s.importMetadata(payload, params)
	s.writeImportReport(q, rep)
}

// importMetadata runs an import bundle: validation over the whole payload (so references inside the
// payload resolve whatever their order), then commit type by type in schema order (dhis2-core DefaultObjectBundleService#commit and the schema descriptors).
func (s *Server) importMetadata(payload map[string][]map[string]any, p importParams) *importReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	var bundle []*bundleObj
	inPayload := map[string]string{} // uid -> plural
	for _, sch := range s.schemas.Ordered() {
		for i, o := range payload[sch.Plural] {
			b := &bundleObj{sch: sch, index: i, obj: o}
			b.id, _ = o["id"].(string)
			if b.id == "" && p.ImportStrategy != "DELETE" {
				b.id = s.newUID()
				o["id"] = b.id
			}
			if b.id != "" {
				inPayload[b.id] = sch.Plural
			}
			bundle = append(bundle, b)
		}
	}
	for _, b := range bundle {
		s.normaliseIncoming(b.sch, b.obj)
		s.validateObject(b, p, inPayload)
	}
	if p.ImportStrategy == "DELETE" {
		s.validateDeletes(bundle)
	}
	rep := &importReport{Params: p, Status: "OK"}
	anyErr := false
	for _, b := range bundle {
		if len(b.errs) > 0 {
			anyErr = true
		}
	}
	commit := p.ImportMode == "COMMIT" && !(anyErr && p.AtomicMode == "ALL")
	user := s.opts.Username
	now := s.nowString()
	touchedCombos := map[string]bool{}
	byType := map[string]*typeReport{}
	var order []string
	for _, b := range bundle {
		tr := byType[b.sch.Plural]
		if tr == nil {
			tr = &typeReport{Klass: b.sch.Klass}
			byType[b.sch.Plural] = tr
			order = append(order, b.sch.Plural)
		}
		tr.Stats.Total++
		ok := len(b.errs) == 0 && !(anyErr && p.AtomicMode == "ALL")
		switch {
		case !ok:
			tr.Stats.Ignored++
		case p.ImportStrategy == "DELETE":
			tr.Stats.Deleted++
		case b.exists:
			tr.Stats.Updated++
		default:
			tr.Stats.Created++
		}
		if len(b.errs) > 0 || p.ImportReportMode != "ERRORS" {
			or := objectReport{Klass: b.sch.Klass, Index: b.index, UID: b.id, ErrorReports: b.errs}
			if or.ErrorReports == nil {
				or.ErrorReports = []errorReport{}
			}
			if p.ImportReportMode == "DEBUG" {
				or.DisplayName = b.displayName()
			}
			tr.ObjectReports = append(tr.ObjectReports, or)
		}
		if !ok || !commit {
			continue
		}
		if p.ImportStrategy == "DELETE" {
			s.deleteObject(b.sch, b.id, user, now)
			continue
		}
		s.commitObject(b, p, user, now)
		switch b.sch.Plural {
		case "categoryCombos":
			touchedCombos[b.id] = true
		case "categories":
			for _, cc := range s.meta.list("categoryCombos") {
				for _, c := range asList(cc["categories"]) {
					if refID(c) == b.id {
						touchedCombos[refID(cc)] = true
					}
				}
			}
		}
	}
	if commit && len(touchedCombos) > 0 {
		ids := make([]string, 0, len(touchedCombos))
		for id := range touchedCombos {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			s.generateCOCs(id, now)
		}
	}
	if commit {
		s.updateOrgUnitPaths()
	}
	for _, pl := range order {
		rep.TypeReports = append(rep.TypeReports, *byType[pl])
		rep.Stats.add(byType[pl].Stats)
	}
	switch {
	case anyErr && p.AtomicMode == "ALL":
		rep.Status = "ERROR"
	case anyErr:
		rep.Status = "WARNING"
	}
	s.stats.imported(rep.Stats.Created + rep.Stats.Updated + rep.Stats.Deleted)
	return rep
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// normaliseIncoming adapts a payload object to what the simulated version stores: legacy sharing fields
// become the sharing object, users are flat from 2.38 (userCredentials lifted to the top level) and nested
// before, and a missing categoryCombo means the default combo.
func (s *Server) normaliseIncoming(sch *Schema, o map[string]any) {
	if sch.Shareable {
		if _, ok := o["sharing"]; !ok {
			if _, legacy := o["publicAccess"]; legacy {
				o["sharing"] = sharingFromLegacy(o)
			}
		}
	}
	if sch.Plural == "users" && s.version.AtLeast(38) {
		if uc, ok := o["userCredentials"].(map[string]any); ok && s.version.Minor < 42 {
			for _, k := range []string{"username", "userRoles", "password", "disabled", "openId", "ldapId",
				"externalAuth", "accountExpiry", "catDimensionConstraints", "cogsDimensionConstraints"} {
				if _, top := o[k]; !top {
					if v, ok := uc[k]; ok {
						o[k] = v
					}
				}
			}
		}
	}
	switch sch.Plural {
	case "dataElements", "dataSets", "programs":
		if _, ok := o["categoryCombo"]; !ok {
			o["categoryCombo"] = ref(defaultCategoryCombo)
		}
	}
}

// validateObject runs the checks of DHIS2's object bundle validation for one object.
func (s *Server) validateObject(b *bundleObj, p importParams, inPayload map[string]string) {
	sch, o := b.sch, b.obj
	short := sch.ShortKlass()
	add := func(e errorReport) {
		e.MainKlass = sch.Klass
		if s.version.AtLeast(41) && e.Args == nil {
			e.Args = []string{}
		}
		b.errs = append(b.errs, e)
	}
	if b.id != "" && !isUID(b.id) {
		add(errorReport{Message: fmt.Sprintf("Invalid UID `%s` for property `%s`", b.id, short), ErrorCode: "E4014",
			ErrorProperty: "id", Value: b.id, ErrorKlass: sch.Klass})
		return
	}
	if b.id == "" {
		add(errorReport{Message: "Missing required property `id`", ErrorCode: "E4000", ErrorProperty: "id",
			ErrorKlass: sch.Klass, Args: argsIf(s, "id")})
		return
	}
	_, b.exists = s.meta.get(sch.Plural, b.id)
	if !b.exists {
		if other, ok := s.meta.index[b.id]; ok && other != sch.Plural {
			// The UID is taken by an object of another type.
			add(errorReport{Message: fmt.Sprintf("Found matching object for reference, but import mode is CREATE. Identifier was %s, and object was %s.", b.id, describe(b.displayName(), b.id, short)),
				ErrorCode: "E5000", ErrorKlass: sch.Klass, MainID: b.id, Args: argsIf(s, b.id)})
			return
		}
	}
	desc := describe(b.displayName(), b.id, short)
	switch {
	case p.ImportStrategy == "CREATE" && b.exists:
		add(errorReport{Message: fmt.Sprintf("Found matching object for reference, but import mode is CREATE. Identifier was %s, and object was %s.", b.id, desc),
			ErrorCode: "E5000", ErrorKlass: sch.Klass, MainID: b.id, Args: argsIf(s, b.id, desc)})
		return
	case (p.ImportStrategy == "UPDATE" || p.ImportStrategy == "DELETE") && !b.exists:
		add(errorReport{Message: fmt.Sprintf("No matching object for reference. Identifier was %s, and object was %s.", b.id, desc),
			ErrorCode: "E5001", ErrorKlass: sch.Klass, MainID: b.id, Args: argsIf(s, b.id, desc)})
		return
	}
	if p.ImportStrategy == "DELETE" || p.SkipValidation {
		return
	}
	req := requiredProps[sch.Plural]
	if sch.Plural == "programStages" && s.version.AtLeast(38) {
		req = append(append([]string{}, req...), "program") // mandatory from 2.38 (rel:2.38)
	}
	for _, prop := range req {
		if isEmptyValue(o[prop]) {
			add(errorReport{Message: fmt.Sprintf("Missing required property `%s`", prop), ErrorCode: "E4000",
				ErrorProperty: prop, ErrorKlass: sch.Klass, MainID: b.id, Args: argsIf(s, prop)})
		}
	}
	if sch.Plural == "users" {
		s.validateUserCredentials(b, add)
	}
	s.validateUnique(b, add)
	s.validateRefs(b, o, sch, inPayload, add)
}

func argsIf(s *Server, args ...string) []string {
	if s.version.AtLeast(41) {
		return args
	}
	return nil
}

func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	}
	return false
}

func (s *Server) validateUserCredentials(b *bundleObj, add func(errorReport)) {
	o := b.obj
	if s.version.AtLeast(38) {
		if isEmptyValue(o["username"]) {
			add(errorReport{Message: "Missing required property `username`", ErrorCode: "E4000",
				ErrorProperty: "username", ErrorKlass: b.sch.Klass, MainID: b.id, Args: argsIf(s, "username")})
		}
		return
	}
	uc, ok := o["userCredentials"].(map[string]any)
	if !ok || isEmptyValue(uc["username"]) {
		add(errorReport{Message: "Missing required property `userCredentials`", ErrorCode: "E4000",
			ErrorProperty: "userCredentials", ErrorKlass: b.sch.Klass, MainID: b.id})
	}
}

func (s *Server) validateUnique(b *bundleObj, add func(errorReport)) {
	if b.sch.Plural == "options" {
		s.validateOptionInSet(b, add)
		return
	}
	props := append([]string{"code"}, uniqueProps[b.sch.Plural]...)
	seen := map[string]bool{}
	for _, prop := range props {
		if seen[prop] {
			continue
		}
		seen[prop] = true
		val, ok := b.obj[prop].(string)
		if !ok || val == "" {
			continue
		}
		for _, other := range s.meta.list(b.sch.Plural) {
			if oid, _ := other["id"].(string); oid != b.id && other[prop] == val {
				oname, _ := other["name"].(string)
				add(errorReport{
					Message: fmt.Sprintf("Property `%s` with value `%s` on object %s already exists on object %s",
						prop, val, describe(b.displayName(), b.id, b.sch.ShortKlass()), oid),
					ErrorCode: "E5003", ErrorProperty: prop, ErrorKlass: b.sch.Klass, MainID: b.id, Value: val,
					Args: argsIf(s, prop, val, describe(b.displayName(), b.id, b.sch.ShortKlass()), describe(oname, oid, b.sch.ShortKlass())),
				})
				break
			}
		}
	}
}

// validateRefs reports E5002 for owner references that resolve neither in the store nor in the payload.
// References to users (createdBy, lastUpdatedBy, user) are not validated: DHIS2 drops unknown user
// references silently.
func (s *Server) validateRefs(b *bundleObj, o map[string]any, sch *Schema, inPayload map[string]string, add func(errorReport)) {
	for name, prop := range sch.Properties {
		if !prop.Owner {
			continue
		}
		v, ok := o[name]
		if !ok || v == nil {
			continue
		}
		if prop.Embedded {
			if es, ok := s.schemas.ByKlass(prop.Klass); ok {
				items := asList(v)
				if !prop.Collection {
					items = []any{v}
				}
				for _, it := range items {
					if m, ok := it.(map[string]any); ok {
						s.validateRefs(b, m, es, inPayload, add)
					}
				}
			}
			continue
		}
		if !prop.Reference || strings.HasSuffix(prop.Klass, ".User") {
			continue
		}
		target, ok := s.schemas.ByKlass(prop.Klass)
		if !ok || !target.Metadata {
			continue
		}
		items := []any{v}
		if prop.Collection {
			items = asList(v)
		}
		for _, it := range items {
			id := refID(it)
			if id == "" {
				continue
			}
			if pl, ok := inPayload[id]; ok && (pl == target.Plural || !target.Endpoint) {
				continue
			}
			if pl, ok := s.meta.index[id]; ok && (pl == target.Plural || !target.Endpoint) {
				continue
			}
			main := describe(b.displayName(), b.id, b.sch.ShortKlass())
			refDesc := fmt.Sprintf("[%s] (%s)", id, target.ShortKlass())
			add(errorReport{
				Message:   fmt.Sprintf("Invalid reference %s on object %s for association `%s`", refDesc, main, name),
				ErrorCode: "E5002", ErrorKlass: prop.Klass, ErrorProperty: name, MainID: b.id, Value: id,
				Args: argsIf(s, refDesc, main, name),
			})
		}
	}
}

// validateDeletes refuses deletes of objects still referenced by objects that stay (E4030), including
// data elements, org units and category option combos that have data values.
func (s *Server) validateDeletes(bundle []*bundleObj) {
	deleting := map[string]bool{}
	for _, b := range bundle {
		if len(b.errs) == 0 {
			deleting[b.id] = true
		}
	}
	blockers := map[string]string{} // referenced uid -> referencing description
	for _, sch := range s.schemas.Ordered() {
		for _, o := range s.meta.list(sch.Plural) {
			oid, _ := o["id"].(string)
			if deleting[oid] {
				continue
			}
			for name, prop := range sch.Properties {
				if !prop.Owner || !prop.Reference || strings.HasSuffix(prop.Klass, ".User") {
					continue
				}
				if prop.Collection && !vetoingCollection[sch.Plural+"."+name] {
					continue
				}
				items := []any{o[name]}
				if prop.Collection {
					items = asList(o[name])
				}
				for _, it := range items {
					if id := refID(it); deleting[id] {
						if _, seen := blockers[id]; !seen {
							n, _ := o["name"].(string)
							blockers[id] = fmt.Sprintf("%s%s", sch.ShortKlass(), describeBrief(n, oid))
						}
					}
				}
			}
		}
	}
	for id, by := range s.values.referencedAmong(deleting) {
		if _, seen := blockers[id]; !seen {
			blockers[id] = by
		}
	}
	for _, b := range bundle {
		if by, ok := blockers[b.id]; ok && len(b.errs) == 0 {
			e := errorReport{Message: "Object could not be deleted because it is associated with another object: " + by,
				MainKlass: b.sch.Klass, ErrorCode: "E4030", MainID: b.id, ErrorKlass: b.sch.Klass}
			if s.version.AtLeast(41) {
				e.Args = []string{by}
			}
			b.errs = append(b.errs, e)
		}
	}
}

func describeBrief(name, id string) string {
	return fmt.Sprintf("{id=%s, name=%s}", id, name)
}

// vetoingCollections are many-to-many links whose members cannot be deleted while linked (DHIS2 deletion
// handlers veto instead of unlinking).
var vetoingCollection = map[string]bool{
	"categoryCombos.categories": true, "categories.categoryOptions": true,
	"categoryOptionCombos.categoryOptions": true, "optionSets.options": true,
}

// commitObject stores one validated object. Only owner properties are kept; created is kept when given,
// lastUpdated is server-managed.
func (s *Server) commitObject(b *bundleObj, p importParams, user, now string) {
	stored := map[string]any{}
	if b.exists && p.MergeMode == "MERGE" {
		old, _ := s.meta.get(b.sch.Plural, b.id)
		stored = copyObj(old)
	}
	for k, v := range b.obj {
		prop, ok := b.sch.Properties[k]
		if !ok || !prop.Owner {
			continue
		}
		if p.MergeMode == "MERGE" && v == nil {
			continue
		}
		stored[k] = v
	}
	stored["id"] = b.id
	if b.exists {
		old, _ := s.meta.get(b.sch.Plural, b.id)
		if c, ok := old["created"]; ok {
			stored["created"] = c
		}
		if cb, ok := old["createdBy"]; ok {
			stored["createdBy"] = cb
		}
	}
	if _, ok := stored["created"]; !ok {
		stored["created"] = now
	}
	stored["lastUpdated"] = now
	if _, ok := b.sch.Properties["lastUpdatedBy"]; ok {
		stored["lastUpdatedBy"] = ref(adminUID)
	}
	if _, ok := b.sch.Properties["createdBy"]; ok {
		if _, has := stored["createdBy"]; !has {
			stored["createdBy"] = ref(adminUID)
		}
	}
	if p.SkipSharing {
		delete(stored, "sharing")
	}
	if b.sch.Shareable {
		if _, ok := stored["sharing"]; !ok {
			stored["sharing"] = map[string]any{"owner": adminUID, "external": false, "public": "rw------",
				"users": map[string]any{}, "userGroups": map[string]any{}}
		}
	}
	s.meta.put(b.sch.Plural, stored)
}

// deleteObject removes an object, unlinks it from collections that do not veto, and records it for
// /api/deletedObjects.
func (s *Server) deleteObject(sch *Schema, id, user, now string) {
	s.meta.remove(sch.Plural, sch.ShortKlass(), id, user, now)
	for _, other := range s.schemas.Ordered() {
		for _, o := range s.meta.list(other.Plural) {
			for name, prop := range other.Properties {
				if !prop.Collection || !prop.Reference {
					continue
				}
				list := asList(o[name])
				kept := list[:0:0]
				for _, it := range list {
					if refID(it) != id {
						kept = append(kept, it)
					}
				}
				if len(kept) != len(list) {
					o[name] = kept
				}
			}
		}
	}
}

// updateOrgUnitPaths recomputes the server-managed path and level of organisation units.
func (s *Server) updateOrgUnitPaths() {
	ous := s.meta.list("organisationUnits")
	var pathOf func(o map[string]any, depth int) string
	pathOf = func(o map[string]any, depth int) string {
		id, _ := o["id"].(string)
		parentID := refID(o["parent"])
		if parentID == "" || depth > 100 {
			return "/" + id
		}
		parent, ok := s.meta.get("organisationUnits", parentID)
		if !ok {
			return "/" + id
		}
		return pathOf(parent, depth+1) + "/" + id
	}
	for _, o := range ous {
		p := pathOf(o, 0)
		o["path"] = p
		o["level"] = float64(strings.Count(p, "/"))
	}
}
