package metadataplan

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func mustSteps(t *testing.T, maxObjects int, families ...string) []Group {
	t.Helper()
	steps, err := Steps(families, maxObjects)
	if err != nil {
		t.Fatal(err)
	}
	return steps
}

// packCases are the family selections and bounds the packing properties are checked for.
var packCases = []struct {
	families   []string
	maxObjects int
}{
	{nil, 0}, {nil, 1}, {nil, 500}, {nil, 2000}, {nil, 10000}, {nil, 1 << 30},
	{[]string{"CATEGORIES", "DATA_ELEMENTS", "DATA_SETS"}, 0},
	{[]string{"PROGRAMS", "PROGRAM_RULES", "TRACKER"}, 3000},
	{[]string{"ORGANISATION"}, 1 << 30},
}

// TestStepsAreConsecutiveWholeGroups: the steps list the plan's types in the plan's order, and every group,
// cycles included, lies whole inside one step.
func TestStepsAreConsecutiveWholeGroups(t *testing.T) {
	for _, tc := range packCases {
		t.Run(fmt.Sprint(tc.families, tc.maxObjects), func(t *testing.T) {
			groups := mustPlan(t, tc.families...)
			steps := mustSteps(t, tc.maxObjects, tc.families...)
			if got, want := flatten(steps), flatten(groups); !slices.Equal(got, want) {
				t.Fatalf("steps list\n%v\nthe plan lists\n%v", got, want)
			}
			step := groupOf(t, steps)
			for _, g := range groups {
				for _, r := range g.Resources[1:] {
					if step[r] != step[g.Resources[0]] {
						t.Errorf("group %s is split between steps %s and %s", g.Name,
							steps[step[g.Resources[0]]].Name, steps[step[r]].Name)
					}
				}
			}
			for _, pair := range [][2]string{{"categoryCombos", "categoryOptionCombos"}, {"programStages", "programs"}, {"dataSets", "sections"}} {
				a, okA := step[pair[0]]
				b, okB := step[pair[1]]
				if okA && okB && a != b {
					t.Errorf("%s and %s are in different steps", pair[0], pair[1])
				}
			}
		})
	}
}

func TestStepsAreDependencyClosed(t *testing.T) {
	for _, maxObjects := range []int{0, 1, 700, 10000} {
		t.Run(fmt.Sprint(maxObjects), func(t *testing.T) {
			referencesPointBackwards(t, mustSteps(t, maxObjects))
		})
	}
}

// TestStepsBound: a step of several groups stays within the bound and has no extractor params; a step is
// closed only when the next group would not fit, so no two neighbouring steps could have been one.
func TestStepsBound(t *testing.T) {
	for _, tc := range packCases {
		t.Run(fmt.Sprint(tc.families, tc.maxObjects), func(t *testing.T) {
			bound := tc.maxObjects
			if bound <= 0 {
				bound = DefaultStepObjects
			}
			groups := mustPlan(t, tc.families...)
			firstGroup := map[string]Group{}
			for _, g := range groups {
				firstGroup[g.Resources[0]] = g
			}
			steps := mustSteps(t, tc.maxObjects, tc.families...)
			for i, s := range steps {
				whole, single := firstGroup[s.Resources[0]]
				single = single && len(whole.Resources) == len(s.Resources)
				if !single && estimate(s) > bound {
					t.Errorf("step %s holds %d estimated objects, over %d", s.Name, estimate(s), bound)
				}
				if !single && len(s.Params) > 0 {
					t.Errorf("step %s joins a group that has params %v", s.Name, s.Params)
				}
				if i == 0 {
					continue
				}
				prev, next := steps[i-1], firstGroup[s.Resources[0]]
				if len(prev.Params) == 0 && len(next.Params) == 0 && estimate(prev)+estimate(next) <= bound {
					t.Errorf("steps %s and %s could be one (%d + %d ≤ %d)", prev.Name, s.Name, estimate(prev), estimate(next), bound)
				}
			}
		})
	}
}

func TestStepsOneGroupEachWhenBoundIsOne(t *testing.T) {
	groups, steps := mustPlan(t), mustSteps(t, 1)
	if len(steps) != len(groups) {
		t.Fatalf("%d steps for %d groups", len(steps), len(groups))
	}
	for i := range groups {
		if steps[i].Name != groups[i].Name || !slices.Equal(steps[i].Resources, groups[i].Resources) {
			t.Errorf("step %d = %s, want group %s", i, steps[i].Name, groups[i].Name)
		}
	}
}

func TestStepsOrgUnitsAloneParentsFirst(t *testing.T) {
	for _, maxObjects := range []int{0, 1 << 30} {
		steps := mustSteps(t, maxObjects)
		i := groupOf(t, steps)["organisationUnits"]
		if s := steps[i]; !slices.Equal(s.Resources, []string{"organisationUnits"}) || s.Params["order"] != "level:asc" {
			t.Errorf("maxObjects %d: org units step = %+v, want alone with order=level:asc", maxObjects, s)
		}
	}
}

func TestStepNames(t *testing.T) {
	for _, s := range mustSteps(t, 0) {
		switch {
		case len(s.Resources) == 1:
			if s.Name != s.Resources[0] {
				t.Errorf("step of %v named %q", s.Resources, s.Name)
			}
		case strings.Contains(s.Name, " … "):
			if want := s.Resources[0] + " … " + s.Resources[len(s.Resources)-1]; s.Name != want {
				t.Errorf("step named %q, want %q", s.Name, want)
			}
		case s.Name != strings.Join(s.Resources, "+"):
			t.Errorf("step of one group named %q, want %q", s.Name, strings.Join(s.Resources, "+"))
		}
	}
	steps := mustSteps(t, 1<<30, "CATEGORIES", "DATA_ELEMENTS")
	if len(steps) != 1 || steps[0].Name != "categoryOptions … dataElementGroupSets" {
		t.Errorf("categories and data elements in one step: %+v", steps)
	}
}

func TestStepsUnknownFamily(t *testing.T) {
	if _, err := Steps([]string{"NOPE"}, 0); err == nil {
		t.Error("unknown family accepted")
	}
}

func TestEstimatesNamePlannedTypes(t *testing.T) {
	planned := map[string]bool{}
	for _, o := range Order() {
		planned[o.Resource] = true
	}
	for r, n := range typicalObjects {
		if !planned[r] || n <= 0 {
			t.Errorf("estimate %s = %d: not a planned type or not positive", r, n)
		}
	}
	if EstimatedObjects("organisationUnits") <= DefaultStepObjects {
		t.Error("org units must be estimated above the default bound, so that a large hierarchy gets its own step")
	}
}

func flatten(groups []Group) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g.Resources...)
	}
	return out
}
