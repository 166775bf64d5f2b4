package demodata

import (
	"fmt"
	"iter"
	"strings"
	"time"
)

// TrackedEntity is a tracked entity in the nested JSON shape of the 2.41 tracker API (docs.dhis2.org 2.38 new-tracker.md; release notes 2.41), with its
// enrollments and their events.
type TrackedEntity struct {
	TrackedEntity     string       `json:"trackedEntity"`
	TrackedEntityType string       `json:"trackedEntityType"`
	OrgUnit           string       `json:"orgUnit"`
	CreatedAt         string       `json:"createdAt"`
	UpdatedAt         string       `json:"updatedAt"`
	Attributes        []Attribute  `json:"attributes"`
	Enrollments       []Enrollment `json:"enrollments"`
}

// Attribute is one tracked entity attribute value.
type Attribute struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

// Enrollment is an enrollment of a tracked entity in the tracker programme, with its events. From 2.41,
// attribute values live only on the tracked entity.
type Enrollment struct {
	Enrollment    string  `json:"enrollment"`
	Program       string  `json:"program"`
	TrackedEntity string  `json:"trackedEntity"`
	OrgUnit       string  `json:"orgUnit"`
	Status        string  `json:"status"` // ACTIVE or COMPLETED
	EnrolledAt    string  `json:"enrolledAt"`
	OccurredAt    string  `json:"occurredAt"`
	CreatedAt     string  `json:"createdAt"`
	UpdatedAt     string  `json:"updatedAt"`
	Events        []Event `json:"events"`
}

// Relationship links two tracked entities.
type Relationship struct {
	Relationship     string           `json:"relationship"`
	RelationshipType string           `json:"relationshipType"`
	From             RelationshipItem `json:"from"`
	To               RelationshipItem `json:"to"`
}

// RelationshipItem is one side of a relationship; the generator only links tracked entities.
type RelationshipItem struct {
	TrackedEntity *struct {
		TrackedEntity string `json:"trackedEntity"`
	} `json:"trackedEntity,omitempty"`
}

func trackedEntityItem(uid string) RelationshipItem {
	return RelationshipItem{TrackedEntity: &struct {
		TrackedEntity string `json:"trackedEntity"`
	}{TrackedEntity: uid}}
}

// TrackedEntities streams the TB patients: each a Person at a facility of the TB programme, enrolled once in
// the year before the base date, with a diagnosis event, then a follow-up, then (for completed enrollments)
// a treatment outcome.
func (g *Generator) TrackedEntities() iter.Seq[TrackedEntity] {
	return func(yield func(TrackedEntity) bool) {
		for i := 0; i < g.scale.TrackedEntities; i++ {
			if !yield(g.trackedEntity(i)) {
				return
			}
		}
	}
}

func (g *Generator) trackedEntity(i int) TrackedEntity {
	m := g.m
	p := m.trackerProgram
	h := hash3(g.key, uint64(kindTrackedEntity), uint64(i))
	r := mix64(h ^ 0x7e)
	ou := m.orgUnits[p.ous[pick(h>>2, len(p.ous))]].uid
	teUID, enUID := g.uid(kindTrackedEntity, i), g.uid(kindEnrollment, i)

	daysBack := int((h >> 12) % 365)
	enrolled := g.base.Add(-time.Duration(daysBack) * day)
	female := (r>>3)%5 < 2 // TB notifications are about 60% men
	first := firstNamesMale[pick(r>>4, len(firstNamesMale))]
	sex := "MALE"
	if female {
		first, sex = firstNamesFemale[pick(r>>4, len(firstNamesFemale))], "FEMALE"
	}
	age := 15 + int(r>>10)%60
	if (r>>16)%10 == 0 {
		age = 1 + int(r>>10)%14
	}
	birth := enrolled.AddDate(-age, 0, -int(r>>20)%365)
	attrs := []Attribute{
		{m.attributes[attrFirstName].uid, first},
		{m.attributes[attrLastName].uid, lastNames[pick(r>>28, len(lastNames))]},
		{m.attributes[attrSex].uid, sex},
		{m.attributes[attrBirthDate].uid, birth.Format(dateLayout)},
		// Unique by construction: the index is part of the number.
		{m.attributes[attrRegNumber].uid, fmt.Sprintf("TB-%d-%06d", enrolled.Year(), i+1)},
		{m.attributes[attrPhone].uid, fmt.Sprintf("+232 7%d %03d %03d", (r>>36)%10, (r>>40)%1000, (r>>50)%1000)},
		{m.attributes[attrVillage].uid, village(r >> 5)},
	}

	n := m.trackerEvents(i)
	completed := n == 3
	offsets := []int{0, min(30+int(h>>40)%31, daysBack), min(180+int(h>>48)%31, daysBack)}
	stagesOf := []int{stageTBDiagnosis, stageTBFollowUp, stageTBOutcome}
	events := make([]Event, 0, n)
	weight := 40 + int(r>>44)%35
	if age < 15 {
		weight = 8 + 2*age
	}
	for k := 0; k < n; k++ {
		occurred := enrolled.Add(time.Duration(offsets[k]) * day)
		eh := hash3(g.key, uint64(kindTrackerEvent), uint64(i*3+k))
		created, updated := g.eventTimes(occurred, eh)
		st := m.stages[stagesOf[k]]
		status := "COMPLETED"
		if k == n-1 && !completed {
			status = "ACTIVE"
		}
		events = append(events, Event{
			Event:                g.uid(kindTrackerEvent, i*3+k),
			Program:              p.uid,
			ProgramStage:         st.uid,
			Enrollment:           enUID,
			TrackedEntity:        teUID,
			OrgUnit:              ou,
			Status:               status,
			OccurredAt:           formatTime(occurred),
			CreatedAt:            created,
			UpdatedAt:            updated,
			AttributeOptionCombo: DefaultCategoryOptionCombo,
			DataValues:           g.tbValues(stagesOf[k], occurred, weight, eh),
		})
	}
	status := "ACTIVE"
	if completed {
		status = "COMPLETED"
	}
	created := formatTime(enrolled.Add(9*time.Hour + time.Duration(h%28800)*time.Second))
	updated := events[len(events)-1].UpdatedAt
	if updated < created {
		updated = created
	}
	return TrackedEntity{
		TrackedEntity:     teUID,
		TrackedEntityType: m.personType.uid,
		OrgUnit:           ou,
		CreatedAt:         created,
		UpdatedAt:         updated,
		Attributes:        attrs,
		Enrollments: []Enrollment{{
			Enrollment:    enUID,
			Program:       p.uid,
			TrackedEntity: teUID,
			OrgUnit:       ou,
			Status:        status,
			EnrolledAt:    formatTime(enrolled),
			OccurredAt:    formatTime(enrolled.Add(-time.Duration((h>>30)%15) * day)),
			CreatedAt:     created,
			UpdatedAt:     updated,
			Events:        events,
		}},
	}
}

