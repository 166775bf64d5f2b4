package demodata

import (
	"fmt"
	"strings"
)

// Category model: Sex, Age and Location categories; combos "Sex", "Age and sex" and "Location Fixed/Outreach".
const (
	comboSex = iota
	comboAgeSex
	comboLocation
)

func (g *Generator) buildCategories(m *model) {
	opts := []struct{ name, code string }{
		{"Male", "MALE"}, {"Female", "FEMALE"}, {"<5", "AGE_LT5"}, {"5-14", "AGE_5_14"}, {"15+", "AGE_GE15"},
		{"Fixed", "FIXED"}, {"Outreach", "OUTREACH"},
	}
	for i, o := range opts {
		m.catOptions = append(m.catOptions, named{uid: g.uid(kindCategoryOption, i), code: o.code, name: o.name, shortName: o.name})
	}
	cats := []struct {
		name, code string
		options    []int
	}{
		{"Sex", "SEX", []int{0, 1}}, {"Age", "AGE", []int{2, 3, 4}}, {"Location Fixed/Outreach", "LOCATION", []int{5, 6}},
	}
	for i, c := range cats {
		m.categories = append(m.categories, category{
			named:   named{uid: g.uid(kindCategory, i), code: c.code, name: c.name, shortName: c.name},
			options: c.options,
		})
	}
	combos := []struct {
		name, code string
		cats       []int
	}{
		{"Sex", "SEX", []int{0}}, {"Age and sex", "AGE_SEX", []int{0, 1}}, {"Location Fixed/Outreach", "LOCATION", []int{2}},
	}
	for i, c := range combos {
		cc := catCombo{named: named{uid: g.uid(kindCategoryCombo, i), code: c.code, name: c.name}, categories: c.cats}
		// The cartesian product of the categories' options, first category varying slowest, named
		// "Male, <5" as DHIS2 names generated option combos.
		combosOf := [][]int{nil}
		for _, cat := range c.cats {
			var next [][]int
			for _, prefix := range combosOf {
				for _, o := range m.categories[cat].options {
					next = append(next, append(append([]int(nil), prefix...), o))
				}
			}
			combosOf = next
		}
		for j, options := range combosOf {
			names := make([]string, len(options))
			for k, o := range options {
				names[k] = m.catOptions[o].name
			}
			cc.cocs = append(cc.cocs, coc{uid: g.uid(kindCategoryOptionCombo, i*64+j), name: strings.Join(names, ", "), options: options})
		}
		m.combos = append(m.combos, cc)
	}
}

// Option sets, by index.
const (
	osSex = iota
	osMalariaTestType
	osMalariaTestResult
	osSpecies
	osTBType
	osTBDiagnosis
	osHIVStatus
	osSmear
	osTBOutcome
	osStockStatus
)

func (g *Generator) buildOptionSets(m *model) {
	sets := []struct {
		name, code string
		options    [][2]string // code, name
	}{
		{"Sex", "SEX", [][2]string{{"MALE", "Male"}, {"FEMALE", "Female"}}},
		{"Malaria test type", "MAL_TEST_TYPE", [][2]string{{"RDT", "Rapid diagnostic test"}, {"MICROSCOPY", "Microscopy"}}},
		{"Malaria test result", "MAL_TEST_RESULT", [][2]string{{"POSITIVE", "Positive"}, {"NEGATIVE", "Negative"}}},
		{"Plasmodium species", "MAL_SPECIES", [][2]string{{"FALCIPARUM", "P. falciparum"}, {"VIVAX", "P. vivax"}, {"MALARIAE", "P. malariae"}, {"MIXED", "Mixed infection"}}},
		{"TB type", "TB_TYPE", [][2]string{{"PULMONARY", "Pulmonary"}, {"EXTRAPULMONARY", "Extrapulmonary"}}},
		{"TB diagnosis method", "TB_DIAGNOSIS", [][2]string{{"SMEAR", "Sputum smear"}, {"GENEXPERT", "GeneXpert"}, {"XRAY", "Chest X-ray"}, {"CLINICAL", "Clinical"}}},
		{"HIV status", "HIV_STATUS", [][2]string{{"POSITIVE", "Positive"}, {"NEGATIVE", "Negative"}, {"UNKNOWN", "Unknown"}}},
		{"Sputum smear result", "TB_SMEAR", [][2]string{{"POSITIVE", "Positive"}, {"NEGATIVE", "Negative"}, {"NOT_DONE", "Not done"}}},
		{"TB treatment outcome", "TB_OUTCOME", [][2]string{{"CURED", "Cured"}, {"TREATMENT_COMPLETED", "Treatment completed"}, {"TREATMENT_FAILED", "Treatment failed"}, {"DIED", "Died"}, {"LOST_TO_FOLLOW_UP", "Lost to follow-up"}}},
		{"Stock status", "STOCK_STATUS", [][2]string{{"ADEQUATE", "Adequate"}, {"LOW", "Low"}, {"STOCKED_OUT", "Stocked out"}}},
	}
	optionIndex := 0
	for i, s := range sets {
		os := optionSet{named: named{uid: g.uid(kindOptionSet, i), code: s.code, name: s.name}, valueType: vtText}
		for _, o := range s.options {
			os.options = append(os.options, named{uid: g.uid(kindOption, optionIndex), code: o[0], name: o[1]})
			optionIndex++
		}
		m.optionSets = append(m.optionSets, os)
	}
}

