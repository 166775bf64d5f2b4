package metadataplan

import (
	"maps"
	"slices"
)

// DefaultStepObjects bounds the estimated objects of one packed step. DHIS2 charges every metadata import
// request a base cost (preheat, 1–3 s on 2.41/2.42) and then 3–15 ms per object (docs/performance.md), so a
// step of this size spends a few percent of its time on the base cost, while its request stays comfortable:
// 30–150 s, far below the DHIS2 client's 30-minute import timeout, and 5–20 MB of JSON (0.5–2 KB per
// object), 1–3 MB gzipped as the loader sends it, under the 10 MB body limit of DHIS2's documented nginx setup.
const DefaultStepObjects = 10000

// defaultTypeObjects is the estimate for a type absent from typicalObjects: configuration types that rarely
// number more than a few dozen.
const defaultTypeObjects = 50

// typicalObjects estimates how many objects of a type a large national instance holds (thousands of org units,
// a few thousand data elements). Packing only needs orders of magnitude: the plan is made before the source is
// read, so real counts are unknown. They are engineering estimates, not measurements; a type DHIS2 instances
// often hold in the tens of thousands (organisation units) is estimated above DefaultStepObjects so that it
// always gets a step of its own, which the loader may cut into several requests.
var typicalObjects = map[string]int{
	"organisationUnits":       20000,
	"users":                   5000,
	"options":                 3000,
	"dataElements":            3000,
	"categoryOptionCombos":    2000,
	"categoryOptions":         1000,
	"indicators":              1000,
	"visualizations":          1000,
	"programRuleActions":      1000,
	"sections":                500,
	"validationRules":         500,
	"programIndicators":       500,
	"programRules":            500,
	"programRuleVariables":    500,
	"eventVisualizations":     500,
	"charts":                  500,
	"reportTables":            500,
	"optionSets":              300,
	"trackedEntityAttributes": 300,
	"maps":                    300,
	"dashboards":              300,
	"eventCharts":             300,
	"eventReports":            300,
	"organisationUnitGroups":  200,
	"dataElementGroups":       200,
}

// EstimatedObjects returns the number of objects of a type a large instance is expected to hold (see
// typicalObjects).
func EstimatedObjects(resource string) int {
	if n, ok := typicalObjects[resource]; ok {
		return n
	}
	return defaultTypeObjects
}

// Steps returns the steps of a metadata sub-job for the given families: Plan's groups packed by Pack.
func Steps(familyNames []string, maxObjects int) ([]Group, error) {
	groups, err := Plan(familyNames)
	if err != nil {
		return nil, err
	}
	return Pack(groups, maxObjects), nil
}

// Pack joins consecutive groups into steps, so that a sub-job pays DHIS2's per-request base cost a few times
// instead of once per group. The rule:
//
//   - groups are taken in plan order and never split or reordered, so each step is a union of consecutive
//     dependency-closed groups: every reference of a step points to its own types or to an earlier step's,
//     and DHIS2 resolves the references inside the step's payload;
//   - a group joins the current step while the step's estimated objects (EstimatedObjects summed over its
//     types) stay within maxObjects (DefaultStepObjects when maxObjects ≤ 0); a group estimated above
//     maxObjects is a step of its own (organisation units);
//   - a group with extractor params (organisation units, read parents first) is a step of its own, since a
//     step's params apply to every type it reads.
//
// A step of several groups is named after its first and last types ("categoryOptions … dataElements"); a
// step of one group keeps the group's name. Pack with maxObjects 1 gives one step per group.
func Pack(groups []Group, maxObjects int) []Group {
	if maxObjects <= 0 {
		maxObjects = DefaultStepObjects
	}
	var out []Group
	var cur []Group
	size := 0
	flush := func() {
		if len(cur) > 0 {
			out = append(out, joinGroups(cur))
		}
		cur, size = nil, 0
	}
	for _, g := range groups {
		n := estimate(g)
		alone := len(g.Params) > 0
		if alone || size+n > maxObjects {
			flush()
		}
		cur = append(cur, g)
		size += n
		if alone {
			flush()
		}
	}
	flush()
	return out
}

func estimate(g Group) int {
	n := 0
	for _, r := range g.Resources {
		n += EstimatedObjects(r)
	}
	return n
}

// joinGroups makes one step of consecutive groups.
func joinGroups(groups []Group) Group {
	if len(groups) == 1 {
		g := groups[0]
		return Group{Name: g.Name, Resources: slices.Clone(g.Resources), Params: maps.Clone(g.Params)}
	}
	out := Group{Params: map[string]string{}} // groups with params are never joined
	for _, g := range groups {
		out.Resources = append(out.Resources, g.Resources...)
	}
	out.Name = out.Resources[0] + " … " + out.Resources[len(out.Resources)-1]
	return out
}
