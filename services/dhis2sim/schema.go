package dhis2sim

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
)

// The schema files are the /api/schemas of real DHIS2 servers of versions 2.36, 2.37, 2.40 and 2.41, as
// generated into the npm package @eyeseetea/d2-api (1.16.0 and 1.20.0). They drive the simulator as data:
// which types exist, their endpoints, klass names, owner properties and references.
//
//go:embed schemas/*.json.gz
var schemaFS embed.FS

// rawSchemaFile is the layout of an embedded schema file.
type rawSchemaFile struct {
	Version string              `json:"version"`
	Models  map[string]rawModel `json:"models"`
}

type rawModel struct {
	Klass       string                 `json:"klass"`
	Singular    string                 `json:"singular"`
	Metadata    bool                   `json:"metadata"`
	Embedded    bool                   `json:"embedded"`
	Shareable   bool                   `json:"shareable"`
	APIEndpoint *string                `json:"apiEndpoint"`
	Properties  map[string]rawProperty `json:"properties"`
}

type rawProperty struct {
	Type      string `json:"type"`
	Klass     string `json:"klass,omitempty"`
	ItemType  string `json:"itemType,omitempty"`
	ItemKlass string `json:"itemKlass,omitempty"`
	Owner     bool   `json:"owner,omitempty"`
}

// Property is one normalised schema property. Name is the JSON field name (the plural "fieldName" for
// collections: the generated files carry DHIS2's singular property "name", e.g. "dataSetElement").
type Property struct {
	Name       string
	Type       string // DHIS2 propertyType: REFERENCE, COLLECTION, COMPLEX, TEXT, DATE, ...
	Klass      string // referenced klass, or item klass for collections
	Collection bool
	Reference  bool // REFERENCE, or COLLECTION of REFERENCE, to an identifiable (non-embedded) type
	Embedded   bool // value is (a list of) embedded objects owned by the parent
	Owner      bool
}

// Schema describes one metadata type in one DHIS2 version.
type Schema struct {
	Plural     string
	Singular   string
	Klass      string // fully qualified Java class, as in import reports
	Metadata   bool
	Embedded   bool
	Shareable  bool
	Endpoint   bool // has an /api/<plural> endpoint
	Order      int  // import order (dhis2-core DefaultObjectBundleService#commit and the schema descriptors)
	Properties map[string]*Property
	// OwnerNames lists owner property names, sorted, for fields=:owner.
	OwnerNames []string
}

// ShortKlass is the class name without the package, as used in deletedObjects.
func (s *Schema) ShortKlass() string { return s.Klass[strings.LastIndexByte(s.Klass, '.')+1:] }

// SchemaSet is every type of one simulated version.
type SchemaSet struct {
	Version Version
	byName  map[string]*Schema
	byKlass map[string]*Schema
	ordered []*Schema // metadata types in import order
}

// Lookup returns the schema of a plural type name.
func (ss *SchemaSet) Lookup(plural string) (*Schema, bool) {
	s, ok := ss.byName[plural]
	return s, ok
}

// ByKlass returns the schema of a fully qualified class.
func (ss *SchemaSet) ByKlass(klass string) (*Schema, bool) {
	s, ok := ss.byKlass[klass]
	return s, ok
}

// Ordered returns the importable metadata types in DHIS2's commit order.
func (ss *SchemaSet) Ordered() []*Schema { return ss.ordered }

