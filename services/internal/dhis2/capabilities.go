package dhis2

// This file is the version table: every behaviour that differs between DHIS2
// releases is a row here, keyed by the first version that has it and, where
// it went away, the first version that no longer has it. What each feature
// means and its DHIS2 source are in featureNotes (versions_doc.go), printed
// as docs/dhis2-versions.md.

// span is a half-open version interval [since, until). A zero until means
// "still present".
type span struct{ since, until Version }

func (s span) contains(v Version) bool {
	if v.Less(s.since) {
		return false
	}
	return s.until.IsZero() || v.Less(s.until)
}

func v2(minor int) Version              { return Version{Major: 2, Minor: minor} }
func v3(minor, patch int) Version       { return Version{Major: 2, Minor: minor, Patch: patch} }
func from(minor int) span               { return span{since: v2(minor)} }
func before(minor int) span             { return span{until: v2(minor)} }
func between(since, until Version) span { return span{since: since, until: until} }

// Feature names one version-dependent behaviour.
type Feature string

const (
	// FeatureWrappedImportReports: unversioned imports answer with a WebMessage
	// whose "response" holds the report, and report errors come with HTTP 409.
	FeatureWrappedImportReports Feature = "wrapped-import-reports"
	// FeatureDetailedImportConflicts: ImportConflict has errorCode, objects, property, indexes.
	FeatureDetailedImportConflicts Feature = "detailed-import-conflicts"
	// FeatureRejectedIndexes: ImportSummary lists rejectedIndexes.
	FeatureRejectedIndexes Feature = "rejected-indexes"
	// FeatureTrackerPagerObject: tracker exports carry a "pager" object and plural list keys.
	FeatureTrackerPagerObject Feature = "tracker-pager-object"
	// FeatureTrackerFlatPager: tracker exports carry page/pageSize at the root.
	FeatureTrackerFlatPager Feature = "tracker-flat-pager"
	// FeatureTrackerInstancesKey: tracker export lists are under "instances".
	FeatureTrackerInstancesKey Feature = "tracker-instances-key"
	// FeatureTrackerSkipPaging: skipPaging=true disables tracker paging; later paging=false.
	FeatureTrackerSkipPaging Feature = "tracker-skip-paging"
	// FeatureTrackerRenamedParams: orgUnits, orgUnitMode, trackedEntities, events, comma lists.
	FeatureTrackerRenamedParams Feature = "tracker-renamed-params"
	// FeatureTrackerReportTimings: tracker report has timingsStats.
	FeatureTrackerReportTimings Feature = "tracker-report-timings"
	// FeatureTrackerReportIndex: tracker objectReports carry index.
	FeatureTrackerReportIndex Feature = "tracker-report-index"
	// FeatureTrackerBundleStatus: tracker bundleReport has status.
	FeatureTrackerBundleStatus Feature = "tracker-bundle-status"
	// FeatureTrackerBadRequest400: tracker request validation errors use 400 instead of 409.
	FeatureTrackerBadRequest400 Feature = "tracker-bad-request-400"
	// FeatureEnrollmentAttributes: enrollments may carry their own attributes.
	FeatureEnrollmentAttributes Feature = "enrollment-attributes"
	// FeatureLegacyTracker: /api/events, /api/trackedEntityInstances, /api/enrollments exist.
	FeatureLegacyTracker Feature = "legacy-tracker"
	// FeatureLegacySharing: publicAccess/userAccesses/userGroupAccesses are returned (2.41).
	FeatureLegacySharing Feature = "legacy-sharing"
	// FeatureSharingObject: the "sharing" object exists (2.36).
	FeatureSharingObject Feature = "sharing-object"
	// FeatureUserRolesTopLevel: users carry username and userRoles at the top level (2.38).
	FeatureUserRolesTopLevel Feature = "user-roles-top-level"
	// FeatureUserCredentials: users accept the nested userCredentials object (2.42).
	FeatureUserCredentials Feature = "user-credentials"
	// FeaturePersonalAccessTokens: "Authorization: ApiToken d2pat_…" works.
	FeaturePersonalAccessTokens Feature = "personal-access-tokens"
	// FeatureMetadataXML: metadata import and export accept XML.
	FeatureMetadataXML Feature = "metadata-xml"
	// FeatureProgramStageProgramRequired: programStages must name their program (2.38).
	FeatureProgramStageProgramRequired Feature = "program-stage-program-required"
	// FeatureAPILogin: POST /api/auth/login replaces the form login.
	FeatureAPILogin Feature = "api-login"
	// FeatureEventChartsExported: eventCharts/eventReports appear in /api/metadata exports (2.39.6, 2.40.4, 2.41.1).
	FeatureEventChartsExported Feature = "event-charts-exported"
	// FeatureSystemInfoFields: /api/system/info accepts ?fields=.
	FeatureSystemInfoFields Feature = "system-info-fields"
	// FeatureTrackedEntityOrgUnitRequired: a tracked-entity export needs org units or ouMode
	// ACCESSIBLE/CAPTURE/ALL, else 409 "At least one organisation unit must be specified"
	// (DefaultTrackedEntityInstanceService.validate, TrackerTrackedEntitiesExportControllerTest);
	// from 2.41 orgUnitMode defaults to ACCESSIBLE when no org unit is given (RequestParamsValidator).
	FeatureTrackedEntityOrgUnitRequired Feature = "tracked-entity-org-unit-required"
	// FeatureRelationshipsTeiParam: /api/tracker/relationships names the tracked entity "tei" (up to
	// 2.41, deprecated there); 2.41+ reads "trackedEntity" (rel:2.41, rel:2.42).
	FeatureRelationshipsTeiParam Feature = "relationships-tei-param"
	// FeatureEventVisualizationsOnly: event charts and reports are synced as
	// eventVisualizations with the same UIDs, and dashboard items point at
	// them as eventVisualization. DHIS2 2.38 moved both into the
	// eventvisualization table (dhis2-core migration V2_38_12, which also
	// rewrites dashboard items); the deprecated endpoints are views of it.
	// Older targets get eventCharts/eventReports.
	FeatureEventVisualizationsOnly Feature = "event-visualizations-only"
	// FeatureRawPeriods: analytical objects store their periods as rawPeriods,
	// a list of RelativePeriodEnum names and fixed period ids; relativePeriods
	// is derived on read and is no longer an owner property (JSONB migration
	// V2_39_30 and later; /api/schemas of 2.40 and 2.41: rawPeriods owner,
	// relativePeriods not).
	FeatureRawPeriods Feature = "raw-periods"
	// FeatureVisualizationAxes: a visualization's axis labels, ranges, base
	// and target lines live only in axes[] (AxisV2); the flat fields
	// (rangeAxisLabel, domainAxisLabel, …) are derived on read and are no
	// longer owner properties (/api/schemas 2.36 vs 2.37; dhis2-core
	// CompatibilityGuard).
	FeatureVisualizationAxes Feature = "visualization-axes"
)

