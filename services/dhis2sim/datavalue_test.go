package dhis2sim

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// aggregateFixture creates an org unit tree, a numeric and a text data element and a data set.
const aggregateFixture = `{
 "organisationUnits":[{"id":"ouRoot00001","name":"Root","shortName":"Root","openingDate":"2000-01-01"},
   {"id":"ouChild0001","name":"Child","shortName":"Child","openingDate":"2000-01-01","parent":{"id":"ouRoot00001"}},
   {"id":"ouOther0001","name":"Other","shortName":"Other","openingDate":"2000-01-01"}],
 "dataElements":[{"id":"deNum000001","name":"Cases","shortName":"Cases","valueType":"NUMBER","aggregationType":"SUM","domainType":"AGGREGATE"},
   {"id":"deTxt000001","name":"Notes","shortName":"Notes","valueType":"TEXT","aggregationType":"NONE","domainType":"AGGREGATE"},
   {"id":"deOut000001","name":"Outside","shortName":"Outside","valueType":"NUMBER","aggregationType":"SUM","domainType":"AGGREGATE"}],
 "dataSets":[{"id":"dsUid000001","name":"Monthly","periodType":"Monthly","organisationUnits":[{"id":"ouRoot00001"},{"id":"ouChild0001"}],
   "dataSetElements":[{"dataElement":{"id":"deNum000001"}},{"dataElement":{"id":"deTxt000001"}}]}]
}`

func dv(de, pe, ou, value string) map[string]any {
	return map[string]any{"dataElement": de, "period": pe, "orgUnit": ou, "value": value}
}

func TestDataValueSetsImportSummaryPerVersion(t *testing.T) {
	for _, v := range allVersions {
		t.Run(v, func(t *testing.T) {
			s, c := newClient(t, v)
			c.json("POST", "/api/metadata", aggregateFixture, 200)
			ok := map[string]any{"dataValues": []any{dv("deNum000001", "202401", "ouChild0001", "5")}}
			want := 200
			m := c.json("POST", "/api/dataValueSets", ok, want)
			sum := importReportBody(m)
			if v >= "2.38" {
				if m["httpStatusCode"] != float64(200) || m["message"] != "Import was successful." {
					t.Fatalf("wrapped %v", m)
				}
			} else if m["responseType"] != "ImportSummary" {
				t.Fatalf("plain %v", m)
			}
			if sum["status"] != "SUCCESS" || dig(sum, "importCount", "imported") != float64(1) {
				t.Fatalf("summary %v", sum)
			}
			_, hasRejected := sum["rejectedIndexes"]
			if hasRejected != (v >= "2.39") {
				t.Fatalf("rejectedIndexes present=%v", hasRejected)
			}
			bad := map[string]any{"dataSet": "dsUid000001", "dataValues": []any{
				dv("deNum000001", "202401", "ouChild0001", "6"),   // 0 update
				dv("deNum000001", "202402", "ouChild0001", "abc"), // 1 E7619
				dv("noSuchDE001", "202401", "ouChild0001", "1"),   // 2 E7610
				dv("deNum000001", "2024-13", "ouChild0001", "1"),  // 3 E7611
				dv("deNum000001", "202401", "noSuchOU001", "1"),   // 4 E7612
				dv("deNum000001", "202403", "ouChild0001", "xyz"), // 5 E7619 (merged)
				dv("deOut000001", "202401", "ouChild0001", "1"),   // 6 E7633
				map[string]any{"dataElement": "deNum000001", "period": "202401", "orgUnit": "ouRoot00001", "categoryOptionCombo": "noSuchCOC01", "value": "1"}, // 7 E7613
			}}
			want = 200
			if v >= "2.38" {
				want = 409
			}
			m = c.json("POST", "/api/dataValueSets", bad, want)
			sum = importReportBody(m)
			if v >= "2.38" && (m["status"] != "WARNING" || m["message"] != "One more conflicts encountered, please check import summary.") {
				t.Fatalf("wrapped warning %v", m)
			}
			if sum["status"] != "WARNING" || dig(sum, "importCount", "updated") != float64(1) || dig(sum, "importCount", "ignored") != float64(7) {
				t.Fatalf("counts %v", sum)
			}
			codes := map[string]any{}
			for _, cf := range asList(sum["conflicts"]) {
				cm := cf.(map[string]any)
				if v == "2.36.0" {
					if len(cm) != 2 || cm["object"] == nil || cm["value"] == nil {
						t.Fatalf("2.36 conflict shape %v", cm)
					}
					continue
				}
				codes[cm["errorCode"].(string)] = cm["indexes"]
			}
			if v != "2.36.0" {
				for code, idx := range map[string]string{"E7619": "[1 5]", "E7610": "[2]", "E7611": "[3]", "E7612": "[4]", "E7633": "[6]", "E7613": "[7]"} {
					if fmt.Sprint(codes[code]) != strings.ReplaceAll(idx, " ", " ") && fmt.Sprint(codes[code]) != idx {
						t.Errorf("%s indexes %v, want %s", code, codes[code], idx)
					}
				}
			} else if len(asList(sum["conflicts"])) != 7 {
				t.Fatalf("2.36 conflicts not per row: %d", len(asList(sum["conflicts"])))
			}
			if v >= "2.39" && fmt.Sprint(sum["rejectedIndexes"]) != "[1 2 3 4 5 6 7]" {
				t.Fatalf("rejectedIndexes %v", sum["rejectedIndexes"])
			}
			if s.DataValueCount() != 1 {
				t.Fatalf("count %d", s.DataValueCount())
			}
		})
	}
}

