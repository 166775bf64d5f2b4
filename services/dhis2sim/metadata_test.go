package dhis2sim

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

var metadataSamples = []string{
	"metadata_export_aggregate_e2e.json",
	"metadata_export_who_mal_hist_2.36.1.json",
	"metadata_dataset_with_sections.json",
	"metadata_tracker_program_basic.json",
}

// importReportBody returns the ImportReport of a response in any version shape.
func importReportBody(m map[string]any) map[string]any {
	if r, ok := m["response"].(map[string]any); ok {
		return r
	}
	return m
}

func errorCodes(rep map[string]any) []string {
	var codes []string
	for _, tr := range asList(rep["typeReports"]) {
		for _, or := range asList(dig(tr, "objectReports")) {
			for _, e := range asList(dig(or, "errorReports")) {
				codes = append(codes, fmt.Sprint(dig(e, "errorCode"))+":"+fmt.Sprint(dig(e, "message")))
			}
		}
	}
	return codes
}

func TestImportSamplesIntoEmptyServer(t *testing.T) {
	for _, v := range allVersions {
		for _, sample := range metadataSamples {
			t.Run(v+"/"+sample, func(t *testing.T) {
				s, c := newClient(t, v)
				body := readSample(t, sample)
				if v >= "2.42" && sample == "metadata_export_who_mal_hist_2.36.1.json" {
					// 2.42 has no userCredentials: users must be flat, as on a real 2.42.
					body = flattenUsers(t, body)
				}
				if v < "2.38" {
					body = nestUsers(t, body)
				}
				createMissingDependencies(t, c, body)
				m := c.json("POST", "/api/metadata", body, 200)
				rep := importReportBody(m)
				if rep["status"] != "OK" {
					t.Fatalf("status %v, errors %v", rep["status"], errorCodes(rep))
				}
				var payload map[string]any
				_ = json.Unmarshal(body, &payload)
				for typ, list := range payload {
					l, ok := list.([]any)
					if !ok {
						continue
					}
					if _, known := s.Schemas().Lookup(typ); !known {
						continue
					}
					for _, o := range l {
						id := dig(o, "id").(string)
						got := c.json("GET", "/api/"+typ+"/"+id+"?fields=id", nil, 200)
						if got["id"] != id {
							t.Fatalf("%s/%s not stored", typ, id)
						}
					}
				}
			})
		}
	}
}

// flattenUsers moves userCredentials fields to the top level (the ≥2.38 user shape).
func flattenUsers(t testing.TB, body []byte) []byte {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for _, u := range asList(m["users"]) {
		um := u.(map[string]any)
		if uc, ok := um["userCredentials"].(map[string]any); ok {
			for _, k := range []string{"username", "userRoles"} {
				if v, ok := uc[k]; ok {
					um[k] = v
				}
			}
			delete(um, "userCredentials")
		}
	}
	out, _ := json.Marshal(m)
	return out
}

// nestUsers builds userCredentials for users that only have the flat ≥2.38 fields (the <2.38 shape).
func nestUsers(t testing.TB, body []byte) []byte {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for _, u := range asList(m["users"]) {
		um := u.(map[string]any)
		if _, ok := um["userCredentials"]; !ok {
			um["userCredentials"] = map[string]any{"username": um["username"], "userRoles": um["userRoles"]}
		}
	}
	out, _ := json.Marshal(m)
	return out
}

func TestBrokenReferenceE5002PerVersion(t *testing.T) {
	payload := `{"dataElements":[{"id":"deUid000001","name":"DE A","shortName":"DE A","valueType":"NUMBER","aggregationType":"SUM","domainType":"AGGREGATE","categoryCombo":{"id":"ccMissing01"}}]}`
	for _, v := range allVersions {
		t.Run(v, func(t *testing.T) {
			_, c := newClient(t, v)
			wantStatus := 200
			if v >= "2.38" {
				wantStatus = 409
			}
			m := c.json("POST", "/api/metadata", payload, wantStatus)
			rep := importReportBody(m)
			switch {
			case v == "2.36.0":
				if _, ok := m["importParams"]; !ok {
					t.Fatalf("2.36 report lacks importParams: %v", m)
				}
			case v == "2.37.0":
				if m["responseType"] != "ImportReport" || m["httpStatusCode"] != nil {
					t.Fatalf("2.37 report not plain: %v", m)
				}
			default:
				if m["httpStatusCode"] != float64(409) || m["status"] != "WARNING" || rep["responseType"] != "ImportReport" {
					t.Fatalf("wrapped report wrong: %v", m)
				}
				if _, ok := rep["importParams"]; ok {
					t.Fatalf("wrapped report has importParams")
				}
			}
			if rep["status"] != "ERROR" {
				t.Fatalf("status %v", rep["status"])
			}
			e := dig(rep, "typeReports", 0, "objectReports", 0, "errorReports", 0).(map[string]any)
			if e["errorCode"] != "E5002" || e["errorKlass"] != "org.hisp.dhis.category.CategoryCombo" ||
				e["errorProperty"] != "categoryCombo" || e["mainKlass"] != "org.hisp.dhis.dataelement.DataElement" {
				t.Fatalf("error report %v", e)
			}
			want := "Invalid reference [ccMissing01] (CategoryCombo) on object DE A [deUid000001] (DataElement) for association `categoryCombo`"
			if e["message"] != want {
				t.Fatalf("message %q", e["message"])
			}
			if dig(rep, "typeReports", 0, "klass") != "org.hisp.dhis.dataelement.DataElement" {
				t.Fatalf("klass %v", dig(rep, "typeReports", 0, "klass"))
			}
			if dig(rep, "stats", "ignored") != float64(1) {
				t.Fatalf("stats %v", rep["stats"])
			}
			// Nothing was committed (atomicMode=ALL).
			code, _, _ := c.do("GET", "/api/dataElements/deUid000001", nil)
			if code != 404 {
				t.Fatalf("object committed despite error: %d", code)
			}
		})
	}
}

