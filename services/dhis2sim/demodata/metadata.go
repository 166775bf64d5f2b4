package demodata

// Metadata returns the whole metadata export as DHIS2 2.41 returns it from
// GET /api/metadata?fields=:owner&defaults=EXCLUDE: keys are DHIS2 plural type names, values are objects in
// :owner JSON shape (references as {"id": uid}, owned embedded objects inline, a `sharing` object on shareable
// types, users with userRoles at the top level). The "system" header is not included. Every call builds a
// fresh, independent value; the same seed and scale always give the same bytes after json.Marshal.
func (g *Generator) Metadata() map[string][]map[string]any {
	out := map[string][]map[string]any{}
	g.orgUnitMetadata(out)
	g.categoryMetadata(out)
	g.aggregateMetadata(out)
	g.userMetadata(out)
	g.trackerMetadata(out)
	g.analyticsMetadata(out)
	return out
}

type object = map[string]any

func ref(uid string) object { return object{"id": uid} }

func refs[T any](items []T, uid func(T) string) []any {
	out := make([]any, len(items))
	for i, it := range items {
		out[i] = ref(uid(it))
	}
	return out
}

// identifiable returns the properties every object has: id, code, name, created, lastUpdated (and shortName
// for nameable types, when set).
func (g *Generator) identifiable(k kind, index int, n named) object {
	created, updated := g.stamps(k, index)
	o := object{"id": n.uid, "created": created, "lastUpdated": updated}
	if n.name != "" {
		o["name"] = n.name
	}
	if n.code != "" {
		o["code"] = n.code
	}
	if n.shortName != "" {
		o["shortName"] = n.shortName
	}
	return o
}

// shareable adds what shareable types carry: the sharing object and the user stamps, owned by the
// administrator. Types that also share data get data read/write for everyone, as data entry needs.
func (g *Generator) shareable(o object, dataShareable bool) object {
	admin := g.m.users[0].uid
	public := "rw------"
	if dataShareable {
		public = "rwrw----"
	}
	o["sharing"] = object{"owner": admin, "external": false, "public": public, "users": object{}, "userGroups": object{}}
	o["createdBy"] = ref(admin)
	o["lastUpdatedBy"] = ref(admin)
	return o
}

func (g *Generator) orgUnitMetadata(out map[string][]map[string]any) {
	m := g.m
	ous := make([]object, len(m.orgUnits))
	for i, ou := range m.orgUnits {
		o := g.identifiable(kindOrgUnit, i, ou.named)
		o["level"] = ou.level
		o["path"] = ou.path
		o["openingDate"] = ou.opening
		if ou.parent >= 0 {
			o["parent"] = ref(m.orgUnits[ou.parent].uid)
		}
		ous[i] = o
	}
	out["organisationUnits"] = ous
	for i, name := range []string{"National", "Region", "District", "Facility"} {
		o := g.identifiable(kindOrgUnitLevel, i, named{uid: g.uid(kindOrgUnitLevel, i), name: name})
		o["level"] = i + 1
		out["organisationUnitLevels"] = append(out["organisationUnitLevels"], o)
	}
	ouRef := func(i int) string { return m.orgUnits[i].uid }
	for i, grp := range m.ouGroups {
		o := g.shareable(g.identifiable(kindOrgUnitGroup, i, grp.named), false)
		o["organisationUnits"] = refs(grp.members, ouRef)
		out["organisationUnitGroups"] = append(out["organisationUnitGroups"], o)
	}
	for i, set := range m.ouGroupSets {
		o := g.shareable(g.identifiable(kindOrgUnitGroupSet, i, set.named), false)
		o["compulsory"] = true
		o["dataDimension"] = true
		o["includeSubhierarchyInAnalytics"] = false
		o["organisationUnitGroups"] = refs(set.groups, func(j int) string { return m.ouGroups[j].uid })
		out["organisationUnitGroupSets"] = append(out["organisationUnitGroupSets"], o)
	}
}

func (g *Generator) categoryMetadata(out map[string][]map[string]any) {
	m := g.m
	for i, co := range m.catOptions {
		out["categoryOptions"] = append(out["categoryOptions"], g.shareable(g.identifiable(kindCategoryOption, i, co), true))
	}
	optionRef := func(j int) string { return m.catOptions[j].uid }
	for i, c := range m.categories {
		o := g.shareable(g.identifiable(kindCategory, i, c.named), false)
		o["dataDimensionType"] = "DISAGGREGATION"
		o["dataDimension"] = true
		o["categoryOptions"] = refs(c.options, optionRef)
		out["categories"] = append(out["categories"], o)
	}
	for i, cc := range m.combos {
		o := g.shareable(g.identifiable(kindCategoryCombo, i, cc.named), false)
		o["dataDimensionType"] = "DISAGGREGATION"
		o["skipTotal"] = false
		o["categories"] = refs(cc.categories, func(j int) string { return m.categories[j].uid })
		out["categoryCombos"] = append(out["categoryCombos"], o)
		for j, c := range cc.cocs {
			co := g.identifiable(kindCategoryOptionCombo, i*64+j, named{uid: c.uid, name: c.name})
			co["categoryCombo"] = ref(cc.uid)
			co["categoryOptions"] = refs(c.options, optionRef)
			co["ignoreApproval"] = false
			out["categoryOptionCombos"] = append(out["categoryOptionCombos"], co)
		}
	}
	optionIndex := 0
	for i, os := range m.optionSets {
		o := g.shareable(g.identifiable(kindOptionSet, i, os.named), false)
		o["valueType"] = os.valueType
		o["version"] = 1
		o["options"] = refs(os.options, func(n named) string { return n.uid })
		out["optionSets"] = append(out["optionSets"], o)
		for j, opt := range os.options {
			op := g.identifiable(kindOption, optionIndex, opt)
			op["sortOrder"] = j + 1
			op["optionSet"] = ref(os.uid)
			out["options"] = append(out["options"], op)
			optionIndex++
		}
	}
}
