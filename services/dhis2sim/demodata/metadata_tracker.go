package demodata

// Program rule variables, rules and actions: index, program, name, source, data element or attribute.
var ruleVariables = []struct {
	name, source string
	program      int
	element      int // tracker element index, or -1
	attribute    int // attribute index, or -1
}{
	{"mal_result", "DATAELEMENT_CURRENT_EVENT", 0, teMalResult, -1},
	{"mal_sex", "DATAELEMENT_CURRENT_EVENT", 0, teMalSex, -1},
	{"tb_weight", "DATAELEMENT_CURRENT_EVENT", 1, teTBWeight, -1},
	{"tb_sex", "TEI_ATTRIBUTE", 1, -1, attrSex},
}

var programRules = []struct {
	name, condition, description string
	program                      int
	action, content              string
	element                      int
}{
	{"Species required for a positive test", "#{mal_result} == 'POSITIVE'", "Makes the species mandatory when the test is positive",
		0, "SETMANDATORYFIELD", "", teMalSpecies},
	{"Hide pregnancy for male patients", "#{mal_sex} == 'MALE'", "A male patient cannot be pregnant",
		0, "HIDEFIELD", "", teMalPregnant},
	{"Low weight warning", "d2:hasValue('tb_weight') && #{tb_weight} < 30", "Warns when an adult patient's weight is low",
		1, "SHOWWARNING", "Weight below 30 kg: check the dosage", teTBWeight},
}

func (g *Generator) trackerMetadata(out map[string][]map[string]any) {
	m := g.m
	for i, a := range m.attributes {
		o := g.shareable(g.identifiable(kindTrackedEntityAttribute, i, a.named), false)
		o["valueType"] = a.valueType
		o["aggregationType"] = "NONE"
		o["unique"] = a.unique
		o["generated"] = false
		o["confidential"] = false
		o["inherit"] = false
		o["orgunitScope"] = false
		if a.optionSet >= 0 {
			o["optionSet"] = ref(m.optionSets[a.optionSet].uid)
		}
		out["trackedEntityAttributes"] = append(out["trackedEntityAttributes"], o)
	}

	tet := g.shareable(g.identifiable(kindTrackedEntityType, 0, m.personType), true)
	tet["featureType"] = "NONE"
	tet["allowAuditLog"] = false
	tet["minAttributesRequiredToSearch"] = 1
	tet["maxTeiCountToReturn"] = 0
	var tetAttrs []any
	for j, a := range personTypeAttributes {
		tetAttrs = append(tetAttrs, object{
			"id": g.uid(kindTrackedEntityTypeAttribute, j), "trackedEntityAttribute": ref(m.attributes[a].uid),
			"trackedEntityType": ref(m.personType.uid), "mandatory": a != attrBirthDate, "searchable": a != attrSex,
			"displayInList": true,
		})
	}
	tet["trackedEntityTypeAttributes"] = tetAttrs
	out["trackedEntityTypes"] = []map[string]any{tet}

	rt := g.shareable(g.identifiable(kindRelationshipType, 0, m.relationshipType), true)
	constraint := func() object {
		return object{"relationshipEntity": "TRACKED_ENTITY_INSTANCE", "trackedEntityType": ref(m.personType.uid)}
	}
	rt["fromConstraint"], rt["toConstraint"] = constraint(), constraint()
	rt["bidirectional"] = true
	rt["fromToName"], rt["toFromName"] = "Household contact of", "Household contact of"
	rt["referral"] = false
	out["relationshipTypes"] = []map[string]any{rt}

	g.programMetadata(out)
}

