package dhis2sim

import (
	"slices"
	"testing"
)

// The objects every DHIS2 starts with look like any other object of their type: the Superuser role carries
// its sharing (every shareable object has one) and exports its authorities with fields=:owner.
func TestSeededSuperuserRoleIsAnOrdinaryRole(t *testing.T) {
	for _, v := range allVersions {
		t.Run(v, func(t *testing.T) {
			s, c := newClient(t, v)
			role := c.json("GET", "/api/userRoles/"+adminRoleUID+"?fields=:owner", nil, 200)
			if sh, ok := role["sharing"].(map[string]any); !ok || sh["public"] != "--------" {
				t.Errorf("sharing %v, want the private default", role["sharing"])
			}
			if got := asList(role["authorities"]); !slices.Contains(got, any("ALL")) {
				t.Errorf("authorities %v, want ALL", role["authorities"])
			}
			// What an import writes is what a read returns, authorities included.
			if err := s.PutObject("userRoles", map[string]any{"id": "roleUid0001", "name": "Clerk",
				"authorities": []any{"F_DATAVALUE_ADD"}}); err != nil {
				t.Fatal(err)
			}
			got := c.json("GET", "/api/userRoles/roleUid0001?fields=:owner", nil, 200)
			if a := asList(got["authorities"]); len(a) != 1 || a[0] != "F_DATAVALUE_ADD" {
				t.Errorf("imported authorities %v", got["authorities"])
			}
		})
	}
}

func TestImportPackageCreatesMissingDependencies(t *testing.T) {
	s, c := newClient(t, "2.39.1")
	if err := s.ImportPackage(readSample(t, "metadata_export_aggregate_e2e.json")); err != nil {
		t.Fatal(err)
	}
	m := c.json("GET", "/api/dataSets?fields=id&paging=false", nil, 200)
	if len(asList(m["dataSets"])) == 0 {
		t.Fatal("no data sets imported")
	}
	if err := s.ImportPackage([]byte(`{"dataElements":[{"id":"deUid000001","name":"X","shortName":"X","valueType":"NUMBER",
		"aggregationType":"SUM","domainType":"AGGREGATE","optionSet":{"id":"osMissing01"}}]}`)); err == nil {
		t.Fatal("a package referencing a missing option set was imported")
	}
}