// importOrder is Schema.order per short class name, from the 2.42 schema descriptors (dhis2-core DefaultObjectBundleService#commit and the schema descriptors,
// core@2.42 dhis-services/dhis-service-schema/.../schema/descriptors/*SchemaDescriptor.java). 2.36 adds
// Chart/ReportTable (2000), ProgramTrackedEntityAttributeGroup (1500), ExternalFileResource (1000) and
// KeyJsonValue (9060). Types without an order sort last, as with Ordered.LOWEST_PRECEDENCE.
var importOrder = map[string]int{
	"Attribute": 100, "UserRole": 100, "User": 101, "UserGroup": 102,
	"Expression": 1000, "ExpressionDimensionItem": 1000, "ExternalFileResource": 1000, "SqlView": 1010,
	"Constant": 1030, "JobConfiguration": 1040, "Option": 1040, "OptionSet": 1050, "OptionGroup": 1051,
	"OptionGroupSet": 1051, "LegendSet": 1080,
	"OrganisationUnit": 1100, "OrganisationUnitLevel": 1110, "OrganisationUnitGroup": 1120,
	"OrganisationUnitGroupSet": 1130,
	"CategoryOption":           1140, "CategoryOptionGroup": 1150, "CategoryOptionGroupSet": 1160, "Category": 1170,
	"CategoryCombo": 1180, "CategoryOptionCombo": 1190,
	"DataElement": 1200, "Route": 1200, "DataElementGroup": 1210, "DataElementGroupSet": 1220,
	"AnalyticsTableHook": 1240, "IndicatorType": 1240, "Indicator": 1250, "IndicatorGroup": 1260,
	"IndicatorGroupSet": 1270,
	"DataEntryForm":     1300, "DataSet": 1310, "DataSetNotificationTemplate": 1311, "Section": 1320,
	"DataApprovalLevel": 1370, "DataApprovalWorkflow": 1380, "ValidationRule": 1390,
	"ValidationRuleGroup": 1400, "ValidationNotificationTemplate": 1410,
	"TrackedEntityAttribute": 1450, "TrackedEntityType": 1480, "TrackedEntityTypeAttribute": 1500,
	"ProgramTrackedEntityAttributeGroup": 1500,
	"ProgramNotificationInstance":        1508, "ProgramNotificationTemplate": 1508, "ProgramStageSection": 1508,
	"ProgramStage": 1509, "SMSCommand": 1509, "SmsCommand": 1509, "Program": 1520,
	"EventChart": 1540, "ProgramSection": 1550, "ProgramIndicator": 1560, "ProgramIndicatorGroup": 1600,
	"ProgramRuleVariable": 1600, "RelationshipType": 1600, "ProgramRuleAction": 1610, "ProgramRule": 1620,
	"EventReport":           1640,
	"AggregateDataExchange": 1900, "EventHook": 1900, "MapView": 1900,
	"Document": 2000, "EventVisualization": 2000, "ExternalMapLayer": 2000, "Map": 2000, "Report": 2000,
	"ValidationResult": 2000, "Visualization": 2000, "Chart": 2000, "ReportTable": 2000,
	"Predictor": 2001, "PredictorGroup": 2002,
	"DashboardItem": 3500, "Dashboard": 3501, "PushAnalysis": 3502, "DatastoreEntry": 9060, "KeyJsonValue": 9060,
}

// inverseCollections lists collections that DHIS2 maps on the non-owning side (inverse="true"): they are
// readable but not part of fields=:owner and not written by an import. The generated schema files lost the
// owner flag of most collections, so the owning side is restored here from DHIS2's Hibernate mappings.
var inverseCollections = map[string]bool{
	"organisationUnits.children": true, "organisationUnits.dataSets": true, "organisationUnits.programs": true,
	"organisationUnits.users": true, "organisationUnits.userItems": true,
	"categoryOptions.categories": true, "categoryOptions.categoryOptionCombos": true,
	"categoryCombos.categoryOptionCombos": true, "categories.categoryCombos": true,
	"dataElements.dataSetElements": true, "dataSets.sections": true, "indicators.dataSets": true,
	"programs.programIndicators": true, "programs.programRuleVariables": true,
	"users.userGroups": true, "userGroups.managedByGroups": true,
	"optionSets.optionGroups": true, "userRoles.users": true,
}

// ownedScalarCollections are collections of strings that DHIS2 stores on the object itself (Hibernate
// element sets) but whose owner flag the generated schema files lost. A user role's authorities are what
// makes it a role: core UserRole.hbm.xml maps "authorities" (table userroleauthorities) and "restrictions"
// (userrolerestrictions) on the role, so fields=:owner exports them and an import writes them.
var ownedScalarCollections = map[string]bool{"userRoles.authorities": true, "userRoles.restrictions": true}

// nonOwnerEverywhere are collections never owned (computed or per-user).
var nonOwnerEverywhere = map[string]bool{"favorites": true, "interpretations": true, "userItems": true}

func pluralise(name string) string {
	switch {
	case name == "child":
		return "children"
	case name == "userItem":
		return "users"
	case strings.HasSuffix(name, "s"):
		return name
	case strings.HasSuffix(name, "y") && !strings.HasSuffix(name, "ay") && !strings.HasSuffix(name, "ey") && !strings.HasSuffix(name, "oy"):
		return name[:len(name)-1] + "ies"
	}
	return name + "s"
}

