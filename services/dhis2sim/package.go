package dhis2sim

import (
	"bytes"
	"fmt"
	"sort"
)

// ImportPackage imports a metadata package (a /api/metadata payload) the way an administrator installs one
// on a fresh server: it validates the package, creates the organisation units and category combos the
// package references without containing them (packages are built to be mapped onto a country's own
// hierarchy and disaggregations), then imports it. Any other error is returned.
func (s *Server) ImportPackage(body []byte) error {
	payload, err := s.decodeMetadata(bytes.NewReader(body))
	if err != nil {
		return err
	}
	validate, _ := parseImportParams(map[string][]string{"importMode": {"VALIDATE"}}, s.opts.Username)
	rep := s.importMetadata(copyPayload(payload), validate)
	missing := map[string]string{} // uid -> klass
	for _, tr := range rep.TypeReports {
		for _, or := range tr.ObjectReports {
			for _, e := range or.ErrorReports {
				if e.ErrorCode == "E5002" {
					if id, ok := e.Value.(string); ok {
						missing[id] = e.ErrorKlass
					}
				}
			}
		}
	}
	ids := make([]string, 0, len(missing))
	for id := range missing {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	deps := map[string][]map[string]any{}
	for _, id := range ids {
		switch klass := missing[id]; klass {
		case "org.hisp.dhis.organisationunit.OrganisationUnit":
			deps["organisationUnits"] = append(deps["organisationUnits"], map[string]any{"id": id, "name": "OU " + id,
				"shortName": "OU " + id, "openingDate": "2000-01-01"})
		case "org.hisp.dhis.category.CategoryCombo":
			deps["categoryCombos"] = append(deps["categoryCombos"], map[string]any{"id": id, "name": "CC " + id,
				"dataDimensionType": "DISAGGREGATION", "categories": []any{ref(defaultCategory)}})
		default:
			return fmt.Errorf("package references a missing %s %s", klass, id)
		}
	}
	commit, _ := parseImportParams(nil, s.opts.Username)
	if len(deps) > 0 {
		if err := reportError(s.importMetadata(deps, commit)); err != nil {
			return fmt.Errorf("create the package's dependencies: %w", err)
		}
	}
	return reportError(s.importMetadata(payload, commit))
}

func copyPayload(p map[string][]map[string]any) map[string][]map[string]any {
	out := make(map[string][]map[string]any, len(p))
	for k, list := range p {
		c := make([]map[string]any, len(list))
		for i, o := range list {
			c[i] = copyObj(o)
		}
		out[k] = c
	}
	return out
}