// tbValues fills the data elements of a TB stage.
func (g *Generator) tbValues(stageIndex int, occurred time.Time, weight int, h uint64) []EventDataValue {
	m := g.m
	de := func(te int) string { return m.dataElements[m.trackerElement(te)].uid }
	var out []EventDataValue
	add := func(te int, v string) { out = append(out, EventDataValue{DataElement: de(te), Value: v}) }
	switch stageIndex {
	case stageTBDiagnosis:
		add(teTBStartDate, occurred.Format(dateLayout))
		add(teTBType, []string{"PULMONARY", "PULMONARY", "PULMONARY", "PULMONARY", "EXTRAPULMONARY"}[h%5])
		add(teTBDiagnosis, []string{"SMEAR", "GENEXPERT", "GENEXPERT", "XRAY", "CLINICAL"}[(h>>4)%5])
		add(teTBHIV, []string{"NEGATIVE", "NEGATIVE", "NEGATIVE", "POSITIVE", "UNKNOWN"}[(h>>8)%5])
		add(teTBWeight, fmt.Sprintf("%d.%d", weight, (h>>12)%10))
	case stageTBFollowUp:
		add(teTBWeight, fmt.Sprintf("%d.%d", weight+int(h>>16)%4, (h>>12)%10))
		add(teTBSmear, []string{"NEGATIVE", "NEGATIVE", "NEGATIVE", "POSITIVE", "NOT_DONE"}[(h>>20)%5])
		add(teTBDosesMissed, []string{"0", "0", "0", "1", "2", "3", "5"}[(h>>24)%7])
	case stageTBOutcome:
		add(teTBOutcome, []string{"CURED", "CURED", "TREATMENT_COMPLETED", "TREATMENT_COMPLETED", "TREATMENT_FAILED", "DIED", "LOST_TO_FOLLOW_UP"}[(h>>28)%7])
		add(teTBOutcomeDate, occurred.Format(dateLayout))
	}
	return out
}

// village returns a village name (not unique: many patients share a village).
func village(h uint64) string {
	var b strings.Builder
	for p := 0; p < 2; p++ {
		b.WriteString(placeSyllables[pick(h>>(8*p), len(placeSyllables))])
	}
	return capitalize(b.String()) + " village"
}

// Relationships streams the household-contact relationships: disjoint pairs of tracked entities, so no pair is
// linked twice.
func (g *Generator) Relationships() iter.Seq[Relationship] {
	return func(yield func(Relationship) bool) {
		m := g.m
		pairs := uint64(g.scale.TrackedEntities / 2)
		order := newPerm(pairs, hash2(g.key, uint64(kindRelationship)))
		for j := 0; j < m.relationshipCount; j++ {
			p := int(order.at(uint64(j)))
			rel := Relationship{
				Relationship:     g.uid(kindRelationship, j),
				RelationshipType: m.relationshipType.uid,
				From:             trackedEntityItem(g.uid(kindTrackedEntity, 2*p)),
				To:               trackedEntityItem(g.uid(kindTrackedEntity, 2*p+1)),
			}
			if !yield(rel) {
				return
			}
		}
	}
}