// features is the table: when each behaviour is present.
var features = map[Feature][]span{
	FeatureWrappedImportReports:        {from(38)},
	FeatureDetailedImportConflicts:     {from(37)},
	FeatureRejectedIndexes:             {from(39)},
	FeatureTrackerPagerObject:          {from(41)},
	FeatureTrackerFlatPager:            {before(42)},
	FeatureTrackerInstancesKey:         {before(41)},
	FeatureTrackerSkipPaging:           {before(41)},
	FeatureTrackerRenamedParams:        {from(41)},
	FeatureTrackerReportTimings:        {before(41)},
	FeatureTrackerReportIndex:          {before(41)},
	FeatureTrackerBundleStatus:         {before(40)},
	FeatureTrackerBadRequest400:        {from(40)},
	FeatureEnrollmentAttributes:        {before(41)},
	FeatureLegacyTracker:               {before(42)},
	FeatureLegacySharing:               {before(41)},
	FeatureSharingObject:               {from(36)},
	FeatureUserRolesTopLevel:           {from(38)},
	FeatureUserCredentials:             {before(42)},
	FeaturePersonalAccessTokens:        {from(37)},
	FeatureMetadataXML:                 {before(39)},
	FeatureProgramStageProgramRequired: {from(38)},
	FeatureAPILogin:                    {from(41)},
	FeatureEventChartsExported: {
		before(39), between(v2(39), v3(39, 6)), between(v2(40), v3(40, 4)), between(v2(41), v3(41, 1)),
	},
	FeatureSystemInfoFields:             {from(42)},
	FeatureTrackedEntityOrgUnitRequired: {before(41)},
	FeatureRelationshipsTeiParam:        {before(41)},
	FeatureEventVisualizationsOnly:      {from(38)},
	FeatureRawPeriods:                   {from(39)},
	FeatureVisualizationAxes:            {from(37)},
}

