package demodata

import "fmt"

// Legend sets, by index.
const (
	legendCoverage = iota
	legendCases
)

var legendSets = []struct {
	name, code string
	legends    []struct {
		name       string
		start, end float64
		color      string
	}
}{
	{"Coverage (%)", "LS_COVERAGE", []struct {
		name       string
		start, end float64
		color      string
	}{{"Low", 0, 50, "#d7191c"}, {"Medium", 50, 80, "#fdae61"}, {"High", 80, 100, "#1a9641"}, {"Above target", 100, 1000, "#2b83ba"}}},
	{"Case counts", "LS_CASES", []struct {
		name       string
		start, end float64
		color      string
	}{{"Few", 0, 10, "#ffffcc"}, {"Some", 10, 50, "#a1dab4"}, {"Many", 50, 100, "#41b6c4"}, {"Very many", 100, 100000, "#225ea8"}}},
}

var indicatorTypes = []struct {
	name   string
	factor int
	number bool
}{{"Per cent", 100, false}, {"Per thousand", 1000, false}, {"Number (factor 1)", 1, true}}

func (g *Generator) comboUID(c int) string {
	if c < 0 {
		return DefaultCategoryCombo
	}
	return g.m.combos[c].uid
}

func (g *Generator) aggregateMetadata(out map[string][]map[string]any) {
	m := g.m
	deRef := func(i int) string { return m.dataElements[i].uid }
	for i, de := range m.dataElements {
		o := g.shareable(g.identifiable(kindDataElement, i, de.named), false)
		o["valueType"] = de.valueType
		o["aggregationType"] = de.aggType
		o["domainType"] = "AGGREGATE"
		if de.tracker {
			o["domainType"] = "TRACKER"
		}
		o["categoryCombo"] = ref(g.comboUID(de.combo))
		o["zeroIsSignificant"] = de.zeroSig
		if de.optionSet >= 0 {
			o["optionSet"] = ref(m.optionSets[de.optionSet].uid)
		}
		if !de.tracker && de.area == 1 && de.valueType == vtIntZeroPos {
			o["legendSets"] = []any{ref(g.uid(kindLegendSet, legendCases))}
		}
		out["dataElements"] = append(out["dataElements"], o)
	}
	for a, area := range healthAreas {
		if len(m.areaElements[a]) == 0 {
			continue
		}
		n := named{uid: g.uid(kindDataElementGroup, a), code: "DEG_" + area.code, name: area.name, shortName: area.name}
		o := g.shareable(g.identifiable(kindDataElementGroup, a, n), false)
		o["dataElements"] = refs(m.areaElements[a], deRef)
		out["dataElementGroups"] = append(out["dataElementGroups"], o)
	}
	for i, ls := range legendSets {
		n := named{uid: g.uid(kindLegendSet, i), code: ls.code, name: ls.name}
		o := g.shareable(g.identifiable(kindLegendSet, i, n), false)
		var legends []any
		for j, l := range ls.legends {
			ln := named{uid: g.uid(kindLegend, i*16+j), name: l.name}
			lo := g.identifiable(kindLegend, i*16+j, ln)
			lo["startValue"], lo["endValue"], lo["color"] = l.start, l.end, l.color
			legends = append(legends, lo)
		}
		o["legends"] = legends
		out["legendSets"] = append(out["legendSets"], o)
	}
	for i, it := range indicatorTypes {
		o := g.identifiable(kindIndicatorType, i, named{uid: g.uid(kindIndicatorType, i), name: it.name})
		o["factor"], o["number"] = it.factor, it.number
		out["indicatorTypes"] = append(out["indicatorTypes"], o)
	}
	byArea := make([][]int, len(healthAreas))
	for i, ind := range m.indicators {
		o := g.shareable(g.identifiable(kindIndicator, i, ind.named), false)
		o["indicatorType"] = ref(g.uid(kindIndicatorType, ind.indicatorType))
		o["numerator"], o["numeratorDescription"] = ind.numerator, ind.numDesc
		o["denominator"], o["denominatorDescription"] = ind.denominator, ind.denDesc
		o["annualized"] = false
		o["decimals"] = 1
		if ind.indicatorType == 0 {
			o["legendSets"] = []any{ref(g.uid(kindLegendSet, legendCoverage))}
		}
		out["indicators"] = append(out["indicators"], o)
		byArea[ind.area] = append(byArea[ind.area], i)
	}
	for a, area := range healthAreas {
		if len(byArea[a]) == 0 {
			continue
		}
		n := named{uid: g.uid(kindIndicatorGroup, a), code: "ING_" + area.code, name: area.name}
		o := g.shareable(g.identifiable(kindIndicatorGroup, a, n), false)
		o["indicators"] = refs(byArea[a], func(i int) string { return m.indicators[i].uid })
		out["indicatorGroups"] = append(out["indicatorGroups"], o)
	}
	g.dataSetMetadata(out)
	g.validationRuleMetadata(out)
}

