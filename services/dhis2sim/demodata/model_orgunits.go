package demodata

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// levelSizes splits n org units into national, regions, districts and facilities, roughly in the proportions
// of a national HMIS (a few regions, one district per dozen org units, the rest facilities).
func levelSizes(n int) [5]int {
	regions := max(1, int(math.Round(math.Sqrt(float64(n))/3)))
	districts := max(regions, int(math.Round(float64(n)/12)))
	if 1+regions+districts >= n {
		districts = max(1, n-2-regions)
	}
	if 1+regions+districts >= n {
		regions = 1
		districts = 1
	}
	return [5]int{0, 1, regions, districts, n - 1 - regions - districts}
}

// placeName returns a unique pronounceable place name for object index, remembering used names.
func (g *Generator) placeName(used map[string]bool, index int) string {
	for attempt := 0; attempt < 32; attempt++ {
		h := hash3(g.key, 0x91ace, uint64(index)<<8|uint64(attempt))
		parts := 2 + int(h%2)
		var b strings.Builder
		for p := 0; p < parts; p++ {
			h = mix64(h + uint64(p))
			b.WriteString(placeSyllables[pick(h, len(placeSyllables))])
		}
		name := capitalize(b.String())
		if !used[name] {
			used[name] = true
			return name
		}
	}
	name := fmt.Sprintf("%s %d", capitalize(placeSyllables[index%len(placeSyllables)]), index)
	used[name] = true
	return name
}

func (g *Generator) buildOrgUnits(m *model) {
	sizes := levelSizes(g.scale.OrgUnits)
	used := map[string]bool{}
	m.orgUnits = make([]orgUnit, 0, g.scale.OrgUnits)
	for level := 1; level <= 4; level++ {
		m.levelStart[level] = len(m.orgUnits)
		count := sizes[level]
		parentStart, parentCount := 0, 1
		if level > 1 {
			parentStart, parentCount = m.levelStart[level-1], sizes[level-1]
		}
		for j := 0; j < count; j++ {
			i := len(m.orgUnits)
			h := hash3(g.key, uint64(kindOrgUnit), uint64(i))
			place := g.placeName(used, i)
			ou := orgUnit{level: level, parent: -1, placeKey: place}
			ou.uid = g.uid(kindOrgUnit, i)
			ou.code = fmt.Sprintf("OU_%06d", i+1)
			if level > 1 {
				ou.parent = parentStart + j*parentCount/count
				ou.path = m.orgUnits[ou.parent].path + "/" + ou.uid
			} else {
				ou.path = "/" + ou.uid
			}
			opened := time.Date(1960+10*(level-1), 1, 1, 0, 0, 0, 0, time.UTC)
			if level == 4 {
				opened = opened.AddDate(int(h%35), 0, int(h>>8%365))
			}
			ou.opening = formatTime(opened)
			switch level {
			case 1:
				ou.name, ou.shortName = "Republic of "+place, place
			case 2:
				ou.name, ou.shortName = place+" Region", place+" Region"
			case 3:
				ou.name, ou.shortName = place+" District", place+" District"
			case 4:
				ou.facType = facilityTypeFor(h >> 16)
				ft := facilityTypes[ou.facType]
				ou.name, ou.shortName = place+" "+ft.name, place+" "+ft.short
				switch r := (h >> 24) % 100; {
				case r < 70:
					ou.owner = 0
				case r < 90:
					ou.owner = 1
				default:
					ou.owner = 2
				}
				ou.rural = (h>>32)%100 < 70
				m.facilities = append(m.facilities, i)
			}
			m.orgUnits = append(m.orgUnits, ou)
		}
	}
	g.buildOrgUnitGroups(m)
}

func facilityTypeFor(h uint64) int {
	r := int(h % 100)
	for i, ft := range facilityTypes {
		if r < ft.share {
			return i
		}
		r -= ft.share
	}
	return len(facilityTypes) - 1
}

// buildOrgUnitGroups makes three group sets that partition the facilities: type, ownership and location.
func (g *Generator) buildOrgUnitGroups(m *model) {
	addGroup := func(name, short, code string, member func(ou orgUnit) bool) int {
		i := len(m.ouGroups)
		grp := ouGroup{named: named{uid: g.uid(kindOrgUnitGroup, i), code: code, name: name, shortName: short}}
		for _, f := range m.facilities {
			if member(m.orgUnits[f]) {
				grp.members = append(grp.members, f)
			}
		}
		m.ouGroups = append(m.ouGroups, grp)
		return i
	}
	addSet := func(name, code string, groups []int) {
		i := len(m.ouGroupSets)
		m.ouGroupSets = append(m.ouGroupSets, ouGroupSet{
			named:  named{uid: g.uid(kindOrgUnitGroupSet, i), code: code, name: name, shortName: name},
			groups: groups,
		})
	}
	var types, owners, locations []int
	for t, ft := range facilityTypes {
		types = append(types, addGroup(ft.name, ft.name, "OUG_TYPE_"+strings.ToUpper(ft.short),
			func(ou orgUnit) bool { return ou.facType == t }))
	}
	for o, name := range facilityOwnerships {
		owners = append(owners, addGroup(name, name, "OUG_OWNER_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_")),
			func(ou orgUnit) bool { return ou.owner == o }))
	}
	locations = append(locations,
		addGroup("Urban", "Urban", "OUG_URBAN", func(ou orgUnit) bool { return !ou.rural }),
		addGroup("Rural", "Rural", "OUG_RURAL", func(ou orgUnit) bool { return ou.rural }))
	addSet("Facility Type", "OUGS_TYPE", types)
	addSet("Facility Ownership", "OUGS_OWNERSHIP", owners)
	addSet("Location Rural/Urban", "OUGS_LOCATION", locations)
}

// facilitiesOfTypes returns the facilities whose type is in types (all facilities when types is nil), minus
// a share dropped at random (dropPercent) to make assignments look organic. It never returns an empty list
// when facilities exist.
func (g *Generator) facilitiesOfTypes(m *model, types []int, salt uint64, dropPercent uint64) []int {
	var out []int
	for _, f := range m.facilities {
		ok := types == nil
		for _, t := range types {
			ok = ok || m.orgUnits[f].facType == t
		}
		if ok && hash3(g.key, salt, uint64(f))%100 >= dropPercent {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		out = append(out, m.facilities...)
	}
	return out
}
