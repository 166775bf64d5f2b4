package dhis2sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// benchFixture creates 50 data elements in one data set and 200 org units under a root, and returns a
// dataValueSet payload of n values over months of 2023–2024.
func benchFixture(b *testing.B, c *client, n int) []byte {
	b.Helper()
	md := map[string][]any{}
	var dse []any
	for i := 0; i < 50; i++ {
		id := fmt.Sprintf("deBench%04d", i)
		md["dataElements"] = append(md["dataElements"], map[string]any{"id": id, "name": "DE " + id, "shortName": id,
			"valueType": "INTEGER", "aggregationType": "SUM", "domainType": "AGGREGATE"})
		dse = append(dse, map[string]any{"dataElement": map[string]any{"id": id}})
	}
	md["organisationUnits"] = append(md["organisationUnits"], map[string]any{"id": "ouBenchRoot", "name": "Root", "shortName": "Root", "openingDate": "2000-01-01"})
	for i := 0; i < 200; i++ {
		id := fmt.Sprintf("ouBench%04d", i)
		md["organisationUnits"] = append(md["organisationUnits"], map[string]any{"id": id, "name": id, "shortName": id,
			"openingDate": "2000-01-01", "parent": map[string]any{"id": "ouBenchRoot"}})
	}
	md["dataSets"] = []any{map[string]any{"id": "dsBench0001", "name": "Bench", "periodType": "Monthly", "dataSetElements": dse}}
	c.json("POST", "/api/metadata", md, 200)
	vals := make([]map[string]any, 0, n)
	for i := 0; i < n; i++ {
		vals = append(vals, map[string]any{
			"dataElement": fmt.Sprintf("deBench%04d", i%50), "orgUnit": fmt.Sprintf("ouBench%04d", (i/50)%200),
			"period": fmt.Sprintf("%d%02d", 2023+(i/240000)%2, 1+(i/10000)%12), "value": fmt.Sprint(i % 1000),
			"storedBy": "bench", "followup": false,
		})
	}
	raw, err := json.Marshal(map[string]any{"dataValues": vals})
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func benchPost(b *testing.B, url string, body []byte) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.SetBasicAuth("admin", "district")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkDataValueSetsImport posts 10,000 values per request over loopback HTTP (cost model none).
func BenchmarkDataValueSetsImport(b *testing.B) {
	const n = 10_000
	_, c := newClient(b, "2.41.0")
	body := benchFixture(b, c, n)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchPost(b, c.base+"/api/dataValueSets", body)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "values/s")
}

// BenchmarkDataValueSetsExport exports 100,000 values per request over loopback HTTP (cost model none),
// uncompressed and gzipped.
func BenchmarkDataValueSetsExport(b *testing.B) {
	b.Run("identity", func(b *testing.B) { benchExport(b, "identity") })
	b.Run("gzip", func(b *testing.B) { benchExport(b, "gzip") })
}

func benchExport(b *testing.B, encoding string) {
	const n = 100_000
	s, c := newClient(b, "2.41.0")
	body := benchFixture(b, c, n)
	benchPost(b, c.base+"/api/dataValueSets", body)
	if s.DataValueCount() != n {
		b.Fatalf("loaded %d", s.DataValueCount())
	}
	url := c.base + "/api/dataValueSets?dataSet=dsBench0001&startDate=2023-01-01&endDate=2024-12-31&orgUnit=ouBenchRoot&children=true"
	b.ResetTimer()
	var total int64
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest("GET", url, nil)
		req.SetBasicAuth("admin", "district")
		req.Header.Set("Accept-Encoding", encoding)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		nb, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		total += nb
	}
	b.SetBytes(total / int64(b.N))
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "values/s")
}

// BenchmarkMemoryMillionValues reports the heap a million stored data values take.
func BenchmarkLoadMillionValues(b *testing.B) {
	for i := 0; i < b.N; i++ {
		s, err := New(Options{Version: "2.41.0"})
		if err != nil {
			b.Fatal(err)
		}
		set := &dvSet{}
		s.mu.Lock()
		for j := 0; j < 50; j++ {
			s.meta.put("dataElements", map[string]any{"id": fmt.Sprintf("deBench%04d", j), "valueType": "INTEGER", "categoryCombo": ref(defaultCategoryCombo)})
		}
		for j := 0; j < 1000; j++ {
			s.meta.put("organisationUnits", map[string]any{"id": fmt.Sprintf("ouBench%04d", j)})
		}
		s.mu.Unlock()
		for j := 0; j < 1_000_000; j++ {
			set.Values = append(set.Values, dvIn{DataElement: fmt.Sprintf("deBench%04d", j%50), OrgUnit: fmt.Sprintf("ouBench%04d", (j/50)%1000),
				Period: fmt.Sprintf("20%02d%02d", 10+j/600000, 1+(j/50000)%12), Value: json.RawMessage(`"12"`)})
		}
		sum := s.importDataValues(set, dvOptions{ImportStrategy: "CREATE_AND_UPDATE"}, "admin")
		if s.DataValueCount() != 1_000_000 {
			b.Fatalf("stored %d (%v)", s.DataValueCount(), sum.Count)
		}
	}
}