func (g *Generator) dataSetMetadata(out map[string][]map[string]any) {
	m := g.m
	deRef := func(i int) string { return m.dataElements[i].uid }
	sectionIndex := 0
	for i, ds := range m.dataSets {
		o := g.shareable(g.identifiable(kindDataSet, i, ds.named), true)
		o["periodType"] = "Monthly"
		o["categoryCombo"] = ref(DefaultCategoryCombo)
		elements := make([]any, len(ds.elements))
		for j, e := range ds.elements {
			elements[j] = object{"dataElement": ref(deRef(e)), "dataSet": ref(ds.uid)}
		}
		o["dataSetElements"] = elements
		o["organisationUnits"] = refs(ds.ous, func(j int) string { return m.orgUnits[j].uid })
		o["openFuturePeriods"] = 0
		o["expiryDays"] = 0
		o["timelyDays"] = 15
		o["version"] = 1
		o["validCompleteOnly"] = false
		o["compulsoryFieldsCompleteOnly"] = false
		o["fieldCombinationRequired"] = false
		o["noValueRequiresComment"] = false
		o["skipOffline"] = false
		o["mobile"] = false
		o["renderAsTabs"] = false
		o["renderHorizontally"] = false
		o["dataElementDecoration"] = false
		o["notifyCompletingUser"] = false
		out["dataSets"] = append(out["dataSets"], o)
		for j, s := range ds.sections {
			so := g.identifiable(kindSection, sectionIndex, s.named)
			so["dataSet"] = ref(ds.uid)
			so["sortOrder"] = j + 1
			so["dataElements"] = refs(s.elements, deRef)
			so["showRowTotals"] = false
			so["showColumnTotals"] = false
			out["sections"] = append(out["sections"], so)
			sectionIndex++
		}
	}
}

// validationRuleMetadata writes one rule per twenty elements of an area: the second element of a pair must not
// exceed the first (say, confirmed cases ≤ suspected cases).
func (g *Generator) validationRuleMetadata(out map[string][]map[string]any) {
	m := g.m
	index := 0
	for a, area := range healthAreas {
		elements := m.areaElements[a]
		count := len(elements) / 20
		if count == 0 && len(elements) >= 2 {
			count = 1
		}
		for k := 0; k < count; k++ {
			left, right := m.dataElements[elements[2*k+1]], m.dataElements[elements[2*k]]
			n := named{uid: g.uid(kindValidationRule, index), code: fmt.Sprintf("VR_%s_%03d", area.code, k+1),
				name: left.shortName + " <= " + right.shortName}
			o := g.shareable(g.identifiable(kindValidationRule, index, n), false)
			o["importance"] = "MEDIUM"
			o["operator"] = "less_than_or_equal_to"
			o["periodType"] = "Monthly"
			o["skipFormValidation"] = false
			o["organisationUnitLevels"] = []any{4}
			o["leftSide"] = object{"expression": "#{" + left.uid + "}", "description": left.name, "missingValueStrategy": "SKIP_IF_ALL_VALUES_MISSING"}
			o["rightSide"] = object{"expression": "#{" + right.uid + "}", "description": right.name, "missingValueStrategy": "SKIP_IF_ALL_VALUES_MISSING"}
			o["instruction"] = left.name + " cannot exceed " + right.name
			out["validationRules"] = append(out["validationRules"], o)
			index++
		}
	}
}
