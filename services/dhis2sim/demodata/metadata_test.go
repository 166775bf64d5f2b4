package demodata

import (
	"regexp"
	"strings"
	"testing"
)

// TestMetadataReferences checks that every {"id"} reference, expression operand and sharing owner resolves to
// an object of the export or to a DHIS2 default.
func TestMetadataReferences(t *testing.T) {
	for _, s := range []Scale{Small, {Name: "custom", OrgUnits: 4, DataElements: 5, DataValues: 10, Events: 1, TrackedEntities: 2}} {
		t.Run(s.Name, func(t *testing.T) {
			md := New(21, s).Metadata()
			ix := indexMetadata(t, md)
			var check func(where string, v any)
			check = func(where string, v any) {
				switch x := v.(type) {
				case map[string]any:
					if id, ok := x["id"].(string); ok && len(x) == 1 {
						if _, found := ix.all[id]; !found && !defaultUIDs[id] {
							t.Errorf("%s: reference %s resolves to nothing", where, id)
						}
						return
					}
					for k, c := range x {
						check(where+"."+k, c)
					}
				case []any:
					for _, c := range x {
						check(where, c)
					}
				}
			}
			for typ, objs := range md {
				for _, o := range objs {
					for k, v := range o {
						if k != "id" {
							check(typ+"."+k, v)
						}
					}
					if sh, ok := o["sharing"].(map[string]any); ok && ix.all[sh["owner"].(string)] != "users" {
						t.Errorf("%s %s: sharing owner %v is not a user", typ, o["id"], sh["owner"])
					}
				}
			}
			for id := range defaultUIDs {
				if _, exported := ix.all[id]; exported {
					t.Errorf("default object %s is exported (defaults=EXCLUDE)", id)
				}
			}
			checkExpressions(t, md, ix)
		})
	}
}

var operand = regexp.MustCompile(`#\{([a-zA-Z0-9]{11})(?:\.([a-zA-Z0-9]{11}))?\}`)

// checkExpressions resolves #{de} and #{de.coc} operands: the element exists and the option combo belongs to
// its category combo.
func checkExpressions(t *testing.T, md map[string][]map[string]any, ix metadataIndex) {
	t.Helper()
	cocCombo := map[string]string{}
	for _, c := range md["categoryOptionCombos"] {
		cocCombo[c["id"].(string)] = refID(t, c["categoryCombo"])
	}
	checkExpr := func(where, expr string) {
		ops := operand.FindAllStringSubmatch(expr, -1)
		if len(ops) == 0 && expr != "1" {
			t.Errorf("%s: expression %q has no operand", where, expr)
		}
		for _, op := range ops {
			de, ok := ix.byType["dataElements"][op[1]]
			if !ok {
				t.Errorf("%s: %q: no data element %s", where, expr, op[1])
				continue
			}
			if op[2] != "" && cocCombo[op[2]] != refID(t, de["categoryCombo"]) {
				t.Errorf("%s: %q: option combo %s is not in the element's combo", where, expr, op[2])
			}
		}
	}
	for _, ind := range md["indicators"] {
		checkExpr("indicator "+ind["name"].(string), ind["numerator"].(string))
		checkExpr("indicator "+ind["name"].(string), ind["denominator"].(string))
	}
	for _, vr := range md["validationRules"] {
		for _, side := range []string{"leftSide", "rightSide"} {
			checkExpr("validation rule "+vr["name"].(string), vr[side].(map[string]any)["expression"].(string))
		}
	}
}