// trackerElements are the tracker-domain data elements of the two programs, in a fixed order that the program
// stages and the event streams refer to by index (teXxx constants).
var trackerElements = []struct {
	name, code, valueType string
	optionSet             int
}{
	{"MAL-CR Age in years", "MAL_CR_AGE", vtIntZeroPos, -1},
	{"MAL-CR Sex", "MAL_CR_SEX", vtText, osSex},
	{"MAL-CR Test type", "MAL_CR_TEST_TYPE", vtText, osMalariaTestType},
	{"MAL-CR Test result", "MAL_CR_TEST_RESULT", vtText, osMalariaTestResult},
	{"MAL-CR Plasmodium species", "MAL_CR_SPECIES", vtText, osSpecies},
	{"MAL-CR Treated with ACT", "MAL_CR_ACT", vtBoolean, -1},
	{"MAL-CR Pregnant", "MAL_CR_PREGNANT", vtTrueOnly, -1},
	{"MAL-CR Weight (kg)", "MAL_CR_WEIGHT", vtNumber, -1},
	{"MAL-CR Date of onset", "MAL_CR_ONSET", vtDate, -1},
	{"TB Type of TB", "TB_TYPE", vtText, osTBType},
	{"TB Diagnosis method", "TB_DIAGNOSIS", vtText, osTBDiagnosis},
	{"TB HIV status", "TB_HIV_STATUS", vtText, osHIVStatus},
	{"TB Weight (kg)", "TB_WEIGHT", vtNumber, -1},
	{"TB Sputum smear result", "TB_SMEAR", vtText, osSmear},
	{"TB Doses missed", "TB_DOSES_MISSED", vtIntZeroPos, -1},
	{"TB Treatment outcome", "TB_OUTCOME", vtText, osTBOutcome},
	{"TB Outcome date", "TB_OUTCOME_DATE", vtDate, -1},
	{"TB Treatment start date", "TB_START_DATE", vtDate, -1},
}

const (
	teMalAge = iota
	teMalSex
	teMalTestType
	teMalResult
	teMalSpecies
	teMalACT
	teMalPregnant
	teMalWeight
	teMalOnset
	teTBType
	teTBDiagnosis
	teTBHIV
	teTBWeight
	teTBSmear
	teTBDosesMissed
	teTBOutcome
	teTBOutcomeDate
	teTBStartDate
)

// buildDataElements makes the aggregate elements (the scale's DataElements minus the tracker ones), spread
// round-robin over the health areas, then the tracker elements.
func (g *Generator) buildDataElements(m *model) {
	aggregate := max(0, g.scale.DataElements-len(trackerElements))
	m.areaElements = make([][]int, len(healthAreas))
	for k := 0; k < aggregate; k++ {
		a := k % len(healthAreas)
		area := healthAreas[a]
		j := k / len(healthAreas)
		measure := area.measures[j%len(area.measures)]
		q := (j / len(area.measures)) % len(qualifiers)
		round := j / (len(area.measures) * len(qualifiers))
		name := area.code + " - " + measure
		if qualifiers[q] != "" {
			name += " - " + qualifiers[q]
		}
		if round > 0 {
			name += fmt.Sprintf(" (%d)", round+1)
		}
		de := dataElement{area: a, combo: -1, optionSet: -1, aggType: "SUM"}
		de.uid = g.uid(kindDataElement, k)
		de.code = fmt.Sprintf("%s_%04d", area.code, j+1)
		de.name = name
		de.shortName = shorten(name, de.code)
		h := hash3(g.key, uint64(kindDataElement), uint64(k))
		r := h % 100
		switch {
		case area.code == "MED" && r < 25:
			de.valueType, de.optionSet, de.aggType = vtText, osStockStatus, "NONE"
		case area.code == "MED":
			de.valueType, de.zeroSig = vtIntZeroPos, true
		case r < 55:
			de.valueType = vtIntZeroPos
		case r < 80:
			de.valueType = vtNumber
		case r < 88:
			de.valueType = vtIntPos
		case r < 94:
			de.valueType = vtInt
		default:
			de.valueType, de.aggType = vtPercentage, "AVERAGE"
		}
		if de.valueType != vtText && de.valueType != vtPercentage && area.code != "MED" {
			switch c := (h >> 32) % 100; {
			case c < 35:
			case c < 65:
				de.combo = comboAgeSex
			case c < 85:
				de.combo = comboSex
			default:
				de.combo = comboLocation
			}
		}
		m.areaElements[a] = append(m.areaElements[a], len(m.dataElements))
		m.dataElements = append(m.dataElements, de)
	}
	for i, te := range trackerElements {
		k := aggregate + i
		de := dataElement{tracker: true, combo: -1, optionSet: te.optionSet, valueType: te.valueType, area: -1, aggType: "NONE"}
		switch te.valueType {
		case vtNumber, vtIntZeroPos:
			de.aggType = "AVERAGE"
		case vtBoolean, vtTrueOnly:
			de.aggType = "COUNT"
		}
		de.uid = g.uid(kindDataElement, k)
		de.code, de.name = te.code, te.name
		de.shortName = shorten(te.name, te.code)
		m.dataElements = append(m.dataElements, de)
	}
}

