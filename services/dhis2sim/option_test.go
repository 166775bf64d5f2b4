package dhis2sim

import (
	"strings"
	"testing"
)

// Option codes and names are unique within an option set only (OptionObjectBundleHook.checkDuplicateOption,
// E4028); two sets may both have POSITIVE, also when the options are sent again as updates.
func TestOptionCodesAreUniquePerOptionSet(t *testing.T) {
	const sets = `{"optionSets":[
	  {"id":"osUid000001","name":"Malaria result","valueType":"TEXT","options":[{"id":"opUid000001"},{"id":"opUid000002"}]},
	  {"id":"osUid000002","name":"HIV status","valueType":"TEXT","options":[{"id":"opUid000003"},{"id":"opUid000004"}]}],
	 "options":[
	  {"id":"opUid000001","name":"Positive","code":"POSITIVE","sortOrder":1,"optionSet":{"id":"osUid000001"}},
	  {"id":"opUid000002","name":"Negative","code":"NEGATIVE","sortOrder":2,"optionSet":{"id":"osUid000001"}},
	  {"id":"opUid000003","name":"Positive","code":"POSITIVE","sortOrder":1,"optionSet":{"id":"osUid000002"}},
	  {"id":"opUid000004","name":"Negative","code":"NEGATIVE","sortOrder":2,"optionSet":{"id":"osUid000002"}}]}`
	for _, v := range []string{"2.36.0", "2.41.0"} {
		t.Run(v, func(t *testing.T) {
			_, c := newClient(t, v)
			for run := 1; run <= 2; run++ { // the second run updates every option
				m := c.json("POST", "/api/metadata", sets, 200)
				if rep := importReportBody(m); rep["status"] != "OK" {
					t.Fatalf("run %d: status %v, errors %v", run, rep["status"], errorCodes(rep))
				}
			}
			cases := []struct{ name, body string }{
				{"same code in the set", `{"options":[{"id":"opUid000005","name":"Pos","code":"POSITIVE","optionSet":{"id":"osUid000001"}}]}`},
				{"same name in the set", `{"options":[{"id":"opUid000005","name":"Positive","code":"POS","optionSet":{"id":"osUid000001"}}]}`},
			}
			for _, tc := range cases {
				code, body, _ := c.do("POST", "/api/metadata", tc.body)
				if v >= "2.38" && code != 409 || v < "2.38" && code != 200 {
					t.Fatalf("%s: HTTP %d", tc.name, code)
				}
				if !strings.Contains(string(body), `"E4028"`) || !strings.Contains(string(body), "Option set `osUid000001` already contains option `opUid000001`") {
					t.Fatalf("%s: want E4028, got %s", tc.name, truncate(body))
				}
			}
			// A new option with a code of another set is fine.
			m := c.json("POST", "/api/metadata", `{"options":[{"id":"opUid000006","name":"Unknown","code":"UNKNOWN","optionSet":{"id":"osUid000001"}},
			  {"id":"opUid000007","name":"Indeterminate","code":"INDETERMINATE","optionSet":{"id":"osUid000002"}}]}`, 200)
			if rep := importReportBody(m); rep["status"] != "OK" {
				t.Fatalf("new options: %v", errorCodes(rep))
			}
		})
	}
}