// resources lists the metadata and API collections whose existence depends on
// the version (schema diffs of 2.36/2.37/2.40/2.41 in schemas/, plus the release
// notes of 2.38, 2.39 and 2.42). Collections not listed exist in every version.
var resources = map[string][]span{
	"charts":                              {before(37)},
	"reportTables":                        {before(37)},
	"userCredentials":                     {before(37)},
	"apiToken":                            {from(37)},
	"eventVisualizations":                 {from(38)},
	"aggregateDataExchanges":              {from(39)},
	"programTrackedEntityAttributeGroups": {before(40)},
	"eventHooks":                          {from(40)},
	"routes":                              {from(40)},
	// ExpressionDimensionItem (2.40+) has no collection endpoint: its schema's apiEndpoint is null in 2.40 and
	// 2.41 (schemas/), so /api/expressionDimensionItems answers 404 and the objects travel only inside other
	// exports. Listed as absent so that per-collection reads skip it.
	"expressionDimensionItems": {},
	"programStageWorkingLists": {from(40)},
	// Legacy tracker endpoints, removed in 2.42.
	"events":                 {before(42)},
	"trackedEntityInstances": {before(42)},
	"enrollments":            {before(42)},
	"relationships":          {before(42)},
}

// defaultAPIVersions is DhisApiVersion.DEFAULT per release.
var defaultAPIVersions = map[int]int{36: 36, 37: 37, 38: 38, 39: 39, 40: 41, 41: 41, 42: 41}

func has(f Feature, v Version) bool {
	for _, s := range features[f] {
		if s.contains(v) {
			return true
		}
	}
	return false
}

// TrackerKind is one of the four tracker collections.
type TrackerKind string

const (
	TrackedEntities TrackerKind = "trackedEntities"
	Enrollments     TrackerKind = "enrollments"
	Events          TrackerKind = "events"
	Relationships   TrackerKind = "relationships"
)

// SharingFormat says how a version reads and writes sharing.
type SharingFormat int

const (
	// SharingLegacyAndObject: both the sharing object and the legacy fields (2.36–2.40).
	SharingLegacyAndObject SharingFormat = iota
	// SharingObjectOnly: only the sharing object (2.41+).
	SharingObjectOnly
)

func (s SharingFormat) String() string {
	if s == SharingObjectOnly {
		return "sharing-object-only"
	}
	return "sharing-legacy-and-object"
}

// Capabilities answers version questions for one server version.
type Capabilities struct {
	Version Version
	// Supported is false outside 2.36–2.42; the answers then come from the
	// nearest supported release and are best effort.
	Supported bool
}

// CapabilitiesFor returns the answers of the table for v. Versions outside
// the supported range are clamped to the nearest supported release.
func CapabilitiesFor(v Version) Capabilities {
	return Capabilities{Version: v, Supported: v.Supported()}
}

// effective is the version the table is read at.
func (c Capabilities) effective() Version {
	v := c.Version
	switch {
	case v.IsZero(), v.Major < 2 || (v.Major == 2 && v.Minor < MinSupportedMinor):
		return v2(MinSupportedMinor)
	case v.Major > 2 || v.Minor > MaxSupportedMinor:
		return Version{Major: 2, Minor: MaxSupportedMinor, Patch: 1 << 20}
	}
	return v
}

