package demodata

import (
	"slices"
	"testing"
	"time"
)

// dataContext indexes what the data streams must agree with.
type dataContext struct {
	elements     map[string]map[string]any
	codes        map[string]map[string]bool // option set id → codes
	combos       map[string]map[string]bool // category combo id → option combo ids
	dataSetOUs   map[string]map[string]bool // data element id → org units of its data set
	programOUs   map[string]map[string]bool
	stageProgram map[string]string
	stageDEs     map[string]map[string]bool
	orgUnits     map[string]bool
}

func newDataContext(t *testing.T, md map[string][]map[string]any) dataContext {
	t.Helper()
	c := dataContext{
		elements: map[string]map[string]any{}, codes: map[string]map[string]bool{}, combos: map[string]map[string]bool{},
		dataSetOUs: map[string]map[string]bool{}, programOUs: map[string]map[string]bool{}, stageProgram: map[string]string{},
		stageDEs: map[string]map[string]bool{}, orgUnits: map[string]bool{},
	}
	for _, de := range md["dataElements"] {
		c.elements[de["id"].(string)] = de
	}
	for _, o := range md["options"] {
		set := refID(t, o["optionSet"])
		if c.codes[set] == nil {
			c.codes[set] = map[string]bool{}
		}
		c.codes[set][o["code"].(string)] = true
	}
	c.combos[DefaultCategoryCombo] = map[string]bool{DefaultCategoryOptionCombo: true}
	for _, coc := range md["categoryOptionCombos"] {
		cc := refID(t, coc["categoryCombo"])
		if c.combos[cc] == nil {
			c.combos[cc] = map[string]bool{}
		}
		c.combos[cc][coc["id"].(string)] = true
	}
	set := func(items any) map[string]bool {
		out := map[string]bool{}
		for _, it := range items.([]any) {
			out[refID(t, it)] = true
		}
		return out
	}
	for _, ds := range md["dataSets"] {
		ous := set(ds["organisationUnits"])
		for _, dse := range ds["dataSetElements"].([]any) {
			c.dataSetOUs[refID(t, dse.(map[string]any)["dataElement"])] = ous
		}
	}
	for _, p := range md["programs"] {
		c.programOUs[p["id"].(string)] = set(p["organisationUnits"])
	}
	for _, s := range md["programStages"] {
		id := s["id"].(string)
		c.stageProgram[id] = refID(t, s["program"])
		c.stageDEs[id] = map[string]bool{}
		for _, psde := range s["programStageDataElements"].([]any) {
			c.stageDEs[id][refID(t, psde.(map[string]any)["dataElement"])] = true
		}
	}
	for _, ou := range md["organisationUnits"] {
		c.orgUnits[ou["id"].(string)] = true
	}
	return c
}

func (c dataContext) valueOK(t *testing.T, deID, value string) bool {
	de := c.elements[deID]
	var codes map[string]bool
	if os, ok := de["optionSet"]; ok {
		codes = c.codes[refID(t, os)]
	}
	return validValue(de["valueType"].(string), value, codes)
}

func TestDataValuesIntegrity(t *testing.T) {
	for _, s := range []Scale{Small, {Name: "custom", OrgUnits: 30, DataElements: 60, DataValues: 50_000, Events: 10, TrackedEntities: 10}} {
		t.Run(s.Name, func(t *testing.T) {
			g := New(17, s)
			c := newDataContext(t, g.Metadata())
			periods := map[string]bool{}
			for _, p := range g.Periods() {
				periods[p] = true
			}
			type key struct{ de, pe, ou, coc string }
			seen := map[key]bool{}
			for dv := range g.DataValues() {
				de, ok := c.elements[dv.DataElement]
				if !ok || de["domainType"] != "AGGREGATE" {
					t.Fatalf("%+v: not an aggregate data element", dv)
				}
				if !c.dataSetOUs[dv.DataElement][dv.OrgUnit] {
					t.Fatalf("%+v: org unit not assigned to the element's data set", dv)
				}
				if !c.combos[refID(t, de["categoryCombo"])][dv.CategoryOptionCombo] {
					t.Fatalf("%+v: option combo not in the element's category combo", dv)
				}
				if dv.AttributeOptionCombo != DefaultCategoryOptionCombo || !periods[dv.Period] {
					t.Fatalf("%+v: bad attribute option combo or period", dv)
				}
				if !c.valueOK(t, dv.DataElement, dv.Value) {
					t.Fatalf("%+v: value does not fit %s", dv, de["valueType"])
				}
				created, updated := parseTime(t, dv.Created), parseTime(t, dv.LastUpdated)
				if updated.Before(created) || updated.After(g.BaseTime()) {
					t.Fatalf("%+v: timestamps out of order or after the base time", dv)
				}
				k := key{dv.DataElement, dv.Period, dv.OrgUnit, dv.CategoryOptionCombo}
				if seen[k] {
					t.Fatalf("%+v: duplicate data value", dv)
				}
				seen[k] = true
			}
			if len(seen) != s.DataValues {
				t.Errorf("%d distinct values, want %d", len(seen), s.DataValues)
			}
		})
	}
}

