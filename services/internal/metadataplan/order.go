package metadataplan

import (
	"cmp"
	"maps"
	"slices"
)

// TypeOrder is one metadata type with the commit order DHIS2 gives it.
type TypeOrder struct {
	// Resource is the API plural, e.g. "categoryCombos".
	Resource string
	// Class is DHIS2's Java class name as import reports print it.
	Class string
	// Order is the schema descriptor's setOrder value.
	Order int
}

// lowestPrecedence is what DHIS2 gives descriptors that set no order (Spring's Ordered.LOWEST_PRECEDENCE):
// they are committed last.
const lowestPrecedence = 1<<31 - 1

// schemaOrder is DHIS2's metadata commit order (order values of the 2.42 schema descriptors,
// core@2.42 dhis-services/dhis-service-schema/.../schema/descriptors/*SchemaDescriptor.java, setOrder(n)).
// Ties keep DHIS2's insertion order. Types DHIS2 orders but dhis2sync does not copy are listed in excluded.
// 2.36–2.41 differ only by types that are absent there (docs/dhis2-versions.md); the extractor skips those.
var schemaOrder = []TypeOrder{
	{"attributes", "Attribute", 100},
	{"userRoles", "UserRole", 100},
	{"users", "User", 101},
	{"userGroups", "UserGroup", 102},
	{"expressionDimensionItems", "ExpressionDimensionItem", 1000},
	{"sqlViews", "SqlView", 1010},
	{"constants", "Constant", 1030},
	{"options", "Option", 1040},
	{"optionSets", "OptionSet", 1050},
	{"optionGroups", "OptionGroup", 1051},
	{"optionGroupSets", "OptionGroupSet", 1051},
	{"legendSets", "LegendSet", 1080},
	{"organisationUnits", "OrganisationUnit", 1100},
	{"organisationUnitLevels", "OrganisationUnitLevel", 1110},
	{"organisationUnitGroups", "OrganisationUnitGroup", 1120},
	{"organisationUnitGroupSets", "OrganisationUnitGroupSet", 1130},
	{"categoryOptions", "CategoryOption", 1140},
	{"categoryOptionGroups", "CategoryOptionGroup", 1150},
	{"categoryOptionGroupSets", "CategoryOptionGroupSet", 1160},
	{"categories", "Category", 1170},
	{"categoryCombos", "CategoryCombo", 1180},
	{"categoryOptionCombos", "CategoryOptionCombo", 1190},
	{"dataElements", "DataElement", 1200},
	{"dataElementGroups", "DataElementGroup", 1210},
	{"dataElementGroupSets", "DataElementGroupSet", 1220},
	{"analyticsTableHooks", "AnalyticsTableHook", 1240},
	{"indicatorTypes", "IndicatorType", 1240},
	{"indicators", "Indicator", 1250},
	{"indicatorGroups", "IndicatorGroup", 1260},
	{"indicatorGroupSets", "IndicatorGroupSet", 1270},
	{"dataEntryForms", "DataEntryForm", 1300},
	{"dataSets", "DataSet", 1310},
	{"dataSetNotificationTemplates", "DataSetNotificationTemplate", 1311},
	{"sections", "Section", 1320},
	{"dataApprovalLevels", "DataApprovalLevel", 1370},
	{"dataApprovalWorkflows", "DataApprovalWorkflow", 1380},
	{"validationRules", "ValidationRule", 1390},
	{"validationRuleGroups", "ValidationRuleGroup", 1400},
	{"validationNotificationTemplates", "ValidationNotificationTemplate", 1410},
	{"trackedEntityAttributes", "TrackedEntityAttribute", 1450},
	{"trackedEntityTypes", "TrackedEntityType", 1480},
	{"programNotificationTemplates", "ProgramNotificationTemplate", 1508},
	{"programStageSections", "ProgramStageSection", 1508},
	{"programStages", "ProgramStage", 1509},
	{"smsCommands", "SMSCommand", 1509},
	{"programs", "Program", 1520},
	{"eventCharts", "EventChart", 1540},
	{"programSections", "ProgramSection", 1550},
	{"programIndicators", "ProgramIndicator", 1560},
	{"programIndicatorGroups", "ProgramIndicatorGroup", 1600},
	{"programRuleVariables", "ProgramRuleVariable", 1600},
	{"relationshipTypes", "RelationshipType", 1600},
	{"programRuleActions", "ProgramRuleAction", 1610},
	{"programRules", "ProgramRule", 1620},
	{"eventReports", "EventReport", 1640},
	{"aggregateDataExchanges", "AggregateDataExchange", 1900},
	{"documents", "Document", 2000},
	{"eventVisualizations", "EventVisualization", 2000},
	{"externalMapLayers", "ExternalMapLayer", 2000},
	{"maps", "Map", 2000},
	{"reports", "Report", 2000},
	{"visualizations", "Visualization", 2000},
	{"predictors", "Predictor", 2001},
	{"predictorGroups", "PredictorGroup", 2002},
	{"dashboards", "Dashboard", 3501},
	{"pushAnalysis", "PushAnalysis", 3502},
	// Descriptors without setOrder (LOWEST_PRECEDENCE) in 2.40–2.42: committed after everything else.
	{"trackedEntityInstanceFilters", "TrackedEntityFilter", lowestPrecedence},
	{"eventFilters", "EventFilter", lowestPrecedence},
	{"programStageWorkingLists", "ProgramStageWorkingList", lowestPrecedence},
	// 2.36 only (removed in 2.37 and 2.40, docs/dhis2-versions.md): Chart and ReportTable at 2000,
	// ProgramTrackedEntityAttributeGroup at 1500.
	{"programTrackedEntityAttributeGroups", "ProgramTrackedEntityAttributeGroup", 1500},
	{"charts", "Chart", 2000},
	{"reportTables", "ReportTable", 2000},
}

// excluded are metadata types DHIS2 orders that dhis2sync deliberately does not copy, with the reason.
var excluded = map[string]string{
	"JobConfiguration":            "scheduler jobs belong to one server (they run its maintenance and analytics)",
	"Route":                       "routes hold credentials of the server's outbound integrations",
	"EventHook":                   "event hooks hold credentials of the server's outbound integrations",
	"ProgramNotificationInstance": "scheduled notification instances are run-time data, not configuration",
	"ValidationResult":            "validation results are computed data, not configuration",
	"DatastoreEntry":              "the data store is application data, not served by /api/metadata",
	"KeyJsonValue":                "the data store is application data, not served by /api/metadata",
	"MapView":                     "map views are owned by and embedded in maps",
	"DashboardItem":               "dashboard items are owned by and embedded in dashboards",
	"TrackedEntityTypeAttribute":  "owned by and embedded in tracked entity types",
	"Expression":                  "expressions are owned by and embedded in the objects that use them",
	"ExternalFileResource":        "file resources are uploaded content, not configuration",
	"OAuth2Client":                "OAuth2 clients hold secrets of one server",
	"ApiToken":                    "personal access tokens are secrets of one server",
}

// Order returns every copied metadata type in DHIS2's commit order; ties keep the table's order, as DHIS2's
// OrderComparator (a stable sort) does.
func Order() []TypeOrder {
	out := slices.Clone(schemaOrder)
	slices.SortStableFunc(out, func(a, b TypeOrder) int { return cmp.Compare(a.Order, b.Order) })
	return out
}

// Excluded returns the DHIS2 classes that have an import order but are never copied, each with the reason.
func Excluded() map[string]string { return maps.Clone(excluded) }