func TestDataValueSetsExportFiltersAndDelete(t *testing.T) {
	s, c := newClient(t, "2.41.0")
	c.json("POST", "/api/metadata", aggregateFixture, 200)
	var vals []any
	for _, pe := range []string{"202401", "202402", "202403"} {
		vals = append(vals, dv("deNum000001", pe, "ouChild0001", "1"), dv("deTxt000001", pe, "ouRoot00001", "note \"q\""))
	}
	// Gzip request body, detected by magic bytes.
	raw, _ := json.Marshal(map[string]any{"dataValues": vals})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	c.json("POST", "/api/dataValueSets", gz.Bytes(), 200)
	if s.DataValueCount() != 6 {
		t.Fatalf("count %d", s.DataValueCount())
	}
	count := func(q string) int {
		m := c.json("GET", "/api/dataValueSets?"+q, nil, 200)
		return len(asList(m["dataValues"]))
	}
	cases := map[string]int{
		"dataSet=dsUid000001&period=202401&orgUnit=ouRoot00001":                                         1,
		"dataSet=dsUid000001&period=202401&orgUnit=ouRoot00001&children=true":                           2,
		"dataSet=dsUid000001&startDate=2024-01-01&endDate=2024-02-29&orgUnit=ouRoot00001&children=true": 4,
		"dataSet=dsUid000001&lastUpdated=2000-01-01&orgUnit=ouRoot00001&children=true":                  6,
		"dataSet=dsUid000001&lastUpdated=2999-01-01&orgUnit=ouRoot00001&children=true":                  0,
		"dataElement=deNum000001&period=202403&orgUnit=ouChild0001":                                     1,
	}
	for q, want := range cases {
		if got := count(q); got != want {
			t.Errorf("%s: %d values, want %d", q, got, want)
		}
	}
	m := c.json("GET", "/api/dataValueSets?dataSet=dsUid000001&period=202401&orgUnit=ouRoot00001", nil, 200)
	if dig(m, "dataValues", 0, "value") != `note "q"` || dig(m, "dataValues", 0, "storedBy") != "admin" {
		t.Fatalf("export %v", m)
	}
	del := map[string]any{"dataValues": []any{dv("deNum000001", "202401", "ouChild0001", "1")}}
	m = c.json("POST", "/api/dataValueSets?importStrategy=DELETE", del, 200)
	if dig(m, "response", "importCount", "deleted") != float64(1) {
		t.Fatalf("delete %v", m)
	}
	if got := count("dataSet=dsUid000001&period=202401&orgUnit=ouChild0001"); got != 0 {
		t.Fatalf("deleted value exported: %d", got)
	}
	m = c.json("GET", "/api/dataValueSets?dataSet=dsUid000001&period=202401&orgUnit=ouChild0001&includeDeleted=true", nil, 200)
	if dig(m, "dataValues", 0, "deleted") != true {
		t.Fatalf("includeDeleted %v", m)
	}
	// dryRun changes nothing.
	c.json("POST", "/api/dataValueSets?dryRun=true", map[string]any{"dataValues": []any{dv("deNum000001", "202405", "ouChild0001", "1")}}, 200)
	if s.DataValueCount() != 5 {
		t.Fatalf("dryRun stored: %d", s.DataValueCount())
	}
	for q, code := range map[string]string{
		"period=202401&orgUnit=ouRoot00001":       "E2001",
		"dataSet=dsUid000001&orgUnit=ouRoot00001": "E2002",
		"dataSet=dsUid000001&period=202401":       "E2006",
	} {
		m := c.json("GET", "/api/dataValueSets?"+q, nil, 409)
		if m["errorCode"] != code {
			t.Errorf("%s: %v, want %s", q, m["errorCode"], code)
		}
	}
}

func TestDataValueSetsAsync(t *testing.T) {
	s, c := newClient(t, "2.40.0")
	c.json("POST", "/api/metadata", aggregateFixture, 200)
	m := c.json("POST", "/api/dataValueSets?async=true", map[string]any{"dataValues": []any{dv("deNum000001", "202401", "ouChild0001", "5")}}, 200)
	if m["message"] != "Initiated dataValueImport" || dig(m, "response", "jobType") != "DATAVALUE_IMPORT" {
		t.Fatalf("async %v", m)
	}
	id := dig(m, "response", "id").(string)
	s.WaitJob(id)
	sum := c.json("GET", "/api/system/taskSummaries/DATAVALUE_IMPORT/"+id, nil, 200)
	if sum["responseType"] != "ImportSummary" || dig(sum, "importCount", "imported") != float64(1) {
		t.Fatalf("summary %v", sum)
	}
}

func TestPeriodRange(t *testing.T) {
	cases := map[string]string{
		"2024": "2024-01-01..2024-12-31", "202402": "2024-02-01..2024-02-29", "20240315": "2024-03-15..2024-03-15",
		"2024Q2": "2024-04-01..2024-06-30", "2024S2": "2024-07-01..2024-12-31", "202403B": "2024-05-01..2024-06-30",
		"2024W1": "2024-01-01..2024-01-07", "2020W53": "2020-12-28..2021-01-03", "2024April": "2024-04-01..2025-03-31",
		"2024BiW1": "2024-01-01..2024-01-14", "2024AprilS1": "2024-04-01..2024-09-30",
	}
	for p, want := range cases {
		st, en, ok := periodRange(p)
		if got := st.Format("2006-01-02") + ".." + en.Format("2006-01-02"); !ok || got != want {
			t.Errorf("%s: %s (ok=%v), want %s", p, got, ok, want)
		}
	}
	for _, bad := range []string{"", "2024-01", "202413", "2024Q5", "2021W53", "abcd"} {
		if _, _, ok := periodRange(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}
