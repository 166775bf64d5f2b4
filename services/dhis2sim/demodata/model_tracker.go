package demodata

import "strings"

// Tracked entity attributes of the Person type and the TB programme, by index.
var trackerAttributes = []struct {
	name, code, valueType string
	optionSet             int
	unique                bool
}{
	{"First name", "FIRST_NAME", vtText, -1, false},
	{"Last name", "LAST_NAME", vtText, -1, false},
	{"Sex", "SEX", vtText, osSex, false},
	{"Date of birth", "DATE_OF_BIRTH", vtDate, -1, false},
	{"TB registration number", "TB_REG_NUMBER", vtText, -1, true},
	{"Phone number", "PHONE_NUMBER", vtPhone, -1, false},
	{"Village", "VILLAGE", vtText, -1, false},
}

const (
	attrFirstName = iota
	attrLastName
	attrSex
	attrBirthDate
	attrRegNumber
	attrPhone
	attrVillage
)

// personTypeAttributes are the attributes the Person type itself carries (the others belong to the programme).
var personTypeAttributes = []int{attrFirstName, attrLastName, attrSex, attrBirthDate}

// Program stages, by index: the single stage of the event programme, then the three TB stages.
const (
	stageMalariaCase = iota
	stageTBDiagnosis
	stageTBFollowUp
	stageTBOutcome
)

const maxTrackerClerks = 5

func (g *Generator) buildPrograms(m *model) {
	for i, a := range trackerAttributes {
		m.attributes = append(m.attributes, attribute{
			named:     named{uid: g.uid(kindTrackedEntityAttribute, i), code: a.code, name: a.name, shortName: a.name},
			valueType: a.valueType, optionSet: a.optionSet, unique: a.unique,
		})
	}
	m.personType = named{uid: g.uid(kindTrackedEntityType, 0), code: "PERSON", name: "Person"}
	m.relationshipType = named{uid: g.uid(kindRelationshipType, 0), code: "HOUSEHOLD_CONTACT", name: "Household contact"}
	stages := []struct {
		name, code string
		program    int
		repeatable bool
		elements   []int
	}{
		{"Malaria case", "MAL_CR_CASE", 0, false, []int{teMalOnset, teMalAge, teMalSex, teMalPregnant, teMalWeight, teMalTestType, teMalResult, teMalSpecies, teMalACT}},
		{"TB diagnosis", "TB_DIAGNOSIS", 1, false, []int{teTBStartDate, teTBType, teTBDiagnosis, teTBHIV, teTBWeight}},
		{"TB follow-up", "TB_FOLLOW_UP", 1, true, []int{teTBWeight, teTBSmear, teTBDosesMissed}},
		{"TB treatment outcome", "TB_OUTCOME", 1, false, []int{teTBOutcome, teTBOutcomeDate}},
	}
	for i, s := range stages {
		st := stage{named: named{uid: g.uid(kindProgramStage, i), code: s.code, name: s.name}, program: s.program, repeatable: s.repeatable, sortOrder: i}
		if s.program == 1 {
			st.sortOrder = i - stageTBDiagnosis + 1
		} else {
			st.sortOrder = 1
		}
		for _, te := range s.elements {
			st.elements = append(st.elements, m.trackerElement(te))
		}
		m.stages = append(m.stages, st)
	}
	m.eventProgram = program{
		named:  named{uid: g.uid(kindProgram, 0), code: "MAL_CASE_REGISTER", name: "Malaria case register", shortName: "Malaria case register"},
		stages: []int{stageMalariaCase},
		ous:    g.facilitiesOfTypes(m, nil, uint64(kindProgram)<<32, 20),
	}
	m.trackerProgram = program{
		named:            named{uid: g.uid(kindProgram, 1), code: "TB_CASE_MANAGEMENT", name: "TB case management", shortName: "TB case management"},
		withRegistration: true,
		stages:           []int{stageTBDiagnosis, stageTBFollowUp, stageTBOutcome},
		ous:              g.facilitiesOfTypes(m, healthAreas[5].facilityTypes, uint64(kindProgram)<<32|1, 0),
	}
	for _, f := range m.trackerProgram.ous[:min(maxTrackerClerks, len(m.trackerProgram.ous))] {
		i := len(m.users)
		h := hash3(g.key, uint64(kindUser), uint64(i))
		u := user{firstName: firstNamesFemale[pick(h, len(firstNamesFemale))], surname: lastNames[pick(h>>24, len(lastNames))],
			roles: []int{3}, groups: []int{3}, orgUnits: []int{f}}
		username := "tb_" + strings.ToLower(m.orgUnits[f].placeKey)
		u.uid, u.code, u.name, u.shortName = g.uid(kindUser, i), strings.ToUpper(username), u.firstName+" "+u.surname, username
		m.userGroups[3] = append(m.userGroups[3], i)
		m.users = append(m.users, u)
		m.usernames = append(m.usernames, username)
	}
}

// planTracker fixes how many events each tracked entity has (1-3, so the total is known without generating
// them) and how many relationships link them (one per five entities, over disjoint pairs).
func (g *Generator) planTracker(m *model) {
	n := g.scale.TrackedEntities
	m.eventsPerEntity = make([]uint64, (n+31)/32)
	for i := 0; i < n; i++ {
		e := 1 + hash3(g.key, uint64(kindTrackedEntity), uint64(i))%3
		m.eventsPerEntity[i/32] |= e << (2 * (i % 32))
		m.trackerEventCount += int(e)
	}
	m.relationshipCount = n / 5
}

// trackerEvents returns the number of events of tracked entity i.
func (m *model) trackerEvents(i int) int { return int(m.eventsPerEntity[i/32] >> (2 * (i % 32)) & 3) }