func TestAPIVersionedPathGivesPlainReport(t *testing.T) {
	_, c := newClient(t, "2.41.0")
	m := c.json("POST", "/api/37/metadata", `{"dataElements":[{"id":"deUid000001","name":"A","shortName":"A","valueType":"NUMBER","aggregationType":"SUM","domainType":"AGGREGATE","categoryCombo":{"id":"nope0000001"}}]}`, 200)
	if m["responseType"] != "ImportReport" || m["status"] != "ERROR" || m["httpStatusCode"] != nil {
		t.Fatalf("plain report expected: %v", m)
	}
	m = c.json("POST", "/api/41/metadata", `{"indicatorTypes":[{"id":"itUid000001","name":"Per cent","factor":100}]}`, 200)
	if m["httpStatusCode"] != float64(200) || dig(m, "response", "stats", "created") != float64(1) {
		t.Fatalf("wrapped OK expected: %v", m)
	}
	code, _, _ := c.do("GET", "/api/43/system/info", nil)
	if code != 404 {
		t.Fatalf("/api/43 on 2.41: %d", code)
	}
}

func TestCircularReferencesInOnePayloadButNotAcross(t *testing.T) {
	prog := `{"id":"prgUid00001","name":"P","shortName":"P","programType":"WITH_REGISTRATION","programStages":[{"id":"psUid000001"}]}`
	stage := `{"id":"psUid000001","name":"S","program":{"id":"prgUid00001"}}`
	_, c := newClient(t, "2.41.0")
	m := c.json("POST", "/api/metadata", `{"programStages":[`+stage+`],"programs":[`+prog+`]}`, 200)
	if dig(m, "response", "stats", "created") != float64(2) {
		t.Fatalf("cycle in one payload: %v", m)
	}
	_, c2 := newClient(t, "2.41.0")
	m = c2.json("POST", "/api/metadata", `{"programStages":[`+stage+`]}`, 409)
	if codes := errorCodes(importReportBody(m)); len(codes) != 1 || !strings.HasPrefix(codes[0], "E5002") {
		t.Fatalf("split cycle: %v", codes)
	}
}

func TestImportErrors(t *testing.T) {
	_, c := newClient(t, "2.40.0")
	c.json("POST", "/api/metadata", `{"categoryOptions":[{"id":"coUid000001","name":"Male","shortName":"Male","code":"M"}]}`, 200)
	cases := []struct {
		name, query, body, code string
	}{
		{"required", "", `{"dataElements":[{"id":"deUid000002","name":"X"}]}`, "E4000"},
		{"unique code", "", `{"categoryOptions":[{"id":"coUid000002","name":"Other","shortName":"Other","code":"M"}]}`, "E5003"},
		{"create existing", "?importStrategy=CREATE", `{"categoryOptions":[{"id":"coUid000001","name":"Male","shortName":"Male"}]}`, "E5000"},
		{"update missing", "?importStrategy=UPDATE", `{"categoryOptions":[{"id":"coUid000009","name":"N","shortName":"N"}]}`, "E5001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := c.json("POST", "/api/metadata"+tc.query, tc.body, 409)
			codes := errorCodes(importReportBody(m))
			if len(codes) == 0 || !strings.HasPrefix(codes[0], tc.code) {
				t.Fatalf("codes %v, want %s", codes, tc.code)
			}
		})
	}
	// Delete of a referenced object is refused (E4030); deleting the dependent first works.
	c.json("POST", "/api/metadata", `{"categories":[{"id":"caUid000001","name":"Sex","dataDimensionType":"DISAGGREGATION","categoryOptions":[{"id":"coUid000001"}]}]}`, 200)
	m := c.json("POST", "/api/metadata?importStrategy=DELETE", `{"categoryOptions":[{"id":"coUid000001"}]}`, 409)
	if codes := errorCodes(importReportBody(m)); len(codes) != 1 || !strings.HasPrefix(codes[0], "E4030") {
		t.Fatalf("delete referenced: %v", codes)
	}
	// Deleting both in one payload works: the referencing category goes too.
	m = c.json("POST", "/api/metadata?importStrategy=DELETE", `{"categories":[{"id":"caUid000001"}],"categoryOptions":[{"id":"coUid000001"}]}`, 200)
	if dig(m, "response", "stats", "deleted") != float64(2) {
		t.Fatalf("delete both: %v", m)
	}
	d := c.json("GET", "/api/deletedObjects?klass=Category", nil, 200)
	if dig(d, "deletedObjects", 0, "uid") != "caUid000001" || dig(d, "deletedObjects", 1) != nil {
		t.Fatalf("deletedObjects: %v", d)
	}
}

