package metadataplan

// Family is a group of metadata types as administrators think of them; its Name is the enum name of
// dhis2sync.config.v1.MetadataFamily.
type Family struct {
	Name      string
	Resources []string
}

// families maps each MetadataFamily to the DHIS2 plurals it copies. Every type of schemaOrder belongs to
// exactly one family (tested).
var families = []Family{
	{"METADATA_FAMILY_USERS", []string{"userRoles", "users", "userGroups"}},
	{"METADATA_FAMILY_ORGANISATION", []string{"organisationUnits", "organisationUnitLevels", "organisationUnitGroups", "organisationUnitGroupSets"}},
	{"METADATA_FAMILY_CATEGORIES", []string{"categoryOptions", "categoryOptionGroups", "categoryOptionGroupSets", "categories", "categoryCombos", "categoryOptionCombos"}},
	{"METADATA_FAMILY_OPTIONS", []string{"options", "optionSets", "optionGroups", "optionGroupSets"}},
	{"METADATA_FAMILY_DATA_ELEMENTS", []string{"dataElements", "dataElementGroups", "dataElementGroupSets"}},
	{"METADATA_FAMILY_INDICATORS", []string{"indicatorTypes", "indicators", "indicatorGroups", "indicatorGroupSets"}},
	{"METADATA_FAMILY_DATA_SETS", []string{"dataEntryForms", "dataSets", "dataSetNotificationTemplates", "sections", "dataApprovalLevels", "dataApprovalWorkflows"}},
	{"METADATA_FAMILY_TRACKER", []string{"trackedEntityAttributes", "trackedEntityTypes", "relationshipTypes", "trackedEntityInstanceFilters"}},
	{"METADATA_FAMILY_PROGRAMS", []string{"programNotificationTemplates", "programStageSections", "programStages", "programs", "programSections", "programIndicators", "programIndicatorGroups", "eventFilters", "programStageWorkingLists", "programTrackedEntityAttributeGroups"}},
	{"METADATA_FAMILY_PROGRAM_RULES", []string{"programRuleVariables", "programRuleActions", "programRules"}},
	{"METADATA_FAMILY_VALIDATION", []string{"validationRules", "validationRuleGroups", "validationNotificationTemplates"}},
	{"METADATA_FAMILY_PREDICTORS", []string{"predictors", "predictorGroups"}},
	{"METADATA_FAMILY_LEGENDS", []string{"legendSets"}},
	{"METADATA_FAMILY_SYSTEM", []string{"attributes", "constants", "sqlViews", "smsCommands", "analyticsTableHooks", "aggregateDataExchanges"}},
	{"METADATA_FAMILY_ANALYTICS", []string{"expressionDimensionItems", "visualizations", "eventVisualizations", "eventCharts", "eventReports", "maps", "externalMapLayers", "reports", "documents", "dashboards", "pushAnalysis", "charts", "reportTables"}},
}

// Families returns every family with its resources.
func Families() []Family {
	out := make([]Family, len(families))
	for i, f := range families {
		out[i] = Family{Name: f.Name, Resources: append([]string(nil), f.Resources...)}
	}
	return out
}
