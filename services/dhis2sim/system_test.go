package dhis2sim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// keyShape returns the set of key paths of a JSON value ("a.b", "a[].c"), for golden comparisons of
// shapes (keys and nesting), not values.
func keyShape(v any, prefix string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			out[p] = true
			keyShape(e, p, out)
		}
	case []any:
		for _, e := range x {
			keyShape(e, prefix+"[]", out)
		}
	}
}

func shapeOf(t testing.TB, b []byte) map[string]bool {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, truncate(b))
	}
	out := map[string]bool{}
	keyShape(v, "", out)
	return out
}

// missingKeys lists keys of want absent from got.
func missingKeys(want, got map[string]bool) []string {
	var out []string
	for k := range want {
		if !got[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestSystemInfoShape(t *testing.T) {
	recorded := shapeOf(t, readSample(t, "system_info_2.34.0_recorded_nonsuperuser.json"))
	for _, v := range allVersions {
		t.Run(v, func(t *testing.T) {
			_, c := newClient(t, v)
			code, body, _ := c.do("GET", "/api/system/info", nil)
			if code != 200 {
				t.Fatalf("status %d", code)
			}
			got := shapeOf(t, body)
			want := map[string]bool{}
			for k := range recorded {
				want[k] = true
			}
			if v >= "2.42" {
				delete(want, "metadataSyncEnabled")
				want["isMetadataSyncEnabled"] = true
			}
			if m := missingKeys(want, got); len(m) > 0 {
				t.Fatalf("missing keys %v", m)
			}
			if !got["javaVersion"] || !got["databaseInfo.type"] {
				t.Fatalf("superuser view lacks sensitive fields")
			}
			var info map[string]any
			_ = json.Unmarshal(body, &info)
			if info["version"] != v {
				t.Fatalf("version %v", info["version"])
			}
		})
	}
}

func TestSystemInfoReducedForNonSuperuser(t *testing.T) {
	_, ts := NewTestServer(t, Options{Version: "2.40.1", Users: []Account{{Username: "viewer", Password: "pw"}}})
	c := &client{t: t, base: ts.URL, user: "viewer", pass: "pw"}
	code, body, _ := c.do("GET", "/api/system/info", nil)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	got := shapeOf(t, body)
	for _, k := range []string{"javaVersion", "osName", "memoryInfo", "cpuCores", "databaseInfo.type", "nodeId"} {
		if got[k] {
			t.Errorf("non-superuser sees %s", k)
		}
	}
	if m := missingKeys(shapeOf(t, readSample(t, "system_info_2.34.0_recorded_nonsuperuser.json")), got); len(m) > 0 {
		t.Fatalf("missing keys %v", m)
	}
	if code, _, _ := c.do("GET", "/api/deletedObjects", nil); code != 403 {
		t.Fatalf("deletedObjects for non-superuser: %d", code)
	}
}

func TestAuthentication(t *testing.T) {
	const token = "d2pat_abcdefghijklmnopqrstuvwxyz0123451234567890"
	cases := []struct {
		name, version string
		header        map[string]string
		basic         [2]string
		want          int
		location      bool
	}{
		{"basic ok", "2.41.0", nil, [2]string{"admin", "district"}, 200, false},
		{"basic wrong", "2.41.0", nil, [2]string{"admin", "nope"}, 401, false},
		{"no credentials redirect", "2.41.0", nil, [2]string{}, 302, true},
		{"no credentials xhr", "2.41.0", map[string]string{"X-Requested-With": "XMLHttpRequest"}, [2]string{}, 401, false},
		{"token ok", "2.37.0", map[string]string{"Authorization": "ApiToken " + token}, [2]string{}, 200, false},
		{"token wrong", "2.41.0", map[string]string{"Authorization": "ApiToken d2pat_wrong"}, [2]string{}, 401, false},
		{"token unknown on 2.36", "2.36.0", map[string]string{"Authorization": "ApiToken " + token}, [2]string{}, 302, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ts := NewTestServer(t, Options{Version: tc.version, Token: token})
			req, _ := http.NewRequest("GET", ts.URL+"/api/system/info", nil)
			if tc.basic[0] != "" {
				req.SetBasicAuth(tc.basic[0], tc.basic[1])
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.location && !strings.Contains(resp.Header.Get("Location"), "login") {
				t.Fatalf("Location %q", resp.Header.Get("Location"))
			}
			if tc.want == 401 {
				var m map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&m)
				if m["httpStatusCode"] != float64(401) || m["status"] != "ERROR" || m["message"] != "Unauthorized" {
					t.Fatalf("401 body %v", m)
				}
			}
		})
	}
}

func TestRemovedTypesAre404(t *testing.T) {
	cases := []struct {
		version, path string
		want          int
	}{
		{"2.36.0", "/api/charts", 200},
		{"2.37.0", "/api/charts", 404},
		{"2.41.0", "/api/reportTables", 404},
		{"2.37.0", "/api/eventVisualizations", 404},
		{"2.38.0", "/api/eventVisualizations", 200},
		{"2.41.0", "/api/events", 200},
		{"2.42.0", "/api/events", 404},
		{"2.42.0", "/api/trackedEntityInstances", 404},
	}
	for _, tc := range cases {
		t.Run(tc.version+tc.path, func(t *testing.T) {
			s, err := New(Options{Version: tc.version})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptestServer(t, s)
			c := &client{t: t, base: ts, user: "admin", pass: "district"}
			code, body, _ := c.do("GET", tc.path, nil)
			if code != tc.want {
				t.Fatalf("status %d, want %d: %s", code, tc.want, truncate(body))
			}
		})
	}
}

func TestMetadataListFieldsFilterOrderPaging(t *testing.T) {
	_, c := newClient(t, "2.41.0")
	c.json("POST", "/api/metadata", readSample(t, "metadata_export_aggregate_e2e.json"), 409) // org units missing
	createMissingDependencies(t, c, readSample(t, "metadata_export_aggregate_e2e.json"))
	c.json("POST", "/api/metadata", readSample(t, "metadata_export_aggregate_e2e.json"), 200)

	m := c.json("GET", "/api/dataElements?pageSize=10&page=2&order=name:desc&fields=id,name,categoryCombo[id,name]", nil, 200)
	p := m["pager"].(map[string]any)
	if p["page"] != float64(2) || p["pageSize"] != float64(10) || p["total"] != float64(75) || p["pageCount"] != float64(8) {
		t.Fatalf("pager %v", p)
	}
	if !strings.HasPrefix(p["nextPage"].(string), c.base+"/api/dataElements?") || !strings.Contains(p["nextPage"].(string), "page=3") {
		t.Fatalf("nextPage %v", p["nextPage"])
	}
	items := asList(m["dataElements"])
	if len(items) != 10 || dig(items[0], "categoryCombo", "name") == nil || dig(items[0], "href") != nil {
		t.Fatalf("items %v", items[0])
	}
	if strings.Compare(dig(items[0], "name").(string), dig(items[1], "name").(string)) < 0 {
		t.Fatalf("not ordered desc")
	}
	m = c.json("GET", "/api/dataElements?paging=false&filter=name:ilike:malaria&filter=valueType:eq:NUMBER&fields=id,name,valueType", nil, 200)
	if _, ok := m["pager"]; ok {
		t.Fatalf("pager with paging=false")
	}
	for _, it := range asList(m["dataElements"]) {
		if !strings.Contains(strings.ToLower(dig(it, "name").(string)), "malaria") || dig(it, "valueType") != "NUMBER" {
			t.Fatalf("filter mismatch %v", it)
		}
	}
	all := c.json("GET", "/api/dataElements?paging=false&fields=id", nil, 200)
	id0 := dig(all, "dataElements", 0, "id").(string)
	id1 := dig(all, "dataElements", 1, "id").(string)
	m = c.json("GET", "/api/dataElements?paging=false&fields=id&filter=id:in:["+id0+","+id1+"]", nil, 200)
	if len(asList(m["dataElements"])) != 2 {
		t.Fatalf("in filter: %v", m)
	}
	m = c.json("GET", "/api/dataSets?fields=*,!organisationUnits&filter=dataSetElements.dataElement.id:eq:"+dataElementInDataSet(t, c), nil, 200)
	if len(asList(m["dataSets"])) == 0 || dig(m, "dataSets", 0, "organisationUnits") != nil || dig(m, "dataSets", 0, "href") == nil {
		t.Fatalf("nested filter / exclusion: %v", m)
	}
	m = c.json("GET", "/api/dataElements?fields=:owner&pageSize=1", nil, 200)
	if dig(m, "dataElements", 0, "href") != nil || dig(m, "dataElements", 0, "displayName") != nil || dig(m, "dataElements", 0, "lastUpdated") == nil {
		t.Fatalf(":owner %v", m)
	}
	m = c.json("GET", "/api/dataElements?fields=id&filter=lastUpdated:gt:2000-01-01&filter=zeroIsSignificant:!null&filter=noSuchProperty:null&pageSize=1", nil, 200)
	if dig(m, "pager", "total") == float64(0) {
		t.Fatalf("date/null filters matched nothing")
	}
	code, body, _ := c.do("GET", "/api/dataElements/noSuchUid01", nil)
	var nf map[string]any
	_ = json.Unmarshal(body, &nf)
	if code != 404 || nf["errorCode"] != "E1005" || nf["message"] != "DataElement with id noSuchUid01 could not be found." {
		t.Fatalf("404: %d %v", code, nf)
	}
}

func dataElementInDataSet(t *testing.T, c *client) string {
	m := c.json("GET", "/api/dataSets?fields=dataSetElements[dataElement]&pageSize=1", nil, 200)
	return dig(m, "dataSets", 0, "dataSetElements", 0, "dataElement", "id").(string)
}

func TestMetadataExportAndDeletedObjects(t *testing.T) {
	for _, v := range []string{"2.36.0", "2.40.0", "2.41.0"} {
		t.Run(v, func(t *testing.T) {
			s, c := newClient(t, v)
			body := readSample(t, "metadata_dataset_with_sections.json")
			if v < "2.38" {
				body = nestUsers(t, body)
			}
			createMissingDependencies(t, c, body)
			c.json("POST", "/api/metadata", body, 200)
			m := c.json("GET", "/api/metadata?dataSets=true&sections=true&categoryCombos=true&defaults=EXCLUDE", nil, 200)
			if dig(m, "system", "version") != v {
				t.Fatalf("system %v", m["system"])
			}
			if _, ok := m["dataElements"]; ok {
				t.Fatalf("unselected type exported")
			}
			for _, cc := range asList(m["categoryCombos"]) {
				if dig(cc, "name") == "default" {
					t.Fatalf("default exported with defaults=EXCLUDE")
				}
			}
			ds := dig(m, "dataSets", 0).(map[string]any)
			if _, ok := ds["href"]; ok {
				t.Fatalf(":owner export has href")
			}
			_, legacy := ds["publicAccess"]
			if legacy != (v < "2.41") {
				t.Fatalf("legacy sharing present=%v on %s", legacy, v)
			}
			m = c.json("GET", "/api/metadata?sections:fields=id,name&sections:filter=name:like:zzz", nil, 200)
			if _, ok := m["sections"]; ok {
				t.Fatalf("filter not applied: %v", m["sections"])
			}
			sec := s.Objects("sections")[0]
			if err := s.DeleteObject("sections", sec["id"].(string)); err != nil {
				t.Fatal(err)
			}
			d := c.json("GET", "/api/deletedObjects?klass=Section", nil, 200)
			if dig(d, "deletedObjects", 0, "uid") != sec["id"] || dig(d, "deletedObjects", 0, "klass") != "Section" {
				t.Fatalf("deletedObjects %v", d)
			}
		})
	}
}

func TestSingleObjectEndpoints(t *testing.T) {
	for _, v := range []string{"2.37.0", "2.41.0"} {
		t.Run(v, func(t *testing.T) {
			_, c := newClient(t, v)
			m := c.json("POST", "/api/indicatorTypes", `{"id":"itUid000001","name":"Percent","factor":100}`, 201)
			if dig(m, "response", "uid") != "itUid000001" || dig(m, "response", "klass") != "org.hisp.dhis.indicator.IndicatorType" {
				t.Fatalf("create %v", m)
			}
			c.json("PUT", "/api/indicatorTypes/itUid000001", `{"name":"Per cent","factor":100}`, 200)
			got := c.json("GET", "/api/indicatorTypes/itUid000001", nil, 200)
			if got["name"] != "Per cent" || got["created"] == nil || got["lastUpdated"] == nil || got["href"] == nil {
				t.Fatalf("get %v", got)
			}
			c.json("PUT", "/api/indicatorTypes/missing0001", `{"name":"x"}`, 404)
			m = c.json("POST", "/api/indicatorTypes", `{"id":"itUid000002"}`, 409)
			if dig(m, "response", "errorReports", 0, "errorCode") != "E4000" {
				t.Fatalf("missing name: %v", m)
			}
			code, _, _ := c.do("DELETE", "/api/indicatorTypes/itUid000001", nil)
			want := 200
			if v < "2.38" {
				want = 204
			}
			if code != want {
				t.Fatalf("delete %d", code)
			}
			c.json("DELETE", "/api/indicatorTypes/itUid000001", nil, 404)
		})
	}
}

func TestAsyncMetadataImport(t *testing.T) {
	s, c := newClient(t, "2.41.0")
	m := c.json("POST", "/api/metadata?async=true", `{"indicatorTypes":[{"id":"itUid000001","name":"Percent","factor":100}]}`, 200)
	id := dig(m, "response", "id").(string)
	if dig(m, "response", "jobType") != "METADATA_IMPORT" || !strings.HasSuffix(dig(m, "response", "relativeNotifierEndpoint").(string), id) {
		t.Fatalf("async reply %v", m)
	}
	s.WaitJob(id)
	code, body, _ := c.do("GET", "/api/system/tasks/METADATA_IMPORT/"+id, nil)
	var notes []map[string]any
	_ = json.Unmarshal(body, &notes)
	if code != 200 || len(notes) < 2 || notes[0]["completed"] != true {
		t.Fatalf("tasks %d %s", code, body)
	}
	sum := c.json("GET", "/api/system/taskSummaries/METADATA_IMPORT/"+id, nil, 200)
	if sum["status"] != "OK" || dig(sum, "stats", "created") != float64(1) {
		t.Fatalf("summary %v", sum)
	}
}