func TestEventsIntegrity(t *testing.T) {
	g := New(23, Small)
	c := newDataContext(t, g.Metadata())
	oldest := g.BaseTime().AddDate(-1, 0, 0)
	checkEvent := func(ev Event) {
		t.Helper()
		program, ok := c.stageProgram[ev.ProgramStage]
		if !ok || program != ev.Program {
			t.Fatalf("event %s: stage %s is not a stage of program %s", ev.Event, ev.ProgramStage, ev.Program)
		}
		if !c.programOUs[ev.Program][ev.OrgUnit] {
			t.Fatalf("event %s: org unit %s not assigned to the program", ev.Event, ev.OrgUnit)
		}
		occurred := parseTime(t, ev.OccurredAt)
		if occurred.Before(oldest) || occurred.After(g.BaseTime()) {
			t.Fatalf("event %s occurred %s, outside the last year", ev.Event, ev.OccurredAt)
		}
		if parseTime(t, ev.UpdatedAt).Before(parseTime(t, ev.CreatedAt)) || ev.AttributeOptionCombo != DefaultCategoryOptionCombo {
			t.Fatalf("event %s: bad timestamps or attribute option combo", ev.Event)
		}
		if ev.Status != "ACTIVE" && ev.Status != "COMPLETED" {
			t.Fatalf("event %s: status %s", ev.Event, ev.Status)
		}
		seen := map[string]bool{}
		for _, v := range ev.DataValues {
			if !c.stageDEs[ev.ProgramStage][v.DataElement] || seen[v.DataElement] {
				t.Fatalf("event %s: data element %s not in the stage, or repeated", ev.Event, v.DataElement)
			}
			seen[v.DataElement] = true
			if !c.valueOK(t, v.DataElement, v.Value) {
				t.Fatalf("event %s: value %q does not fit element %s", ev.Event, v.Value, v.DataElement)
			}
		}
	}
	for ev := range g.Events() {
		if ev.Enrollment != "" || ev.TrackedEntity != "" || ev.Program != g.m.eventProgram.uid {
			t.Fatalf("event %s: not an event-programme event", ev.Event)
		}
		checkEvent(ev)
	}

	md := g.Metadata()
	tracker := md["programs"][1]
	attributes := map[string]map[string]any{}
	for _, a := range md["trackedEntityAttributes"] {
		attributes[a["id"].(string)] = a
	}
	programAttrs := map[string]bool{}
	for _, pta := range tracker["programTrackedEntityAttributes"].([]any) {
		programAttrs[refID(t, pta.(map[string]any)["trackedEntityAttribute"])] = true
	}
	uniqueValues := map[string]bool{}
	entities := map[string]bool{}
	for te := range g.TrackedEntities() {
		entities[te.TrackedEntity] = true
		if te.TrackedEntityType != refID(t, tracker["trackedEntityType"]) || !c.programOUs[tracker["id"].(string)][te.OrgUnit] {
			t.Fatalf("tracked entity %s: wrong type or org unit", te.TrackedEntity)
		}
		for _, a := range te.Attributes {
			meta, ok := attributes[a.Attribute]
			if !ok || !programAttrs[a.Attribute] {
				t.Fatalf("tracked entity %s: attribute %s is not a programme attribute", te.TrackedEntity, a.Attribute)
			}
			var codes map[string]bool
			if os, ok := meta["optionSet"]; ok {
				codes = c.codes[refID(t, os)]
			}
			if !validValue(meta["valueType"].(string), a.Value, codes) {
				t.Fatalf("tracked entity %s: %q does not fit attribute %s", te.TrackedEntity, a.Value, meta["name"])
			}
			if meta["unique"] == true {
				if uniqueValues[a.Value] {
					t.Fatalf("unique attribute value %q repeated", a.Value)
				}
				uniqueValues[a.Value] = true
			}
		}
		if len(te.Enrollments) != 1 {
			t.Fatalf("tracked entity %s has %d enrollments", te.TrackedEntity, len(te.Enrollments))
		}
		en := te.Enrollments[0]
		if en.Program != tracker["id"] || en.TrackedEntity != te.TrackedEntity || en.OrgUnit != te.OrgUnit {
			t.Fatalf("enrollment %s does not match its tracked entity", en.Enrollment)
		}
		if en.Status != "ACTIVE" && en.Status != "COMPLETED" {
			t.Fatalf("enrollment %s: status %s", en.Enrollment, en.Status)
		}
		var stages []string
		for _, ev := range en.Events {
			if ev.Enrollment != en.Enrollment || ev.TrackedEntity != te.TrackedEntity || ev.OrgUnit != en.OrgUnit {
				t.Fatalf("event %s does not match its enrollment", ev.Event)
			}
			checkEvent(ev)
			stages = append(stages, ev.ProgramStage)
		}
		if slices.Index(stages, g.m.stages[stageTBDiagnosis].uid) != 0 {
			t.Fatalf("enrollment %s does not start with a diagnosis", en.Enrollment)
		}
	}

	pairs := map[[2]string]bool{}
	relType := md["relationshipTypes"][0]["id"]
	for r := range g.Relationships() {
		from, to := r.From.TrackedEntity.TrackedEntity, r.To.TrackedEntity.TrackedEntity
		if r.RelationshipType != relType || !entities[from] || !entities[to] || from == to {
			t.Fatalf("relationship %s: bad type or ends %s → %s", r.Relationship, from, to)
		}
		p := [2]string{min(from, to), max(from, to)}
		if pairs[p] {
			t.Fatalf("relationship %s repeats a pair", r.Relationship)
		}
		pairs[p] = true
	}
	if len(pairs) == 0 {
		t.Error("no relationships")
	}
}

func TestMetadataTimestamps(t *testing.T) {
	g := New(2, Small)
	for typ, objs := range g.Metadata() {
		for _, o := range objs {
			c, u := parseTime(t, o["created"].(string)), parseTime(t, o["lastUpdated"].(string))
			if u.Before(c) || u.After(g.BaseTime()) || c.Before(g.BaseTime().Add(-4*365*24*time.Hour)) {
				t.Errorf("%s %s: created %s, lastUpdated %s", typ, o["id"], o["created"], o["lastUpdated"])
			}
		}
	}
}