func TestUIDsAndNames(t *testing.T) {
	g := New(99, Small)
	md := g.Metadata()
	seen := map[string]string{}
	note := func(what, id string) {
		if !uidPattern.MatchString(id) {
			t.Errorf("%s: %q is not a DHIS2 UID", what, id)
		}
		if prev, dup := seen[id]; dup {
			t.Errorf("%s: UID %s already used by %s", what, id, prev)
		}
		if defaultUIDs[id] {
			t.Errorf("%s: UID %s is a DHIS2 default UID", what, id)
		}
		seen[id] = what
	}
	ix := indexMetadata(t, md)
	for id, typ := range ix.all {
		note("metadata "+typ, id)
	}
	for ev := range g.Events() {
		note("event", ev.Event)
	}
	for te := range g.TrackedEntities() {
		note("tracked entity", te.TrackedEntity)
		for _, en := range te.Enrollments {
			note("enrollment", en.Enrollment)
			for _, ev := range en.Events {
				note("tracker event", ev.Event)
			}
		}
	}
	for r := range g.Relationships() {
		note("relationship", r.Relationship)
	}

	for typ, objs := range md {
		for _, prop := range []string{"name", "shortName", "code"} {
			values := map[string]bool{}
			for _, o := range objs {
				v, ok := o[prop].(string)
				if !ok {
					continue
				}
				if typ == "options" {
					v = refID(t, o["optionSet"]) + "/" + v // option names and codes are unique per option set
				}
				if values[v] {
					t.Errorf("%s: %s %q is not unique", typ, prop, v)
				}
				values[v] = true
				if prop == "shortName" && len(v) > 50 {
					t.Errorf("%s: shortName %q is longer than 50", typ, v)
				}
			}
		}
	}
}

func TestOrgUnitHierarchy(t *testing.T) {
	md := New(4, Medium).Metadata()
	byID := map[string]map[string]any{}
	perLevel := map[int]int{}
	for _, ou := range md["organisationUnits"] {
		byID[ou["id"].(string)] = ou
	}
	for _, ou := range md["organisationUnits"] {
		level := ou["level"].(int)
		perLevel[level]++
		path := strings.Split(strings.TrimPrefix(ou["path"].(string), "/"), "/")
		if len(path) != level || path[level-1] != ou["id"] {
			t.Errorf("org unit %s: path %s does not match level %d", ou["id"], ou["path"], level)
		}
		if level == 1 {
			if _, has := ou["parent"]; has {
				t.Errorf("root %s has a parent", ou["id"])
			}
			continue
		}
		parent := byID[refID(t, ou["parent"])]
		if parent == nil || parent["level"].(int) != level-1 || parent["path"].(string)+"/"+ou["id"].(string) != ou["path"] {
			t.Errorf("org unit %s: parent %v is inconsistent with path %s", ou["id"], ou["parent"], ou["path"])
		}
	}
	for level := 1; level <= 4; level++ {
		if perLevel[level] == 0 {
			t.Errorf("no org units at level %d", level)
		}
	}
	if perLevel[1] != 1 || len(md["organisationUnitLevels"]) != 4 {
		t.Errorf("%d roots, %d levels", perLevel[1], len(md["organisationUnitLevels"]))
	}
}

func TestCategoryOptionCombos(t *testing.T) {
	md := New(1, Small).Metadata()
	ix := indexMetadata(t, md)
	perCombo := map[string][]map[string]any{}
	for _, c := range md["categoryOptionCombos"] {
		perCombo[refID(t, c["categoryCombo"])] = append(perCombo[refID(t, c["categoryCombo"])], c)
	}
	for _, cc := range md["categoryCombos"] {
		want := 1
		var optionSets []map[string]bool
		for _, cat := range cc["categories"].([]any) {
			opts := ix.byType["categories"][refID(t, cat)]["categoryOptions"].([]any)
			want *= len(opts)
			set := map[string]bool{}
			for _, o := range opts {
				set[refID(t, o)] = true
			}
			optionSets = append(optionSets, set)
		}
		cocs := perCombo[cc["id"].(string)]
		if len(cocs) != want {
			t.Errorf("combo %s: %d option combos, want %d", cc["name"], len(cocs), want)
		}
		seen := map[string]bool{}
		for _, c := range cocs {
			opts := c["categoryOptions"].([]any)
			var names []string
			key := ""
			for i, o := range opts {
				id := refID(t, o)
				if i >= len(optionSets) || !optionSets[i][id] {
					t.Errorf("option combo %s: option %s is not from category %d", c["name"], id, i)
				}
				names = append(names, ix.byType["categoryOptions"][id]["name"].(string))
				key += id
			}
			if seen[key] {
				t.Errorf("combo %s: option combination repeated", cc["name"])
			}
			seen[key] = true
			if c["name"] != strings.Join(names, ", ") {
				t.Errorf("option combo named %q, want %q", c["name"], strings.Join(names, ", "))
			}
		}
	}
	if _, ok := ix.byType["categoryOptionCombos"][New(1, Small).m.combos[comboAgeSex].cocs[0].uid]; !ok {
		t.Error("age and sex option combos missing")
	}
}