func loadRawSchemas(file string) (*rawSchemaFile, error) {
	f, err := schemaFS.Open("schemas/" + file + ".json.gz")
	if err != nil {
		return nil, fmt.Errorf("open schema %s: %w", file, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("gunzip schema %s: %w", file, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("read schema %s: %w", file, err)
	}
	var raw rawSchemaFile
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode schema %s: %w", file, err)
	}
	return &raw, nil
}

// rawModelsFor returns the generated models of a version. 2.38, 2.39 and 2.42 have no generated copy; they are
// derived from the nearest file plus the changes in docs/dhis2-versions.md:
//   - 2.38 = 2.37 + EventVisualization (2.40's model) + flat users (2.40's User: username/userRoles at the top
//     level, userCredentials kept as a DTO).
//   - 2.39 = 2.40 − {EventHook, Route, ExpressionDimensionItem, ProgramStageWorkingList} +
//     ProgramTrackedEntityAttributeGroup (2.37's model), since those four arrived in 2.40 and the group left then.
//   - 2.42 = 2.41 − UserCredentials (schema removed; users are flat only).
func rawModelsFor(minor int) (map[string]rawModel, error) {
	load := func(f string) (map[string]rawModel, error) {
		r, err := loadRawSchemas(f)
		if err != nil {
			return nil, err
		}
		return r.Models, nil
	}
	switch minor {
	case 36, 37, 40, 41:
		return load(fmt.Sprintf("2.%d", minor))
	case 38, 39:
		m37, err := load("2.37")
		if err != nil {
			return nil, err
		}
		m40, err := load("2.40")
		if err != nil {
			return nil, err
		}
		if minor == 38 {
			m37["eventVisualizations"] = m40["eventVisualizations"]
			m37["users"] = m40["users"]
			return m37, nil
		}
		for _, k := range []string{"eventHooks", "routes", "expressionDimensionItems", "programStageWorkingLists"} {
			delete(m40, k)
		}
		m40["programTrackedEntityAttributeGroups"] = m37["programTrackedEntityAttributeGroups"]
		return m40, nil
	case 42:
		m41, err := load("2.41")
		if err != nil {
			return nil, err
		}
		delete(m41, "userCredentials")
		u := m41["users"]
		props := make(map[string]rawProperty, len(u.Properties))
		for k, v := range u.Properties {
			if k != "userCredentials" {
				props[k] = v
			}
		}
		u.Properties = props
		m41["users"] = u
		return m41, nil
	}
	return nil, fmt.Errorf("unsupported DHIS2 version 2.%d", minor)
}

// LoadSchemas builds the schema set of a version.
func LoadSchemas(v Version) (*SchemaSet, error) {
	models, err := rawModelsFor(v.Minor)
	if err != nil {
		return nil, err
	}
	ss := &SchemaSet{Version: v, byName: map[string]*Schema{}, byKlass: map[string]*Schema{}}
	embeddedKlass := map[string]bool{}
	for _, m := range models {
		if m.Embedded {
			embeddedKlass[m.Klass] = true
		}
	}
	for plural, m := range models {
		s := &Schema{
			Plural: plural, Singular: m.Singular, Klass: m.Klass, Metadata: m.Metadata, Embedded: m.Embedded,
			Shareable: m.Shareable, Endpoint: m.APIEndpoint != nil, Properties: map[string]*Property{},
			Order: math.MaxInt32,
		}
		if o, ok := importOrder[s.ShortKlass()]; ok {
			s.Order = o
		}
		for name, rp := range m.Properties {
			p := &Property{Name: name, Type: rp.Type, Klass: rp.Klass, Owner: rp.Owner}
			if rp.Type == "COLLECTION" {
				p.Collection = true
				p.Name = pluralise(name)
				p.Klass = rp.ItemKlass
				key := plural + "." + p.Name
				switch {
				case rp.Owner:
				case nonOwnerEverywhere[p.Name] || inverseCollections[key]:
				case rp.ItemType == "REFERENCE" && isInverseGroupLink(m.Klass, rp.ItemKlass):
				case rp.ItemType == "REFERENCE" || rp.ItemType == "COMPLEX" || ownedScalarCollections[key]:
					p.Owner = true
				}
				p.Reference = rp.ItemType == "REFERENCE" && !embeddedKlass[rp.ItemKlass]
				p.Embedded = embeddedKlass[rp.ItemKlass] || rp.ItemType == "COMPLEX"
			} else if rp.Type == "REFERENCE" {
				p.Reference = !embeddedKlass[rp.Klass]
				p.Embedded = embeddedKlass[rp.Klass]
			}
			s.Properties[p.Name] = p
		}
		for name, p := range s.Properties {
			if p.Owner {
				s.OwnerNames = append(s.OwnerNames, name)
			}
		}
		sort.Strings(s.OwnerNames)
		ss.byName[plural] = s
		ss.byKlass[s.Klass] = s
	}
	for _, s := range ss.byName {
		if s.Metadata && !s.Embedded && s.Endpoint {
			ss.ordered = append(ss.ordered, s)
		}
	}
	sort.SliceStable(ss.ordered, func(i, j int) bool {
		if ss.ordered[i].Order != ss.ordered[j].Order {
			return ss.ordered[i].Order < ss.ordered[j].Order
		}
		return ss.ordered[i].Plural < ss.ordered[j].Plural
	})
	return ss, nil
}

// isInverseGroupLink reports whether a member→group (or group→group set) collection is the inverse side:
// DHIS2 groups own their members, group sets own their groups.
func isInverseGroupLink(hostKlass, itemKlass string) bool {
	if strings.HasSuffix(hostKlass, ".UserGroup") {
		return false // userGroups.managedGroups is owned; managedByGroups is listed explicitly
	}
	if strings.HasSuffix(itemKlass, "GroupSet") {
		return strings.HasSuffix(hostKlass, "Group")
	}
	if strings.HasSuffix(itemKlass, "Group") {
		return !strings.HasSuffix(hostKlass, "GroupSet")
	}
	return false
}
