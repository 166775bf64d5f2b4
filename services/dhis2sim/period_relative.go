package dhis2sim

import (
	"strings"
	"unicode"
)

// relativePeriodsFromRaw is the boolean relativePeriods object DHIS2 2.39+ derives on read from the stored
// rawPeriods (RelativePeriodEnum names; fixed period ids are ignored here). The enum name is the property's
// camelCase in UPPER_SNAKE, with the exceptions of dhis2-core's JSONB migration (V2_39_30 and later).
func relativePeriodsFromRaw(raw []any) map[string]any {
	set := map[string]bool{}
	for _, r := range raw {
		if s, ok := r.(string); ok {
			set[s] = true
		}
	}
	out := make(map[string]any, len(relativePeriodProps))
	for _, name := range relativePeriodProps {
		out[name] = set[relativePeriodEnum(name)]
	}
	return out
}

var relativePeriodProps = []string{
	"thisDay", "yesterday", "last3Days", "last7Days", "last14Days", "last30Days", "last60Days", "last90Days",
	"last180Days", "thisWeek", "lastWeek", "thisBiWeek", "lastBiWeek", "thisMonth", "lastMonth", "thisBimonth",
	"lastBimonth", "thisQuarter", "lastQuarter", "thisSixMonth", "lastSixMonth", "weeksThisYear", "monthsThisYear",
	"biMonthsThisYear", "quartersThisYear", "thisYear", "monthsLastYear", "quartersLastYear", "lastYear",
	"last5Years", "last10Years", "last12Months", "last6Months", "last3Months", "last6BiMonths", "last4Quarters",
	"last2SixMonths", "thisFinancialYear", "lastFinancialYear", "last5FinancialYears", "last10FinancialYears",
	"last4Weeks", "last4BiWeeks", "last12Weeks", "last52Weeks",
}

var relativePeriodEnumExceptions = map[string]string{
	"thisDay": "TODAY", "biMonthsThisYear": "BIMONTHS_THIS_YEAR", "last6BiMonths": "LAST_6_BIMONTHS",
	"thisBimonth": "THIS_BIMONTH", "lastBimonth": "LAST_BIMONTH", "thisBiWeek": "THIS_BIWEEK",
	"lastBiWeek": "LAST_BIWEEK", "last4BiWeeks": "LAST_4_BIWEEKS", "last2SixMonths": "LAST_2_SIXMONTHS",
	"thisSixMonth": "THIS_SIX_MONTH", "lastSixMonth": "LAST_SIX_MONTH",
}

func relativePeriodEnum(name string) string {
	if e, ok := relativePeriodEnumExceptions[name]; ok {
		return e
	}
	var b strings.Builder
	var prev rune
	for i, r := range name {
		if i > 0 && (unicode.IsUpper(r) || unicode.IsDigit(r) != unicode.IsDigit(prev)) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
		prev = r
	}
	return b.String()
}