// Has reports whether the version has feature f.
func (c Capabilities) Has(f Feature) bool { return has(f, c.effective()) }

// ResourceExists reports whether the collection (a metadata plural such as
// "charts", or a legacy endpoint such as "events") exists in this version.
func (c Capabilities) ResourceExists(plural string) bool {
	spans, ok := resources[plural]
	if !ok {
		return true
	}
	for _, s := range spans {
		if s.contains(c.effective()) {
			return true
		}
	}
	return false
}

// DefaultAPIVersion is the API version unversioned /api paths resolve to.
func (c Capabilities) DefaultAPIVersion() int { return defaultAPIVersions[c.effective().Minor] }

// ReportWrapped reports whether import reports come inside a WebMessage.
func (c Capabilities) ReportWrapped() bool { return c.Has(FeatureWrappedImportReports) }

// LegacyEventsAvailable reports whether /api/events and friends exist.
func (c Capabilities) LegacyEventsAvailable() bool { return c.Has(FeatureLegacyTracker) }

// Sharing reports the sharing format.
func (c Capabilities) Sharing() SharingFormat {
	if c.Has(FeatureLegacySharing) {
		return SharingLegacyAndObject
	}
	return SharingObjectOnly
}

// UserRolesTopLevel reports whether users carry userRoles at the top level.
func (c Capabilities) UserRolesTopLevel() bool { return c.Has(FeatureUserRolesTopLevel) }

// TrackerListKey is the JSON key of the list in a tracker export page.
func (c Capabilities) TrackerListKey(k TrackerKind) string {
	if c.Has(FeatureTrackerInstancesKey) {
		return "instances"
	}
	return string(k)
}

// TrackerNoPagingParam is the query parameter (name, value) that disables
// tracker export paging.
func (c Capabilities) TrackerNoPagingParam() (string, string) {
	if c.Has(FeatureTrackerSkipPaging) {
		return "skipPaging", "true"
	}
	return "paging", "false"
}

// TrackerParam maps a tracker export parameter to this version's name
// (2.41 renamed ouMode, orgUnit, trackedEntity, event and friends).
func (c Capabilities) TrackerParam(name string) string {
	if !c.Has(FeatureTrackerRenamedParams) {
		if old, ok := trackerParamsBefore241[name]; ok {
			return old
		}
		return name
	}
	if renamed, ok := trackerParamsSince241[name]; ok {
		return renamed
	}
	return name
}

// TrackedEntityScopeAll is the org-unit mode a tracked-entity export sends when it selects no org unit:
// every org unit the user can read. 2.36–2.40 refuse the request without one (409); 2.41+ default to it.
func (c Capabilities) TrackedEntityScopeAll() string {
	if c.Has(FeatureTrackedEntityOrgUnitRequired) {
		return "ACCESSIBLE"
	}
	return ""
}

// RelationshipsEntityParam is the /api/tracker/relationships parameter naming a tracked entity.
func (c Capabilities) RelationshipsEntityParam() string {
	if c.Has(FeatureRelationshipsTeiParam) {
		return "tei"
	}
	return "trackedEntity"
}

// TrackerUIDSeparator separates UIDs in list-valued tracker parameters.
func (c Capabilities) TrackerUIDSeparator() string {
	if c.Has(FeatureTrackerRenamedParams) {
		return ","
	}
	return ";"
}

// trackerParamsSince241 maps pre-2.41 names to the 2.41 names (rel:2.41).
var trackerParamsSince241 = map[string]string{
	"ouMode":        "orgUnitMode",
	"orgUnit":       "orgUnits",
	"trackedEntity": "trackedEntities",
	"event":         "events",
	"attributeCos":  "attributeCategoryOptions",
	"attributeCc":   "attributeCategoryCombo",
}

// trackerParamsBefore241 is the inverse of trackerParamsSince241.
var trackerParamsBefore241 = func() map[string]string {
	m := make(map[string]string, len(trackerParamsSince241))
	for old, renamed := range trackerParamsSince241 {
		m[renamed] = old
	}
	return m
}()
