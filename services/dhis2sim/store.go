package dhis2sim

import (
	"encoding/json"
	"fmt"
	"slices"
)

// metaStore holds metadata objects as JSON-shaped maps, keyed by plural type and UID, plus a global UID
// index (DHIS2 UIDs are unique across types) and the deletion log behind /api/deletedObjects.
type metaStore struct {
	types   map[string]*typeStore
	index   map[string]string // uid -> plural
	deleted []deletedObject
	wasDel  map[string]bool // UIDs with an entry in deleted
}

type typeStore struct {
	objs  map[string]map[string]any
	order []string // insertion order, the simulator's default list order
}

type deletedObject struct {
	Klass     string `json:"klass"`
	UID       string `json:"uid"`
	Code      string `json:"code,omitempty"`
	DeletedAt string `json:"deletedAt"`
	DeletedBy string `json:"deletedBy"`
}

func newMetaStore() *metaStore {
	return &metaStore{types: map[string]*typeStore{}, index: map[string]string{}, wasDel: map[string]bool{}}
}

func (m *metaStore) typ(plural string) *typeStore {
	t := m.types[plural]
	if t == nil {
		t = &typeStore{objs: map[string]map[string]any{}}
		m.types[plural] = t
	}
	return t
}

func (m *metaStore) get(plural, uid string) (map[string]any, bool) {
	t := m.types[plural]
	if t == nil {
		return nil, false
	}
	o, ok := t.objs[uid]
	return o, ok
}

// lookup finds an object by UID in any type.
func (m *metaStore) lookup(uid string) (map[string]any, string, bool) {
	p, ok := m.index[uid]
	if !ok {
		return nil, "", false
	}
	o, ok := m.get(p, uid)
	return o, p, ok
}

func (m *metaStore) put(plural string, obj map[string]any) {
	id, _ := obj["id"].(string)
	t := m.typ(plural)
	if _, exists := t.objs[id]; !exists {
		t.order = append(t.order, id)
	}
	t.objs[id] = obj
	m.index[id] = plural
	// Saving an object removes its deletion record: DHIS2's DeletedObjectService deletes the row for a UID
	// that is saved again, so /api/deletedObjects never lists an object that is alive.
	if m.wasDel[id] {
		m.deleted = slices.DeleteFunc(m.deleted, func(d deletedObject) bool { return d.UID == id })
		delete(m.wasDel, id)
	}
}

func (m *metaStore) remove(plural, klass, uid, by, at string) {
	t := m.types[plural]
	if t == nil {
		return
	}
	o, ok := t.objs[uid]
	if !ok {
		return
	}
	delete(t.objs, uid)
	delete(m.index, uid)
	if i := slices.Index(t.order, uid); i >= 0 {
		t.order = slices.Delete(t.order, i, i+1)
	}
	code, _ := o["code"].(string)
	m.wasDel[uid] = true
	m.deleted = append(m.deleted, deletedObject{UID: uid, Code: code, DeletedAt: at, DeletedBy: by, Klass: klass})
}

// forget removes an object without recording a deletion.
func (m *metaStore) forget(plural, uid string) {
	if t := m.types[plural]; t != nil {
		delete(t.objs, uid)
		delete(m.index, uid)
		if i := slices.Index(t.order, uid); i >= 0 {
			t.order = slices.Delete(t.order, i, i+1)
		}
	}
}

// list returns the objects of a type in insertion order.
func (m *metaStore) list(plural string) []map[string]any {
	t := m.types[plural]
	if t == nil {
		return nil
	}
	out := make([]map[string]any, 0, len(t.order))
	for _, id := range t.order {
		out = append(out, t.objs[id])
	}
	return out
}

// deepCopy copies a JSON-shaped value.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

func copyObj(o map[string]any) map[string]any { return deepCopy(o).(map[string]any) }

// normaliseJSON turns an arbitrary Go value into JSON-shaped maps and slices.
func normaliseJSON(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("object is not a JSON object: %w", err)
	}
	return m, nil
}

func ref(id string) map[string]any { return map[string]any{"id": id} }

// refID returns the id of a reference value {"id": "..."}.
func refID(v any) string {
	if m, ok := v.(map[string]any); ok {
		id, _ := m["id"].(string)
		return id
	}
	return ""
}

// Well-known UIDs of the default category model, identical in every DHIS2 database.
const (
	defaultCategoryOption      = "xYerKDKCefk"
	defaultCategory            = "GLevLNI9wkl"
	defaultCategoryCombo       = "bjDvmb4bfuf"
	defaultCategoryOptionCombo = "HllvX50cXC0"
)

// seedDefaults creates what an empty DHIS2 database contains: the default category model, the superuser role
// and the admin user.
func (s *Server) seedDefaults() {
	ts := "2024-01-01T00:00:00.000"
	base := func(id, name string) map[string]any {
		return map[string]any{"id": id, "name": name, "created": ts, "lastUpdated": ts}
	}
	co := base(defaultCategoryOption, "default")
	co["shortName"] = "default"
	cat := base(defaultCategory, "default")
	cat["shortName"] = "default"
	cat["dataDimensionType"] = "DISAGGREGATION"
	cat["dataDimension"] = false
	cat["categoryOptions"] = []any{ref(defaultCategoryOption)}
	cc := base(defaultCategoryCombo, "default")
	cc["dataDimensionType"] = "DISAGGREGATION"
	cc["skipTotal"] = false
	cc["categories"] = []any{ref(defaultCategory)}
	coc := base(defaultCategoryOptionCombo, "default")
	coc["ignoreApproval"] = false
	coc["categoryCombo"] = ref(defaultCategoryCombo)
	coc["categoryOptions"] = []any{ref(defaultCategoryOption)}
	role := base(adminRoleUID, "Superuser")
	role["authorities"] = []any{"ALL"}
	// Every shareable object of a real DHIS2 has a sharing object, the built-in role included; user roles are
	// private by default (as in S:metadata_dataset_with_sections.json and metadata_tracker_program_basic.json).
	role["sharing"] = map[string]any{"owner": adminUID, "external": false, "public": "--------",
		"users": map[string]any{}, "userGroups": map[string]any{}}
	user := base(adminUID, "admin admin")
	delete(user, "name")
	user["firstName"] = "admin"
	user["surname"] = "admin"
	if s.version.AtLeast(38) {
		user["username"] = s.opts.Username
		user["userRoles"] = []any{ref(adminRoleUID)}
	} else {
		user["userCredentials"] = map[string]any{"id": "KvMx6c1eoYo", "username": s.opts.Username,
			"userRoles": []any{ref(adminRoleUID)}}
	}
	s.meta.put("categoryOptions", co)
	s.meta.put("categories", cat)
	s.meta.put("categoryCombos", cc)
	s.meta.put("categoryOptionCombos", coc)
	s.meta.put("userRoles", role)
	s.meta.put("users", user)
}

// isDefaultObject reports whether an object is one of DHIS2's generated "default" objects
// (excluded by defaults=EXCLUDE).
func isDefaultObject(plural string, o map[string]any) bool {
	switch plural {
	case "categories", "categoryCombos", "categoryOptions", "categoryOptionCombos":
		return o["name"] == "default"
	}
	return false
}