// trackerElement returns the model index of tracker element te.
func (m *model) trackerElement(te int) int { return len(m.dataElements) - len(trackerElements) + te }

// buildDataSets makes one monthly data set per health area that has elements, with sections of one
// qualifier each and the facilities of the area's facility types.
func (g *Generator) buildDataSets(m *model) {
	sectionIndex := 0
	for a, area := range healthAreas {
		elements := m.areaElements[a]
		if len(elements) == 0 {
			continue
		}
		i := len(m.dataSets)
		ds := dataSet{area: a, elements: elements}
		ds.uid = g.uid(kindDataSet, i)
		ds.code = "DS_" + area.code
		ds.name = area.name + " monthly report"
		ds.shortName = area.name
		drop := uint64(5)
		if area.facilityTypes != nil {
			drop = 0
		}
		ds.ous = g.facilitiesOfTypes(m, area.facilityTypes, uint64(kindDataSet)<<32|uint64(i), drop)
		per := len(area.measures)
		for start := 0; start < len(elements); start += per {
			block := start / per
			q := qualifiers[block%len(qualifiers)]
			name := area.code + " - all cases"
			if q != "" {
				name = area.code + " - " + q
			}
			if round := block / len(qualifiers); round > 0 {
				name += fmt.Sprintf(" (%d)", round+1)
			}
			s := section{named: named{uid: g.uid(kindSection, sectionIndex), code: fmt.Sprintf("%s_S%02d", ds.code, block+1), name: name}}
			s.elements = elements[start:min(start+per, len(elements))]
			ds.sections = append(ds.sections, s)
			sectionIndex++
		}
		m.dataSets = append(m.dataSets, ds)
	}
}

// buildIndicators pairs consecutive elements of an area: one indicator per ten elements, the first of a pair as
// numerator (a single option combo of it for every other disaggregated one), the second as denominator.
func (g *Generator) buildIndicators(m *model) {
	for a, area := range healthAreas {
		elements := m.areaElements[a]
		count := len(elements) / 10
		if count == 0 && len(elements) >= 2 {
			count = 1
		}
		for k := 0; k < count; k++ {
			num, den := m.dataElements[elements[2*k]], m.dataElements[elements[2*k+1]]
			i := len(m.indicators)
			ind := indicator{area: a, indicatorType: 0}
			ind.uid = g.uid(kindIndicator, i)
			ind.code = fmt.Sprintf("IN_%s_%03d", area.code, k+1)
			ind.numerator, ind.numDesc = "#{"+num.uid+"}", num.name
			if num.combo >= 0 && k%2 == 1 {
				c := m.combos[num.combo].cocs[0]
				ind.numerator, ind.numDesc = "#{"+num.uid+"."+c.uid+"}", num.name+" ("+c.name+")"
			}
			ind.denominator, ind.denDesc = "#{"+den.uid+"}", den.name
			ind.name = ind.numDesc + " per " + den.name
			if k%5 == 4 {
				ind.indicatorType, ind.denominator, ind.denDesc = 2, "1", "One"
				ind.name = ind.numDesc + " (number)"
			}
			ind.shortName = shorten(ind.name, ind.code)
			m.indicators = append(m.indicators, ind)
		}
	}
}
