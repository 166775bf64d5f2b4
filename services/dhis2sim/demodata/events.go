package demodata

import (
	"iter"
	"strconv"
	"time"
)

// Event is an event in the JSON shape of the 2.41 tracker API (/api/tracker/events, docs.dhis2.org 2.38 new-tracker.md; release notes 2.41). Events of
// the event programme have no enrollment and no tracked entity.
type Event struct {
	Event                string           `json:"event"`
	Program              string           `json:"program"`
	ProgramStage         string           `json:"programStage"`
	Enrollment           string           `json:"enrollment,omitempty"`
	TrackedEntity        string           `json:"trackedEntity,omitempty"`
	OrgUnit              string           `json:"orgUnit"`
	Status               string           `json:"status"` // ACTIVE or COMPLETED
	OccurredAt           string           `json:"occurredAt"`
	CreatedAt            string           `json:"createdAt"`
	UpdatedAt            string           `json:"updatedAt"`
	AttributeOptionCombo string           `json:"attributeOptionCombo"`
	DataValues           []EventDataValue `json:"dataValues"`
}

// EventDataValue is one data value of an event.
type EventDataValue struct {
	DataElement string `json:"dataElement"`
	Value       string `json:"value"`
}

const day = 24 * time.Hour

// eventTimes returns the createdAt and updatedAt of an event that occurred on day occurred: entered within a
// few days, sometimes updated later, never after the base date.
func (g *Generator) eventTimes(occurred time.Time, h uint64) (created, updated string) {
	c := occurred.Add(time.Duration(h%(3*86400))*time.Second + 8*time.Hour + time.Duration(h>>50)*time.Millisecond)
	if c.After(g.base) {
		c = g.base.Add(-time.Duration(1+h%3600) * time.Second)
	}
	u := c
	if (h>>22)%5 == 0 {
		u = c.Add(time.Duration((h>>26)%(10*86400)) * time.Second)
		if u.After(g.base) {
			u = c
		}
	}
	return formatTime(c), formatTime(u)
}

// Events streams the events of the event programme (Malaria case register): one case per event, at a
// facility assigned to the programme, in the year before the base date, with values consistent with each
// other (species only for positive tests, pregnancy only for women of child-bearing age).
func (g *Generator) Events() iter.Seq[Event] {
	return func(yield func(Event) bool) {
		m := g.m
		p := m.eventProgram
		st := m.stages[stageMalariaCase]
		de := func(te int) string { return m.dataElements[m.trackerElement(te)].uid }
		for i := 0; i < g.scale.Events; i++ {
			h := hash3(g.key, uint64(kindEvent), uint64(i))
			occurred := g.base.Add(-time.Duration((h>>8)%365) * day)
			created, updated := g.eventTimes(occurred, h>>16)
			status := "COMPLETED"
			if (h>>40)%10 == 0 {
				status = "ACTIVE"
			}
			r := mix64(h)
			age := ageYears(r)
			female := (r>>12)%2 == 0
			sex := "MALE"
			if female {
				sex = "FEMALE"
			}
			values := make([]EventDataValue, 0, len(st.elements))
			add := func(te int, v string) { values = append(values, EventDataValue{DataElement: de(te), Value: v}) }
			add(teMalOnset, occurred.Add(-time.Duration(1+(r>>16)%7)*day).Format(dateLayout))
			add(teMalAge, strconv.Itoa(age))
			add(teMalSex, sex)
			if female && age >= 15 && age < 50 && (r>>20)%8 == 0 {
				add(teMalPregnant, "true")
			}
			add(teMalWeight, weightKg(age, r>>24))
			testType := "RDT"
			if (r>>34)%5 == 0 {
				testType = "MICROSCOPY"
			}
			add(teMalTestType, testType)
			positive := (r>>37)%100 < 45
			if positive {
				add(teMalResult, "POSITIVE")
				species := "FALCIPARUM"
				switch (r >> 44) % 100 {
				case 90, 91, 92, 93, 94:
					species = "VIVAX"
				case 95, 96:
					species = "MALARIAE"
				case 97, 98, 99:
					species = "MIXED"
				}
				add(teMalSpecies, species)
				add(teMalACT, strconv.FormatBool((r>>52)%20 != 0))
			} else {
				add(teMalResult, "NEGATIVE")
				add(teMalACT, "false")
			}
			ev := Event{
				Event:                g.uid(kindEvent, i),
				Program:              p.uid,
				ProgramStage:         st.uid,
				OrgUnit:              m.orgUnits[p.ous[pick(h, len(p.ous))]].uid,
				Status:               status,
				OccurredAt:           formatTime(occurred),
				CreatedAt:            created,
				UpdatedAt:            updated,
				AttributeOptionCombo: DefaultCategoryOptionCombo,
				DataValues:           values,
			}
			if !yield(ev) {
				return
			}
		}
	}
}

// ageYears draws an age for a malaria case: under-fives are a third of cases.
func ageYears(h uint64) int {
	switch r := h % 100; {
	case r < 30:
		return int(h>>8) % 5
	case r < 50:
		return 5 + int(h>>8)%10
	default:
		return 15 + int(h>>8)%55
	}
}

// weightKg returns a plausible weight for an age, with one decimal.
func weightKg(age int, h uint64) string {
	var lo, span float64
	switch {
	case age < 1:
		lo, span = 3, 7
	case age < 5:
		lo, span = 8, 10
	case age < 15:
		lo, span = 15, 35
	default:
		lo, span = 42, 45
	}
	w := lo + span*float64(h%1000)/1000
	return strconv.FormatFloat(float64(int(w*10))/10, 'f', 1, 64)
}