func (g *Generator) programMetadata(out map[string][]map[string]any) {
	m := g.m
	ouRef := func(j int) string { return m.orgUnits[j].uid }
	stageRef := func(j int) string { return m.stages[j].uid }
	for i, p := range []program{m.eventProgram, m.trackerProgram} {
		o := g.shareable(g.identifiable(kindProgram, i, p.named), true)
		o["categoryCombo"] = ref(DefaultCategoryCombo)
		o["organisationUnits"] = refs(p.ous, ouRef)
		o["programStages"] = refs(p.stages, stageRef)
		o["accessLevel"] = "OPEN"
		o["featureType"] = "NONE"
		o["version"] = 1
		o["expiryDays"] = 0
		o["completeEventsExpiryDays"] = 0
		o["ignoreOverdueEvents"] = false
		o["skipOffline"] = false
		o["displayFrontPageList"] = false
		o["programType"] = "WITHOUT_REGISTRATION"
		if p.withRegistration {
			o["programType"] = "WITH_REGISTRATION"
			o["trackedEntityType"] = ref(m.personType.uid)
			o["displayIncidentDate"] = true
			o["onlyEnrollOnce"] = true
			o["enrollmentDateLabel"] = "Date of registration"
			o["incidentDateLabel"] = "Date of symptom onset"
			o["minAttributesRequiredToSearch"] = 1
			o["maxTeiCountToReturn"] = 0
			o["selectEnrollmentDatesInFuture"] = false
			o["selectIncidentDatesInFuture"] = false
			o["useFirstStageDuringRegistration"] = true
			var ptas []any
			for j, a := range m.attributes {
				ptas = append(ptas, object{
					"id": g.uid(kindProgramTrackedEntityAttribute, j), "program": ref(p.uid),
					"trackedEntityAttribute": ref(a.uid), "sortOrder": j + 1, "mandatory": j <= attrRegNumber,
					"searchable":    j == attrFirstName || j == attrLastName || j == attrRegNumber,
					"displayInList": j != attrPhone && j != attrVillage, "allowFutureDate": false, "renderOptionsAsRadio": false,
				})
			}
			o["programTrackedEntityAttributes"] = ptas
		}
		out["programs"] = append(out["programs"], o)
	}
	psdeIndex := 0
	for i, s := range m.stages {
		o := g.shareable(g.identifiable(kindProgramStage, i, s.named), true)
		prog := m.eventProgram.uid
		if s.program == 1 {
			prog = m.trackerProgram.uid
		}
		o["program"] = ref(prog)
		o["sortOrder"] = s.sortOrder
		o["repeatable"] = s.repeatable
		o["featureType"] = "NONE"
		o["validationStrategy"] = "ON_COMPLETE"
		o["minDaysFromStart"] = 0
		o["autoGenerateEvent"] = i == stageTBDiagnosis
		o["generatedByEnrollmentDate"] = false
		o["openAfterEnrollment"] = false
		o["blockEntryForm"] = false
		o["hideDueDate"] = false
		o["remindCompleted"] = false
		o["executionDateLabel"] = "Date of visit"
		var psdes []any
		for j, e := range s.elements {
			psdes = append(psdes, object{
				"id": g.uid(kindProgramStageDataElement, psdeIndex), "programStage": ref(s.uid),
				"dataElement": ref(m.dataElements[e].uid), "sortOrder": j + 1, "compulsory": j == 0,
				"allowFutureDate": false, "allowProvidedElsewhere": false, "displayInReports": true,
				"renderOptionsAsRadio": false, "skipSynchronization": false, "skipAnalytics": false,
			})
			psdeIndex++
		}
		o["programStageDataElements"] = psdes
		out["programStages"] = append(out["programStages"], o)
	}
	programUID := func(p int) string {
		if p == 1 {
			return m.trackerProgram.uid
		}
		return m.eventProgram.uid
	}
	for i, v := range ruleVariables {
		o := g.identifiable(kindProgramRuleVariable, i, named{uid: g.uid(kindProgramRuleVariable, i), name: v.name})
		o["program"] = ref(programUID(v.program))
		o["programRuleVariableSourceType"] = v.source
		o["useCodeForOptionSet"] = true
		if v.element >= 0 {
			de := m.dataElements[m.trackerElement(v.element)]
			o["dataElement"], o["valueType"] = ref(de.uid), de.valueType
		} else {
			a := m.attributes[v.attribute]
			o["trackedEntityAttribute"], o["valueType"] = ref(a.uid), a.valueType
		}
		out["programRuleVariables"] = append(out["programRuleVariables"], o)
	}
	for i, r := range programRules {
		ruleUID := g.uid(kindProgramRule, i)
		o := g.identifiable(kindProgramRule, i, named{uid: ruleUID, name: r.name})
		o["program"] = ref(programUID(r.program))
		o["condition"] = r.condition
		o["description"] = r.description
		o["priority"] = i + 1
		actionUID := g.uid(kindProgramRuleAction, i)
		o["programRuleActions"] = []any{ref(actionUID)}
		out["programRules"] = append(out["programRules"], o)

		a := g.identifiable(kindProgramRuleAction, i, named{uid: actionUID})
		a["programRule"] = ref(ruleUID)
		a["programRuleActionType"] = r.action
		a["dataElement"] = ref(m.dataElements[m.trackerElement(r.element)].uid)
		a["evaluationTime"] = "ALWAYS"
		if r.content != "" {
			a["content"] = r.content
		}
		out["programRuleActions"] = append(out["programRuleActions"], a)
	}
}
