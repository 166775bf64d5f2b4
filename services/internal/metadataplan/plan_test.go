package metadataplan

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

func groupOf(t *testing.T, groups []Group) map[string]int {
	t.Helper()
	out := map[string]int{}
	for i, g := range groups {
		for _, r := range g.Resources {
			if _, dup := out[r]; dup {
				t.Fatalf("resource %s is in two groups", r)
			}
			out[r] = i
		}
	}
	return out
}

func mustPlan(t *testing.T, families ...string) []Group {
	t.Helper()
	groups, err := Plan(families)
	if err != nil {
		t.Fatal(err)
	}
	return groups
}

func TestOrderFollowsDHIS2(t *testing.T) {
	order := Order()
	for i := 1; i < len(order); i++ {
		if order[i].Order < order[i-1].Order {
			t.Fatalf("%s (%d) after %s (%d)", order[i].Resource, order[i].Order, order[i-1].Resource, order[i-1].Order)
		}
	}
	// Pairs of DHIS2's schema commit order (dhis2-core 2.42 *SchemaDescriptor order values) that a reordering would break.
	before := [][2]string{
		{"attributes", "users"}, {"options", "optionSets"}, {"optionSets", "legendSets"},
		{"organisationUnits", "organisationUnitLevels"}, {"organisationUnitGroups", "organisationUnitGroupSets"},
		{"categoryOptions", "categories"}, {"categories", "categoryCombos"}, {"categoryCombos", "categoryOptionCombos"},
		{"categoryOptionCombos", "dataElements"}, {"indicatorTypes", "indicators"}, {"dataEntryForms", "dataSets"},
		{"dataSets", "sections"}, {"trackedEntityAttributes", "trackedEntityTypes"}, {"programStages", "programs"},
		{"programs", "programIndicators"}, {"programRuleActions", "programRules"}, {"visualizations", "predictors"},
		{"dashboards", "pushAnalysis"}, {"pushAnalysis", "eventFilters"},
	}
	pos := map[string]int{}
	for i, o := range order {
		pos[o.Resource] = i
	}
	for _, p := range before {
		if pos[p[0]] >= pos[p[1]] {
			t.Errorf("%s must come before %s", p[0], p[1])
		}
	}
}

func TestPlanGroupsCycles(t *testing.T) {
	g := groupOf(t, mustPlan(t))
	same := [][]string{
		{"programStages", "programs", "programStageSections", "programIndicators"},
		{"dataSets", "sections"},
		{"options", "optionSets", "attributes"},
		{"programRules", "programRuleActions"},
		{"users", "userGroups", "userRoles"},
		{"reports", "visualizations"},
		{"categoryCombos", "categoryOptionCombos"},
	}
	for _, s := range same {
		for _, r := range s[1:] {
			if g[r] != g[s[0]] {
				t.Errorf("%s and %s must be in one group", s[0], r)
			}
		}
	}
	// The rest of the category model is imported type by type, in order, before its combos.
	chain := []string{"categoryOptions", "categoryOptionGroups", "categoryOptionGroupSets", "categories", "categoryCombos"}
	for i := 1; i < len(chain); i++ {
		if g[chain[i-1]] >= g[chain[i]] {
			t.Errorf("%s must be a group before %s", chain[i-1], chain[i])
		}
	}
}

func TestPlanOrgUnitsParentsFirst(t *testing.T) {
	for _, grp := range mustPlan(t, "ORGANISATION") {
		if slices.Contains(grp.Resources, "organisationUnits") {
			if len(grp.Resources) != 1 || grp.Params["order"] != "level:asc" {
				t.Fatalf("org units group = %+v, want alone with order=level:asc", grp)
			}
			return
		}
	}
	t.Fatal("no organisationUnits group")
}

func TestPlanFiltersFamilies(t *testing.T) {
	tests := []struct {
		families []string
		want     []string // resources that must be present
		absent   []string
	}{
		{[]string{"METADATA_FAMILY_PROGRAMS"}, []string{"programs", "programStages"}, []string{"dataElements", "attributes"}},
		{[]string{"options", "SYSTEM"}, []string{"options", "attributes", "constants"}, []string{"users"}},
		{nil, []string{"users", "dashboards", "organisationUnits"}, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.families, ","), func(t *testing.T) {
			g := groupOf(t, mustPlan(t, tt.families...))
			for _, r := range tt.want {
				if _, ok := g[r]; !ok {
					t.Errorf("%s missing", r)
				}
			}
			for _, r := range tt.absent {
				if _, ok := g[r]; ok {
					t.Errorf("%s present", r)
				}
			}
		})
	}
	if _, err := Plan([]string{"METADATA_FAMILY_NOPE"}); err == nil {
		t.Error("unknown family accepted")
	}
}

type schemaFile struct {
	Models map[string]struct {
		Klass      string `json:"klass"`
		Metadata   bool   `json:"metadata"`
		Embedded   bool   `json:"embedded"`
		Properties map[string]struct {
			Type      string `json:"type"`
			Klass     string `json:"klass"`
			ItemType  string `json:"itemType"`
			ItemKlass string `json:"itemKlass"`
			Owner     bool   `json:"owner"`
		} `json:"properties"`
	} `json:"models"`
}

