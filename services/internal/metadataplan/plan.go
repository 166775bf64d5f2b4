package metadataplan

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Group is one dependency-closed set of metadata types: one step of a metadata sub-job, loaded as
// dependency-closed import requests.
type Group struct {
	// Name is the resources joined by "+", e.g. "programStageSections+programStages+programIndicators+programs".
	Name string
	// Resources in DHIS2's commit order.
	Resources []string
	// Params the extractor needs to read the group correctly (e.g. "order": "level:asc" for org units).
	Params map[string]string
}

// bundle keeps types together in one group, or moves a type, because DHIS2 resolves their references to each
// other only inside one payload (dhis2-core DefaultObjectBundleService#commit, atomicMode=ALL; docs/adr/0003) or because they reference a type DHIS2 orders later.
type bundle struct {
	resources []string
	// at is the order value the group takes; 0 means the order of its first member.
	at     int
	reason string
}

var bundles = []bundle{
	{
		resources: []string{"attributes", "options", "optionSets"},
		reason: "Option.optionSet and OptionSet.options reference each other; Attribute.optionSet points at an option " +
			"set while options and option sets carry attribute values: DHIS2 commits Attribute (100) before OptionSet " +
			"(1050) only because both sit in one bundle.",
	},
	{
		resources: []string{"categoryCombos", "categoryOptionCombos"},
		reason: "DHIS2 generates a category combo's option combos when the combo is imported; imported separately, " +
			"the destination makes its own with other UIDs and data values no longer map (DHIS2 generates them from category combos: \"Embedded " +
			"objects\"). In one payload DHIS2 keeps the source's option combos, which reference their combo.",
	},
	{
		resources: []string{"userRoles", "users", "userGroups"},
		at:        1195,
		reason: "users and user groups reference each other (membership, managed groups) and users reference their " +
			"roles, org units (data capture, data view, search) and category dimension constraints, which DHIS2 " +
			"resolves inside one bundle although User is ordered 101; separate requests import users after the " +
			"category model. Ownership and sharing references to users follow the configuration's policies.",
	},
	{
		resources: []string{"organisationUnits"},
		reason:    "one step whose pages the extractor reads parents first (order=level:asc)",
	},
	{
		resources: []string{"dataApprovalLevels"},
		at:        1301,
		reason:    "DataSet.workflow references an approval workflow (1380), which references approval levels (1370)",
	},
	{
		resources: []string{"dataApprovalWorkflows"},
		at:        1302,
		reason:    "DataSet.workflow references an approval workflow (1380)",
	},
	{
		resources: []string{"dataSets", "sections"},
		reason:    "DataSet.sections and Section.dataSet reference each other",
	},
	{
		resources: []string{"programStageSections", "programStages", "programIndicators", "programs"},
		reason: "ProgramStage.program and Program.programStages reference each other (ProgramStage 1509 is committed " +
			"before Program 1520), program stage sections belong to a stage and list program indicators, which " +
			"belong to a program; programStageDataElements travel embedded in their stage",
	},
	{
		resources: []string{"programTrackedEntityAttributeGroups"},
		at:        1521,
		reason:    "2.36 only: groups program tracked entity attributes, which are embedded in programs (1520)",
	},
	{
		resources: []string{"programRuleActions", "programRules"},
		reason:    "ProgramRule.programRuleActions and ProgramRuleAction.programRule reference each other",
	},
	{
		resources: []string{"documents", "eventVisualizations", "externalMapLayers", "maps", "reports", "visualizations", "charts", "reportTables"},
		reason: "DHIS2 gives all of them order 2000 and does not order them among themselves; reports reference " +
			"visualizations and maps reference external map layers",
	},
}

// orgUnitParams make the extractor read org units parents first, so that every page's parents already exist.
var groupParams = map[string]map[string]string{
	"organisationUnits": {"order": "level:asc"},
}

// Plan returns the metadata groups for the given families (enum names of dhis2sync.config.v1.MetadataFamily,
// with or without the METADATA_FAMILY_ prefix; empty means all), in import order. A group keeps only the
// types of the selected families; empty groups are dropped.
func Plan(familyNames []string) ([]Group, error) {
	selected, err := selectedResources(familyNames)
	if err != nil {
		return nil, err
	}
	order := Order()
	index := make(map[string]int, len(order))
	for i, t := range order {
		index[t.Resource] = i
	}
	type slot struct {
		at, first int
		group     Group
	}
	var slots []slot
	bundled := map[string]bool{}
	for _, b := range bundles {
		res := filterOrdered(b.resources, selected, index)
		for _, r := range b.resources {
			bundled[r] = true
		}
		if len(res) == 0 {
			continue
		}
		first := slices.Min(mapIndex(b.resources, index))
		at := b.at
		if at == 0 {
			at = order[first].Order
		}
		slots = append(slots, slot{at: at, first: first, group: newGroup(res)})
	}
	for i, t := range order {
		if bundled[t.Resource] || !selected[t.Resource] {
			continue
		}
		slots = append(slots, slot{at: t.Order, first: i, group: newGroup([]string{t.Resource})})
	}
	slices.SortStableFunc(slots, func(a, b slot) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.first, b.first))
	})
	out := make([]Group, len(slots))
	for i, s := range slots {
		out[i] = s.group
	}
	return out, nil
}

func newGroup(resources []string) Group {
	g := Group{Name: strings.Join(resources, "+"), Resources: resources, Params: map[string]string{}}
	for _, r := range resources {
		maps.Copy(g.Params, groupParams[r])
	}
	return g
}

// selectedResources returns the set of resources of the named families (all when none are named).
func selectedResources(names []string) (map[string]bool, error) {
	out := map[string]bool{}
	want := map[string]bool{}
	for _, n := range names {
		n = strings.ToUpper(strings.TrimSpace(n))
		if n == "" || n == "METADATA_FAMILY_UNSPECIFIED" {
			continue
		}
		if !strings.HasPrefix(n, "METADATA_FAMILY_") {
			n = "METADATA_FAMILY_" + n
		}
		if !slices.ContainsFunc(families, func(f Family) bool { return f.Name == n }) {
			return nil, fmt.Errorf("unknown metadata family %q", n)
		}
		want[n] = true
	}
	for _, f := range families {
		if len(want) > 0 && !want[f.Name] {
			continue
		}
		for _, r := range f.Resources {
			out[r] = true
		}
	}
	return out, nil
}

// filterOrdered keeps the selected resources, sorted by DHIS2's order.
func filterOrdered(resources []string, selected map[string]bool, index map[string]int) []string {
	var out []string
	for _, r := range resources {
		if selected[r] {
			out = append(out, r)
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(index[a], index[b]) })
	return out
}

func mapIndex(resources []string, index map[string]int) []int {
	out := make([]int, len(resources))
	for i, r := range resources {
		out[i] = index[r]
	}
	return out
}
