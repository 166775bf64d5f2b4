package dhis2sim

import (
	"sort"
	"strings"
)

// generateCOCs creates the category option combos of a category combo as DHIS2 does
// (CategoryComboObjectBundleHook → CategoryService.generateOptionCombos): one per element of the cartesian
// product of its categories' options, named by the option names joined with ", ". Combos that already exist
// for the same option set — for instance those imported in the same payload with their own UIDs — are kept.
// Callers hold s.mu.
func (s *Server) generateCOCs(comboID, now string) {
	cc, ok := s.meta.get("categoryCombos", comboID)
	if !ok {
		return
	}
	var optionLists [][]string
	for _, c := range asList(cc["categories"]) {
		cat, ok := s.meta.get("categories", refID(c))
		if !ok {
			return
		}
		var opts []string
		for _, o := range asList(cat["categoryOptions"]) {
			opts = append(opts, refID(o))
		}
		if len(opts) == 0 {
			return
		}
		optionLists = append(optionLists, opts)
	}
	if len(optionLists) == 0 {
		return
	}
	existing := map[string]bool{}
	for _, coc := range s.meta.list("categoryOptionCombos") {
		if refID(coc["categoryCombo"]) != comboID {
			continue
		}
		existing[optionKey(asList(coc["categoryOptions"]))] = true
	}
	combos := [][]string{{}}
	for _, opts := range optionLists {
		var next [][]string
		for _, prefix := range combos {
			for _, o := range opts {
				next = append(next, append(append([]string{}, prefix...), o))
			}
		}
		combos = next
	}
	for _, combo := range combos {
		refs := make([]any, len(combo))
		names := make([]string, len(combo))
		for i, id := range combo {
			refs[i] = ref(id)
			if o, ok := s.meta.get("categoryOptions", id); ok {
				names[i], _ = o["name"].(string)
			}
		}
		if existing[optionKey(refs)] {
			continue
		}
		s.meta.put("categoryOptionCombos", map[string]any{
			"id": s.newUID(), "name": strings.Join(names, ", "), "created": now, "lastUpdated": now,
			"ignoreApproval": false, "categoryCombo": ref(comboID), "categoryOptions": refs,
			"lastUpdatedBy": ref(adminUID),
		})
	}
}

func optionKey(refs []any) string {
	ids := make([]string, 0, len(refs))
	for _, r := range refs {
		ids = append(ids, refID(r))
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}
