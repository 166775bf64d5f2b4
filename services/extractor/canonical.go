package extractor

import (
	"cmp"
	"crypto/sha256"
	"encoding/json"
	"hash/fnv"
	"slices"
)

// orderedCollections are the collections DHIS2 stores as ordered lists (Hibernate <list> mappings with a
// sort_order index in dhis2-core's *.hbm.xml): their order is what a form, a category's options or a dashboard
// shows, so a copy that reorders them is not faithful. Every other collection of objects is a set.
var orderedCollections = map[string][]string{
	"categories":           {"categoryOptions"},                   // Category.hbm.xml
	"categoryCombos":       {"categories"},                        // CategoryCombo.hbm.xml
	"sections":             {"dataElements", "indicators"},        // Section.hbm.xml: the section form's rows
	"programStageSections": {"dataElements", "programIndicators"}, // ProgramStageSection.hbm.xml
	"programSections":      {"trackedEntityAttributes"},           // ProgramSection.hbm.xml
	"programs":             {"programTrackedEntityAttributes"},    // Program.hbm.xml (programAttributes)
	"trackedEntityTypes":   {"trackedEntityTypeAttributes"},       // TrackedEntityType.hbm.xml
	"optionSets":           {"options"},                           // OptionSet.hbm.xml (sort_order, base 1)
	"optionGroupSets":      {"optionGroups"},                      // OptionGroupSet.hbm.xml
	"dashboards":           {"dashboardItems"},                    // Dashboard.hbm.xml (dashboard_items)
}

// canonicalObject is canonical for a top-level object of a collection: its ordered collections keep their
// order (their elements are still made canonical).
func canonicalObject(plural string, obj map[string]any) map[string]any {
	for k, x := range obj {
		if slices.Contains(orderedCollections[plural], k) {
			if list, ok := x.([]any); ok {
				for i, e := range list {
					list[i] = canonical(e)
				}
				continue
			}
		}
		obj[k] = canonical(x)
	}
	return obj
}

// canonical sorts every collection of objects in v (by id when the objects have one, else by their JSON), so
// that two servers listing the same references in different orders compare equal. Lists of scalars keep their
// order. It edits v in place and returns it.
func canonical(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = canonical(x)
		}
	case []any:
		for i, x := range t {
			t[i] = canonical(x)
		}
		if len(t) > 1 && allObjects(t) {
			type keyed struct {
				key string
				v   any
			}
			ks := make([]keyed, len(t))
			for i, x := range t {
				m := x.(map[string]any)
				if id, ok := m["id"].(string); ok {
					ks[i] = keyed{"0" + id, x}
				} else {
					b, _ := json.Marshal(m)
					ks[i] = keyed{"1" + string(b), x}
				}
			}
			slices.SortStableFunc(ks, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
			for i := range ks {
				t[i] = ks[i].v
			}
		}
	}
	return v
}

func allObjects(list []any) bool {
	for _, x := range list {
		if _, ok := x.(map[string]any); !ok {
			return false
		}
	}
	return true
}

// digest is what verification keeps of one object: the SHA-256 of its canonical JSON and a short hash per
// top-level property (to name the properties that differ without keeping the object).
type digest struct {
	hash  [32]byte
	props map[string]uint64
	label string
}

func digestOf(plural string, obj map[string]any) digest {
	canonicalObject(plural, obj)
	b, _ := json.Marshal(obj) // encoding/json sorts map keys: canonical
	d := digest{hash: sha256.Sum256(b), props: make(map[string]uint64, len(obj))}
	for k, v := range obj {
		pb, _ := json.Marshal(v)
		h := fnv.New64a()
		h.Write(pb)
		d.props[k] = h.Sum64()
	}
	for _, k := range []string{"name", "code", "username"} {
		if s, ok := obj[k].(string); ok && s != "" {
			d.label = s
			break
		}
	}
	return d
}

// changedProps lists the properties whose values differ, sorted.
func changedProps(a, b digest) []string {
	var out []string
	for k, h := range a.props {
		if bh, ok := b.props[k]; !ok || bh != h {
			out = append(out, k)
		}
	}
	for k := range b.props {
		if _, ok := a.props[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