func loadSchema(t *testing.T, version string) schemaFile {
	t.Helper()
	b, err := os.ReadFile("testdata/schemas-" + version + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var s schemaFile
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func simpleName(klass string) string { return klass[strings.LastIndex(klass, ".")+1:] }

func TestFamiliesCoverEveryTypeOnce(t *testing.T) {
	seen := map[string]string{}
	for _, f := range Families() {
		if _, ok := configv1.MetadataFamily_value[f.Name]; !ok {
			t.Errorf("family %s is not a MetadataFamily", f.Name)
		}
		for _, r := range f.Resources {
			if other, dup := seen[r]; dup {
				t.Errorf("%s in %s and %s", r, other, f.Name)
			}
			seen[r] = f.Name
		}
	}
	for name, v := range configv1.MetadataFamily_value {
		if v != 0 && !slices.ContainsFunc(Families(), func(f Family) bool { return f.Name == name }) {
			t.Errorf("MetadataFamily %s has no resources", name)
		}
	}
	for _, o := range Order() {
		if _, ok := seen[o.Resource]; !ok {
			t.Errorf("%s is in no family", o.Resource)
		}
		delete(seen, o.Resource)
	}
	for r := range seen {
		t.Errorf("family resource %s has no import order", r)
	}
}

// TestTypesExistInDHIS2 checks every planned type against real /api/schemas: the plural exists as a metadata
// type with the class dhis2-core's schema descriptors name, in 2.41 or (for the types removed since) in 2.36.
func TestTypesExistInDHIS2(t *testing.T) {
	s41, s36 := loadSchema(t, "2.41"), loadSchema(t, "2.36")
	for _, o := range Order() {
		m, ok := s41.Models[o.Resource]
		if !ok {
			m, ok = s36.Models[o.Resource]
		}
		if !ok {
			t.Errorf("%s is not a DHIS2 2.41 or 2.36 type", o.Resource)
			continue
		}
		if simpleName(m.Klass) != o.Class {
			t.Errorf("%s: class %s, table says %s", o.Resource, simpleName(m.Klass), o.Class)
		}
		if !m.Metadata {
			t.Errorf("%s is not a metadata type", o.Resource)
		}
	}
}

// userReferences are references to users that import order does not satisfy: the configuration's
// user-reference policy (keep, strip or map, configv1.Policies) decides what the loader sends for them.
var userReferences = map[string]bool{"createdBy": true, "lastUpdatedBy": true, "user": true}

// notCopied are referenced classes that are not metadata types dhis2sync copies, with the reason a
// reference to them does not depend on the plan.
var notCopied = map[string]string{
	"FileResource": "uploaded files (org unit images, avatars) are not metadata; the reference is to content " +
		"stored outside /api/metadata",
	"Period": "DHIS2 creates periods on demand from their ISO id",
}

// TestReferencesPointBackwards is the property that makes every group importable on its own: every owner
// reference (what fields=:owner exports, following embedded objects) points to a type of an earlier group or
// of the same group.
func TestReferencesPointBackwards(t *testing.T) {
	referencesPointBackwards(t, mustPlan(t))
}

// referencesPointBackwards checks that every owner reference of a type of groups points to a type of an earlier
// group or of the same group.
func referencesPointBackwards(t *testing.T, groups []Group) {
	t.Helper()
	s := loadSchema(t, "2.41")
	group := groupOf(t, groups)
	byClass := map[string]string{}
	for plural, m := range s.Models {
		byClass[m.Klass] = plural
	}
	classGroup := map[string]int{}
	for _, o := range Order() {
		classGroup[o.Class] = group[o.Resource]
	}
	type ref struct{ path, klass string }
	var refs func(plural string, depth int) []ref
	refs = func(plural string, depth int) []ref {
		var out []ref
		for name, p := range s.Models[plural].Properties {
			if !p.Owner {
				continue
			}
			switch {
			case p.Type == "REFERENCE":
				out = append(out, ref{name, p.Klass})
			case p.Type == "COLLECTION" && p.ItemType == "REFERENCE":
				out = append(out, ref{name, p.ItemKlass})
			case p.Type == "COLLECTION" || p.Type == "COMPLEX":
				k := cmpOr(p.ItemKlass, p.Klass)
				emb, ok := byClass[k]
				if !ok || !s.Models[emb].Embedded || depth > 2 {
					continue
				}
				if _, planned := classGroup[simpleName(k)]; planned {
					continue
				}
				for _, r := range refs(emb, depth+1) {
					out = append(out, ref{name + "." + r.path, r.klass})
				}
			}
		}
		return out
	}
	checked := 0
	for _, o := range Order() {
		if _, ok := s.Models[o.Resource]; !ok {
			continue // not in 2.41
		}
		for _, r := range refs(o.Resource, 0) {
			target := simpleName(r.klass)
			last := r.path[strings.LastIndex(r.path, ".")+1:]
			if target == "User" && userReferences[last] {
				continue
			}
			tg, planned := classGroup[target]
			if !planned {
				if _, ok := notCopied[target]; ok {
					continue
				}
				if _, ok := excluded[target]; ok {
					continue
				}
				t.Errorf("%s.%s references %s, which is neither planned nor listed as not copied", o.Resource, r.path, target)
				continue
			}
			checked++
			if tg > group[o.Resource] {
				t.Errorf("%s.%s references %s in a later group (%s after %s)", o.Resource, r.path, target,
					groups[tg].Name, groups[group[o.Resource]].Name)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d references checked: the schema file was not read as expected", checked)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
