package dhis2

import (
	"slices"
	"strings"
	"unicode"
)

// Analytics objects across versions: dashboard items and periods (the rows
// are in transform_rules.go).

// analyticalPlurals carry periods; maps carry them on each of their mapViews.
var analyticalPlurals = []string{"visualizations", "eventVisualizations", "eventCharts", "eventReports", "maps"}

// dashboardItemsToEventVisualization rewrites eventChart/eventReport items.
func dashboardItemsToEventVisualization(plural string, obj map[string]any) (string, bool) {
	for _, item := range dashboardItems(obj) {
		for _, k := range []string{"eventChart", "eventReport"} {
			ref, ok := item[k]
			if !ok {
				continue
			}
			delete(item, k)
			if _, has := item["eventVisualization"]; !has {
				item["eventVisualization"] = ref
			}
			item["type"] = "EVENT_VISUALIZATION"
		}
	}
	return plural, true
}

// dashboardItemsToEventChart rewrites eventVisualization items for versions
// before 2.38. An item does not say whether its object was a chart or a
// report: it becomes an eventChart item unless its type says EVENT_REPORT.
func dashboardItemsToEventChart(plural string, obj map[string]any) (string, bool) {
	for _, item := range dashboardItems(obj) {
		ref, ok := item["eventVisualization"]
		if !ok {
			continue
		}
		delete(item, "eventVisualization")
		if item["type"] == "EVENT_REPORT" {
			item["eventReport"] = ref
		} else {
			item["eventChart"] = ref
			item["type"] = "EVENT_CHART"
		}
	}
	return plural, true
}

