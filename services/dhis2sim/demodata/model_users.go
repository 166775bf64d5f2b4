package demodata

import "strings"

// User roles, by index, with the authorities DHIS2 uses for those jobs.
var userRoles = []struct {
	name, code, description string
	authorities             []string
}{
	{"Superuser", "SUPERUSER", "All authorities", []string{"ALL"}},
	{"Data entry clerk", "DATA_ENTRY", "Enters aggregate data for assigned facilities", []string{
		"M_dhis-web-aggregate-data-entry", "F_DATAVALUE_ADD", "F_DATAVALUE_DELETE", "F_VIEW_UNAPPROVED_DATA"}},
	{"Data manager", "DATA_MANAGER", "Reviews, validates and analyses data", []string{
		"M_dhis-web-aggregate-data-entry", "M_dhis-web-data-quality", "M_dhis-web-dashboard", "F_DATAVALUE_ADD",
		"F_RUN_VALIDATION", "F_EXPORT_DATA", "F_VIEW_UNAPPROVED_DATA", "F_APPROVE_DATA"}},
	{"Tracker data clerk", "TRACKER_CLERK", "Registers and follows up tracked entities", []string{
		"M_dhis-web-capture", "F_TRACKED_ENTITY_INSTANCE_SEARCH", "F_TRACKED_ENTITY_INSTANCE_ADD",
		"F_PROGRAM_ENROLLMENT", "F_UNCOMPLETE_EVENT"}},
	{"Analytics viewer", "ANALYTICS", "Reads dashboards, visualizations and maps", []string{
		"M_dhis-web-dashboard", "M_dhis-web-data-visualizer", "M_dhis-web-maps", "F_VIEW_EVENT_ANALYTICS"}},
}

// User groups, by index.
var userGroupNames = []struct{ name, code string }{
	{"HMIS administrators", "UG_ADMIN"}, {"Regional data managers", "UG_REGIONAL"},
	{"District data clerks", "UG_DISTRICT"}, {"TB programme staff", "UG_TB"},
}

const maxDistrictClerks = 40

// buildUsers makes the administrator (first user: the owner of every shareable object), a data manager per
// region, a data entry clerk for the first districts and a tracker clerk for the first TB facilities.
func (g *Generator) buildUsers(m *model) {
	m.userGroups = make([][]int, len(userGroupNames))
	add := func(username string, roles, groups, ous []int) {
		i := len(m.users)
		h := hash3(g.key, uint64(kindUser), uint64(i))
		first := firstNamesFemale[pick(h, len(firstNamesFemale))]
		if h>>8%2 == 1 {
			first = firstNamesMale[pick(h>>16, len(firstNamesMale))]
		}
		u := user{firstName: first, surname: lastNames[pick(h>>24, len(lastNames))], roles: roles, groups: groups, orgUnits: ous}
		u.uid, u.code, u.name = g.uid(kindUser, i), strings.ToUpper(username), u.firstName+" "+u.surname
		u.shortName = username
		for _, grp := range groups {
			m.userGroups[grp] = append(m.userGroups[grp], i)
		}
		m.users = append(m.users, u)
		m.usernames = append(m.usernames, username)
	}
	add("admin", []int{0}, []int{0}, []int{0})
	levelUsers := func(level, limit int, prefix string, roles, groups []int) {
		for j := m.levelStart[level]; j < len(m.orgUnits) && m.orgUnits[j].level == level && j-m.levelStart[level] < limit; j++ {
			add(prefix+strings.ToLower(m.orgUnits[j].placeKey), roles, groups, []int{j})
		}
	}
	levelUsers(2, len(m.orgUnits), "dm_", []int{2, 4}, []int{1})
	levelUsers(3, maxDistrictClerks, "de_", []int{1}, []int{2})
}
