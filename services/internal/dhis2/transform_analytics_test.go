package dhis2

import (
	"reflect"
	"testing"
)

func TestRelativePeriodEnum(t *testing.T) {
	for name, want := range map[string]string{
		"last12Months": "LAST_12_MONTHS", "thisDay": "TODAY", "monthsThisYear": "MONTHS_THIS_YEAR",
		"last52Weeks": "LAST_52_WEEKS", "last5FinancialYears": "LAST_5_FINANCIAL_YEARS", "thisSixMonth": "THIS_SIX_MONTH",
	} {
		if got := RelativePeriodEnum(name); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
}

func TestAnalyticsTransforms(t *testing.T) {
	dash := map[string]any{"id": "dash0000001", "dashboardItems": []any{
		map[string]any{"id": "item0000001", "type": "EVENT_CHART", "eventChart": map[string]any{"id": "evChart0001"}},
		map[string]any{"id": "item0000002", "type": "VISUALIZATION", "visualization": map[string]any{"id": "vis00000001"}},
	}}
	var rules []string
	_, up, _ := TransformMetadataNoting("dashboards", dash, v3(36, 1), v3(38, 0), func(r string) { rules = append(rules, r) })
	item := up["dashboardItems"].([]any)[0].(map[string]any)
	if item["type"] != "EVENT_VISUALIZATION" || item["eventVisualization"] == nil || item["eventChart"] != nil {
		t.Errorf("2.36 → 2.38 item: %v", item)
	}
	if !reflect.DeepEqual(rules, []string{"dashboard items point at event visualizations", "sharing object and legacy fields"}) &&
		!reflect.DeepEqual(rules, []string{"dashboard items point at event visualizations"}) {
		t.Errorf("rules: %v", rules)
	}
	_, down, _ := TransformMetadata("dashboards", up, v3(42, 0), v3(37, 0))
	if item := down["dashboardItems"].([]any)[0].(map[string]any); item["type"] != "EVENT_CHART" || item["eventChart"] == nil {
		t.Errorf("2.42 → 2.37 item: %v", item)
	}
	if plural, _, _ := TransformMetadata("eventCharts", map[string]any{"id": "evChart0001", "type": "COLUMN"}, v3(36, 0), v3(38, 0)); plural != "eventVisualizations" {
		t.Errorf("2.36 → 2.38 eventChart became %s", plural)
	}

	vis := map[string]any{"id": "vis00000001", "relativePeriods": map[string]any{"last12Months": true, "thisYear": false},
		"periods": []any{map[string]any{"id": "2024"}}}
	_, to42, _ := TransformMetadata("visualizations", vis, v3(36, 0), v3(42, 0))
	if !reflect.DeepEqual(to42["rawPeriods"], []any{"LAST_12_MONTHS", "2024"}) {
		t.Errorf("2.42 rawPeriods: %v", to42["rawPeriods"])
	}
	from42 := map[string]any{"id": "vis00000001", "rawPeriods": []any{"LAST_12_MONTHS", "2024"}}
	_, to37, _ := TransformMetadata("visualizations", from42, v3(42, 0), v3(37, 0))
	if _, has := to37["rawPeriods"]; has || to37["relativePeriods"].(map[string]any)["last12Months"] != true ||
		!reflect.DeepEqual(to37["periods"], []any{map[string]any{"id": "2024"}}) {
		t.Errorf("2.42 → 2.37 periods: %v", to37)
	}
}

func TestVisualizationAxesAcrossVersions(t *testing.T) {
	flat := map[string]any{"id": "vis00000001", "rangeAxisLabel": "Cases", "domainAxisLabel": "Month", "baseLineValue": 10.0}
	_, up, _ := TransformMetadata("visualizations", flat, v3(36, 1), v3(37, 0))
	if _, has := up["rangeAxisLabel"]; has {
		t.Errorf("2.37 gets flat axis fields: %v", up)
	}
	rng, dom := axis(up, "RANGE", false), axis(up, "DOMAIN", false)
	if rng == nil || dom == nil || rng["title"].(map[string]any)["text"] != "Cases" ||
		dom["title"].(map[string]any)["text"] != "Month" || rng["baseLine"].(map[string]any)["value"] != 10.0 {
		t.Fatalf("2.37 axes: %v", up["axes"])
	}
	_, down, _ := TransformMetadata("visualizations", up, v3(42, 0), v3(36, 1))
	if down["rangeAxisLabel"] != "Cases" || down["domainAxisLabel"] != "Month" || down["baseLineValue"] != 10.0 {
		t.Errorf("2.36 flat fields: %v", down)
	}
}

func TestTwoFAIsNotSentToVersionsWithoutIt(t *testing.T) {
	user := map[string]any{"id": "user0000001", "userCredentials": map[string]any{"username": "a", "twoFA": false, "displayName": "A"}}
	var rules []string
	_, out, _ := TransformMetadataNoting("users", user, v3(36, 1), v3(38, 0), func(r string) { rules = append(rules, r) })
	if _, has := out["twoFA"]; has || out["username"] != "a" || out["displayName"] != nil {
		t.Errorf("2.38 user: %v", out)
	}
	if len(rules) == 0 || rules[len(rules)-1] != "users.twoFA does not exist on DHIS2 2.38.0: dropped" {
		t.Errorf("rules: %v", rules)
	}
}