func dashboardItems(obj map[string]any) []map[string]any {
	list, _ := obj["dashboardItems"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, it := range list {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// periodHolders is the object itself, or a map's mapViews.
func periodHolders(plural string, obj map[string]any) []map[string]any {
	if plural != "maps" {
		return []map[string]any{obj}
	}
	views, _ := obj["mapViews"].([]any)
	var out []map[string]any
	for _, v := range views {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// relativePeriodsObject fills the boolean relativePeriods object (and the
// fixed periods) from rawPeriods when the object has no relative period set.
func relativePeriodsObject(plural string, obj map[string]any) (string, bool) {
	for _, h := range periodHolders(plural, obj) {
		raw, ok := h["rawPeriods"].([]any)
		if !ok {
			continue
		}
		rel, _ := h["relativePeriods"].(map[string]any)
		if rel == nil {
			rel = map[string]any{}
		}
		if anyTrue(rel) {
			continue
		}
		fixed, _ := h["periods"].([]any)
		for _, p := range raw {
			s, _ := p.(string)
			if name, ok := relativePeriodEnums[s]; ok {
				rel[name] = true
			} else if s != "" && !hasPeriod(fixed, s) {
				fixed = append(fixed, map[string]any{"id": s})
			}
		}
		h["relativePeriods"] = rel
		if len(fixed) > 0 {
			h["periods"] = fixed
		}
	}
	return plural, true
}

// addRawPeriods writes rawPeriods from the object and the fixed periods.
func addRawPeriods(plural string, obj map[string]any) (string, bool) {
	for _, h := range periodHolders(plural, obj) {
		if _, ok := h["rawPeriods"]; ok {
			continue
		}
		rel, _ := h["relativePeriods"].(map[string]any)
		fixed, _ := h["periods"].([]any)
		if rel == nil && fixed == nil {
			continue
		}
		raw := []any{}
		for _, name := range sortedTrue(rel) {
			raw = append(raw, RelativePeriodEnum(name))
		}
		for _, p := range fixed {
			if m, ok := p.(map[string]any); ok {
				if id, ok := m["id"].(string); ok {
					raw = append(raw, id)
				}
			}
		}
		h["rawPeriods"] = raw
	}
	return plural, true
}

func dropRawPeriods(plural string, obj map[string]any) (string, bool) {
	for _, h := range periodHolders(plural, obj) {
		delete(h, "rawPeriods")
	}
	return plural, true
}

func anyTrue(m map[string]any) bool {
	for _, v := range m {
		if v == true {
			return true
		}
	}
	return false
}

func sortedTrue(m map[string]any) []string {
	var out []string
	for k, v := range m {
		if v == true {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func hasPeriod(list []any, id string) bool {
	for _, p := range list {
		if m, ok := p.(map[string]any); ok && m["id"] == id {
			return true
		}
	}
	return false
}

// relativePeriodNames are the boolean properties of RelativePeriods
// (dhis2-core RelativePeriods.java).
var relativePeriodNames = []string{
	"thisDay", "yesterday", "last3Days", "last7Days", "last14Days", "last30Days", "last60Days", "last90Days",
	"last180Days", "thisWeek", "lastWeek", "thisBiWeek", "lastBiWeek", "thisMonth", "lastMonth", "thisBimonth",
	"lastBimonth", "thisQuarter", "lastQuarter", "thisSixMonth", "lastSixMonth", "weeksThisYear", "monthsThisYear",
	"biMonthsThisYear", "quartersThisYear", "thisYear", "monthsLastYear", "quartersLastYear", "lastYear",
	"last5Years", "last10Years", "last12Months", "last6Months", "last3Months", "last6BiMonths", "last4Quarters",
	"last2SixMonths", "thisFinancialYear", "lastFinancialYear", "last5FinancialYears", "last10FinancialYears",
	"last4Weeks", "last4BiWeeks", "last12Weeks", "last52Weeks",
}

// relativePeriodExceptions are the names the camelCase→UPPER_SNAKE rule does
// not produce (dhis2-core migrations V2_39_30/V2_40_30/V2_41_51, boolean →
// RelativePeriodEnum).
var relativePeriodExceptions = map[string]string{
	"thisDay": "TODAY", "biMonthsThisYear": "BIMONTHS_THIS_YEAR", "last6BiMonths": "LAST_6_BIMONTHS",
	"thisBimonth": "THIS_BIMONTH", "lastBimonth": "LAST_BIMONTH", "thisBiWeek": "THIS_BIWEEK",
	"lastBiWeek": "LAST_BIWEEK", "last4BiWeeks": "LAST_4_BIWEEKS", "last2SixMonths": "LAST_2_SIXMONTHS",
	"thisSixMonth": "THIS_SIX_MONTH", "lastSixMonth": "LAST_SIX_MONTH",
}

// RelativePeriodEnum is the RelativePeriodEnum name of a boolean property.
func RelativePeriodEnum(name string) string {
	if e, ok := relativePeriodExceptions[name]; ok {
		return e
	}
	var b strings.Builder
	prev := rune(0)
	for i, r := range name {
		switch {
		case i > 0 && unicode.IsUpper(r):
			b.WriteByte('_')
		case i > 0 && unicode.IsDigit(r) && !unicode.IsDigit(prev):
			b.WriteByte('_')
		case i > 0 && !unicode.IsDigit(r) && unicode.IsDigit(prev):
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
		prev = r
	}
	return b.String()
}

// relativePeriodEnums maps enum names back to boolean properties.
var relativePeriodEnums = func() map[string]string {
	m := make(map[string]string, len(relativePeriodNames))
	for _, n := range relativePeriodNames {
		m[RelativePeriodEnum(n)] = n
	}
	return m
}()

// axisFields maps the flat axis fields to their place in axes[] (dhis2-core
// CompatibilityGuard): the axis type and a path inside that axis.
var axisFields = []struct {
	flat, axis string
	path       []string
}{
	{"rangeAxisLabel", "RANGE", []string{"title", "text"}},
	{"rangeAxisMaxValue", "RANGE", []string{"maxValue"}},
	{"rangeAxisMinValue", "RANGE", []string{"minValue"}},
	{"rangeAxisSteps", "RANGE", []string{"steps"}},
	{"rangeAxisDecimals", "RANGE", []string{"decimals"}},
	{"baseLineValue", "RANGE", []string{"baseLine", "value"}},
	{"baseLineLabel", "RANGE", []string{"baseLine", "title", "text"}},
	{"targetLineValue", "RANGE", []string{"targetLine", "value"}},
	{"targetLineLabel", "RANGE", []string{"targetLine", "title", "text"}},
	{"domainAxisLabel", "DOMAIN", []string{"title", "text"}},
}

// axis returns the first axis (index 0) of a type, creating it when asked.
func axis(obj map[string]any, typ string, create bool) map[string]any {
	list, _ := obj["axes"].([]any)
	for _, a := range list {
		if m, ok := a.(map[string]any); ok && m["type"] == typ && (m["index"] == nil || m["index"] == float64(0) || m["index"] == 0) {
			return m
		}
	}
	if !create {
		return nil
	}
	m := map[string]any{"index": 0, "type": typ}
	obj["axes"] = append(list, m)
	return m
}

// flatAxesToAxes moves the flat axis fields into axes[], keeping what axes
// already say.
func flatAxesToAxes(plural string, obj map[string]any) (string, bool) {
	for _, f := range axisFields {
		v, ok := obj[f.flat]
		if !ok {
			continue
		}
		delete(obj, f.flat)
		if v == nil || v == "" {
			continue
		}
		m := axis(obj, f.axis, true)
		for _, k := range f.path[:len(f.path)-1] {
			sub, ok := m[k].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[k] = sub
			}
			m = sub
		}
		last := f.path[len(f.path)-1]
		if _, has := m[last]; !has {
			m[last] = v
		}
	}
	return plural, true
}

// axesToFlatAxes writes the flat axis fields from axes[] for 2.36, which
// owns both.
func axesToFlatAxes(plural string, obj map[string]any) (string, bool) {
	for _, f := range axisFields {
		if _, has := obj[f.flat]; has {
			continue
		}
		var v any = axis(obj, f.axis, false)
		for _, k := range f.path {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[k]
		}
		if v != nil {
			obj[f.flat] = v
		}
	}
	return plural, true
}
