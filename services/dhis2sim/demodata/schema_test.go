package demodata

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// The schema file is DHIS2 2.41's /api/schemas as generated into @eyeseetea/d2-api (copied from the shared
// DHIS2 reference so the repository is self-contained).
const schemaFile = "testdata/schemas-2.41.json"

type schemaProperty struct {
	Type      string `json:"type"`
	Klass     string `json:"klass"`
	ItemType  string `json:"itemType"`
	ItemKlass string `json:"itemKlass"`
	Owner     bool   `json:"owner"`
}

type schemaModel struct {
	Klass      string                    `json:"klass"`
	Shareable  bool                      `json:"shareable"`
	Embedded   bool                      `json:"embedded"`
	Properties map[string]schemaProperty `json:"properties"`
}

func loadSchemas(t *testing.T) (byPlural map[string]schemaModel, byKlass map[string]schemaModel) {
	t.Helper()
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Models map[string]schemaModel `json:"models"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	byKlass = map[string]schemaModel{}
	for _, m := range f.Models {
		byKlass[m.Klass] = m
	}
	return f.Models, byKlass
}

// The generated schema keys a collection by DHIS2's singular property name ("categoryOption" for the JSON
// field "categoryOptions") and, for those, lost the owner flag; where names collide it kept only one of the
// properties. schemaGaps lists the owner collections lost that way (UserGroup.users collides with the `user`
// creator reference).
var schemaGaps = map[string]map[string]bool{"userGroups": {"users": true}}

// lookup finds the schema property for a JSON field: by its own name, or for arrays by its singular.
func lookup(m schemaModel, field string, value any) (schemaProperty, bool) {
	if p, ok := m.Properties[field]; ok {
		return p, p.Owner
	}
	if _, isArray := value.([]any); isArray {
		candidates := []string{strings.TrimSuffix(field, "s"), strings.TrimSuffix(field, "es")}
		if s, ok := strings.CutSuffix(field, "ies"); ok {
			candidates = append(candidates, s+"y")
		}
		for _, c := range candidates {
			if p, ok := m.Properties[c]; ok && p.Type == "COLLECTION" {
				return p, true
			}
		}
	}
	return schemaProperty{}, false
}

// TestMetadataMatchesSchema checks every property of every exported object (and of owned embedded objects)
// against the 2.41 owner properties of its type, and the shape of references, collections and sharing.
func TestMetadataMatchesSchema(t *testing.T) {
	byPlural, byKlass := loadSchemas(t)
	md := New(13, Small).Metadata()
	var checkObject func(where, typ string, m schemaModel, o map[string]any)
	checkObject = func(where, typ string, m schemaModel, o map[string]any) {
		for field, value := range o {
			p, ok := lookup(m, field, value)
			if !ok && !schemaGaps[typ][field] {
				t.Errorf("%s: %q is not an owner property of %s", where, field, m.Klass)
				continue
			}
			switch {
			case p.Type == "REFERENCE":
				if r, ok := value.(map[string]any); !ok || len(r) != 1 || r["id"] == nil {
					t.Errorf("%s.%s: reference is %v, want {\"id\": uid}", where, field, value)
				}
			case p.Type == "COLLECTION":
				items, ok := value.([]any)
				if !ok {
					t.Errorf("%s.%s: collection is %T", where, field, value)
					continue
				}
				for _, it := range items {
					// Owned embedded objects (programStageDataElements, dashboardItems, …) are listed as
					// references in the schema but exported inline.
					if em, ok := byKlass[p.ItemKlass]; ok && em.Embedded {
						if eo, ok := it.(map[string]any); ok {
							checkObject(where+"."+field, "", em, eo)
							continue
						}
					}
					switch p.ItemType {
					case "REFERENCE":
						if r, ok := it.(map[string]any); !ok || len(r) != 1 || r["id"] == nil {
							t.Errorf("%s.%s: item %v is not a reference", where, field, it)
						}
					case "COMPLEX":
						if em, ok := byKlass[p.ItemKlass]; ok {
							checkObject(where+"."+field, "", em, it.(map[string]any))
						}
					}
				}
			case p.Type == "COMPLEX" && field != "sharing":
				if em, ok := byKlass[p.Klass]; ok {
					checkObject(where+"."+field, "", em, value.(map[string]any))
				}
			}
		}
	}
	for typ, objs := range md {
		m, ok := byPlural[typ]
		if !ok {
			t.Errorf("%s is not a DHIS2 2.41 type", typ)
			continue
		}
		for _, o := range objs {
			where := typ + " " + o["id"].(string)
			checkObject(where, typ, m, o)
			sharing, has := o["sharing"].(map[string]any)
			if has != m.Shareable {
				t.Errorf("%s: has sharing %v, type shareable %v", where, has, m.Shareable)
			}
			if has {
				for _, k := range []string{"owner", "external", "public", "users", "userGroups"} {
					if _, ok := sharing[k]; !ok {
						t.Errorf("%s: sharing lacks %q", where, k)
					}
				}
			}
		}
	}
	for _, required := range []string{"organisationUnits", "organisationUnitLevels", "organisationUnitGroups",
		"organisationUnitGroupSets", "categoryOptions", "categories", "categoryCombos", "categoryOptionCombos",
		"optionSets", "options", "dataElements", "dataElementGroups", "indicatorTypes", "indicators", "dataSets",
		"sections", "validationRules", "legendSets", "users", "userRoles", "userGroups", "programs", "programStages",
		"trackedEntityTypes", "trackedEntityAttributes", "programRuleVariables", "programRules", "programRuleActions",
		"relationshipTypes", "visualizations", "maps", "dashboards"} {
		if len(md[required]) == 0 {
			t.Errorf("no %s in the export", required)
		}
	}
}