// createMissingDependencies does what an administrator does before importing a package: it validates the
// payload (importMode=VALIDATE) and creates the objects the package references but does not contain
// (org units of data sets, shared category combos).
func createMissingDependencies(t *testing.T, c *client, body []byte) {
	t.Helper()
	_, out, _ := c.do("POST", "/api/metadata?importMode=VALIDATE", body)
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	missing := map[string]string{}
	for _, tr := range asList(importReportBody(m)["typeReports"]) {
		for _, or := range asList(dig(tr, "objectReports")) {
			for _, e := range asList(dig(or, "errorReports")) {
				if dig(e, "errorCode") == "E5002" {
					missing[dig(e, "value").(string)] = dig(e, "errorKlass").(string)
				}
			}
		}
	}
	if len(missing) == 0 {
		return
	}
	deps := map[string][]any{}
	for id, klass := range missing {
		switch klass {
		case "org.hisp.dhis.organisationunit.OrganisationUnit":
			deps["organisationUnits"] = append(deps["organisationUnits"], map[string]any{"id": id, "name": "OU " + id, "shortName": "OU " + id, "openingDate": "2000-01-01"})
		case "org.hisp.dhis.category.CategoryCombo":
			deps["categoryCombos"] = append(deps["categoryCombos"], map[string]any{"id": id, "name": "CC " + id, "dataDimensionType": "DISAGGREGATION", "categories": []any{map[string]any{"id": defaultCategory}}})
		default:
			t.Fatalf("unexpected missing dependency %s (%s)", id, klass)
		}
	}
	c.json("POST", "/api/metadata", deps, 200)
}

func TestCategoryOptionCombosGenerated(t *testing.T) {
	s, c := newClient(t, "2.41.0")
	c.json("POST", "/api/metadata", `{
	 "categoryOptions":[{"id":"coMale00001","name":"Male","shortName":"Male"},{"id":"coFemale001","name":"Female","shortName":"Female"},
	                    {"id":"coU5000001a","name":"<5","shortName":"<5"},{"id":"co5plus0001","name":"5+","shortName":"5+"}],
	 "categories":[{"id":"caSex000001","name":"Sex","dataDimensionType":"DISAGGREGATION","categoryOptions":[{"id":"coMale00001"},{"id":"coFemale001"}]},
	               {"id":"caAge000001","name":"Age","dataDimensionType":"DISAGGREGATION","categoryOptions":[{"id":"coU5000001a"},{"id":"co5plus0001"}]}],
	 "categoryCombos":[{"id":"ccSexAge001","name":"Sex and age","dataDimensionType":"DISAGGREGATION","categories":[{"id":"caSex000001"},{"id":"caAge000001"}]}],
	 "categoryOptionCombos":[{"id":"cocMaleU501","name":"Male, <5","categoryCombo":{"id":"ccSexAge001"},"categoryOptions":[{"id":"coMale00001"},{"id":"coU5000001a"}]}]
	}`, 200)
	var mine []map[string]any
	for _, coc := range s.Objects("categoryOptionCombos") {
		if refID(coc["categoryCombo"]) == "ccSexAge001" {
			mine = append(mine, coc)
		}
	}
	if len(mine) != 4 {
		t.Fatalf("want 4 COCs, got %d", len(mine))
	}
	names := map[string]string{}
	for _, m := range mine {
		names[m["name"].(string)] = m["id"].(string)
	}
	if names["Male, <5"] != "cocMaleU501" {
		t.Fatalf("payload COC UID not kept: %v", names)
	}
	if _, ok := names["Female, 5+"]; !ok {
		t.Fatalf("missing generated COC: %v", names)
	}
}
