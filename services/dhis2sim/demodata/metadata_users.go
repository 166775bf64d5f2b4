package demodata

import "strings"

func (g *Generator) userMetadata(out map[string][]map[string]any) {
	m := g.m
	for i, r := range userRoles {
		n := named{uid: g.uid(kindUserRole, i), code: r.code, name: r.name}
		o := g.shareable(g.identifiable(kindUserRole, i, n), false)
		o["description"] = r.description
		auth := make([]any, len(r.authorities))
		for j, a := range r.authorities {
			auth[j] = a
		}
		o["authorities"] = auth
		out["userRoles"] = append(out["userRoles"], o)
	}
	for i, members := range m.userGroups {
		n := named{uid: g.uid(kindUserGroup, i), code: userGroupNames[i].code, name: userGroupNames[i].name}
		o := g.shareable(g.identifiable(kindUserGroup, i, n), false)
		o["users"] = refs(members, func(j int) string { return m.users[j].uid })
		out["userGroups"] = append(out["userGroups"], o)
	}
	ouRef := func(j int) string { return m.orgUnits[j].uid }
	for i, u := range m.users {
		o := g.identifiable(kindUser, i, named{uid: u.uid, code: u.code})
		o["username"] = u.shortName
		o["firstName"] = u.firstName
		o["surname"] = u.surname
		o["email"] = strings.ReplaceAll(u.shortName, "_", ".") + "@hmis.example.org"
		o["disabled"] = false
		o["externalAuth"] = false
		o["userRoles"] = refs(u.roles, func(j int) string { return g.uid(kindUserRole, j) })
		o["userGroups"] = refs(u.groups, func(j int) string { return g.uid(kindUserGroup, j) })
		o["organisationUnits"] = refs(u.orgUnits, ouRef)
		o["dataViewOrganisationUnits"] = refs(u.orgUnits, ouRef)
		o["teiSearchOrganisationUnits"] = refs(u.orgUnits, ouRef)
		out["users"] = append(out["users"], o)
	}
}
