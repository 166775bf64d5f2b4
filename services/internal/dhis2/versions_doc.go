package dhis2

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

//go:generate go test -run ^TestVersionsDoc$ . -update

// featureNote says what a Feature means for a reader of docs/dhis2-versions.md and where DHIS2 shows it. Every
// Feature of the capability table has one (TestVersionsDoc fails otherwise), so the document cannot lag the
// table. Sources: dhis2-core classes on the release branch named, release notes at
// github.com/dhis2/dhis2-releases (releases/<version>/README.md), developer docs at docs.dhis2.org.
type featureNote struct{ what, source string }

var featureNotes = map[Feature]featureNote{
	FeatureWrappedImportReports: {"unversioned imports answer with a WebMessage whose `response` holds the report; a report with errors comes with HTTP 409",
		"dhis2-core 2.38 `WebMessageUtils#importReport`, `DhisApiVersion.DEFAULT`; release notes 2.38 (API)"},
	FeatureDetailedImportConflicts: {"data value conflicts carry `errorCode`, `objects`, `property` and `indexes`",
		"dhis2-core 2.37 `ImportConflict`"},
	FeatureRejectedIndexes: {"data value import summaries list `rejectedIndexes`",
		"dhis2-core 2.39 `ImportSummary`"},
	FeatureTrackerPagerObject: {"tracker exports carry a `pager` object and plural list keys (`trackedEntities`, `events`, …)",
		"dhis2-core 2.41 `tracker/view/Page`; release notes 2.41"},
	FeatureTrackerFlatPager: {"tracker exports carry `page`/`pageSize` at the root (deprecated beside `pager` in 2.41)",
		"dhis2-core 2.40 `PagingWrapper`, 2.41 `ExportControllerPaginationTest`"},
	FeatureTrackerInstancesKey: {"tracker export lists are under `instances`",
		"dhis2-core 2.40 `PagingWrapper`, `TrackerTrackedEntitiesExportController`"},
	FeatureTrackerSkipPaging: {"`skipPaging=true` turns tracker paging off (later `paging=false`)",
		"release notes 2.41 and 2.42"},
	FeatureTrackerRenamedParams: {"tracker parameters `orgUnits`, `orgUnitMode`, `trackedEntities`, `events`; UID lists separated by commas",
		"release notes 2.41"},
	FeatureTrackerReportTimings: {"tracker import reports have `timingsStats`",
		"dhis2-core 2.41 `tracker/imports/report/ImportReport`"},
	FeatureTrackerReportIndex: {"tracker `objectReports` carry `index`",
		"release notes 2.41"},
	FeatureTrackerBundleStatus: {"tracker `bundleReport` has `status`",
		"release notes 2.40 (\"Removed status field in bundleReport\")"},
	FeatureTrackerBadRequest400: {"tracker request validation errors answer 400 instead of 409",
		"release notes 2.40"},
	FeatureEnrollmentAttributes: {"enrollments may carry their own attributes (from 2.41 they belong to the tracked entity only)",
		"docs.dhis2.org 2.38 new-tracker \"Changes in the API\"; release notes 2.41"},
	FeatureLegacyTracker: {"legacy `/api/events`, `/api/trackedEntityInstances`, `/api/enrollments`, `/api/relationships` exist",
		"dhis2-core 2.41 `controller/deprecated/tracker/EventController`; release notes 2.42 (endpoints removed)"},
	FeatureLegacySharing: {"objects return `publicAccess`, `userAccesses`, `userGroupAccesses` beside `sharing`",
		"release notes 2.41 (legacy sharing fields removed)"},
	FeatureSharingObject: {"objects have the `sharing` object",
		"release notes 2.36; dhis2-core 2.36 `BaseIdentifiableObject#getSharing`"},
	FeatureUserRolesTopLevel: {"users carry `username` and `userRoles` at the top level",
		"dhis2-core 2.38 `User`"},
	FeatureUserCredentials: {"users accept the nested `userCredentials` object",
		"release notes 2.42 (`UserCredentials` schema removed)"},
	FeaturePersonalAccessTokens: {"`Authorization: ApiToken d2pat_…` works",
		"docs.dhis2.org 2.37 Web API overview \"Personal Access Tokens\""},
	FeatureMetadataXML: {"metadata import and export accept XML",
		"release notes 2.39 (XML removed)"},
	FeatureProgramStageProgramRequired: {"program stages must name their program",
		"release notes 2.38"},
	FeatureAPILogin: {"`POST /api/auth/login` replaces the form login",
		"dhis2-core 2.41 `AuthenticationController`"},
	FeatureEventChartsExported: {"`eventCharts`/`eventReports` appear in `/api/metadata` exports",
		"dhis2-core commit 55ea990 (2.39.6), 2.40.4 and 2.41.1 backports"},
	FeatureSystemInfoFields: {"`/api/system/info` accepts `?fields=`",
		"dhis2-core 2.42 `SystemController#getSystemInfo`"},
	FeatureTrackedEntityOrgUnitRequired: {"a tracked-entity export needs org units or `ouMode` ACCESSIBLE/CAPTURE/ALL, else 409 (from 2.41 `orgUnitMode` defaults to ACCESSIBLE)",
		"dhis2-core `DefaultTrackedEntityInstanceService#validate`, `TrackerTrackedEntitiesExportControllerTest`; 2.41 `RequestParamsValidator`"},
	FeatureRelationshipsTeiParam: {"`/api/tracker/relationships` names the tracked entity `tei` (2.41+ reads `trackedEntity`)",
		"release notes 2.41 and 2.42"},
	FeatureEventVisualizationsOnly: {"event charts and reports travel as `eventVisualizations` with the same UIDs, and dashboard items point at them as `eventVisualization`; older targets get `eventCharts`/`eventReports`",
		"dhis2-core migrations `V2_38_11`/`V2_38_12` (eventvisualization table, dashboard items rewritten)"},
	FeatureRawPeriods: {"analytical objects store their periods as `rawPeriods` (relative period names and fixed periods); `relativePeriods` is derived on read",
		"dhis2-core migration `V2_39_30` and later; `/api/schemas` of 2.40 and 2.41 (`rawPeriods` owner, `relativePeriods` not)"},
	FeatureVisualizationAxes: {"a visualization's axis labels, ranges, base and target lines live in `axes[]`; the flat fields are derived on read",
		"`/api/schemas` 2.36 vs 2.37; dhis2-core `CompatibilityGuard`"},
}

// docMinors are the columns of the generated tables.
func docMinors() []int {
	var m []int
	for minor := MinSupportedMinor; minor <= MaxSupportedMinor; minor++ {
		m = append(m, minor)
	}
	return m
}

// cell says whether spans hold in release 2.minor: "yes", "—", or the patch where that changes.
func cell(spans []span, minor int) string {
	in := func(v Version) bool {
		for _, s := range spans {
			if s.contains(v) {
				return true
			}
		}
		return false
	}
	first, last := in(v2(minor)), in(v3(minor, 1<<20))
	if first == last {
		if first {
			return "yes"
		}
		return "—"
	}
	var patches []int
	for _, s := range spans {
		for _, v := range []Version{s.since, s.until} {
			if v.Major == 2 && v.Minor == minor && v.Patch > 0 {
				patches = append(patches, v.Patch)
			}
		}
	}
	slices.Sort(patches)
	if len(patches) == 0 {
		return "partly"
	}
	if first {
		return fmt.Sprintf("before 2.%d.%d", minor, patches[0])
	}
	return fmt.Sprintf("from 2.%d.%d", minor, patches[0])
}

func tableHeader(b *strings.Builder, first ...string) {
	cols := slices.Clone(first)
	for _, m := range docMinors() {
		cols = append(cols, fmt.Sprintf("2.%d", m))
	}
	b.WriteString("| " + strings.Join(cols, " | ") + " |\n|")
	b.WriteString(strings.Repeat("---|", len(cols)) + "\n")
}

func row(b *strings.Builder, spans []span, first ...string) {
	cols := slices.Clone(first)
	for _, m := range docMinors() {
		cols = append(cols, cell(spans, m))
	}
	b.WriteString("| " + strings.Join(cols, " | ") + " |\n")
}

func condition(has, lacks Feature, lacksResource string) string {
	switch {
	case has != "":
		return "target has `" + string(has) + "`"
	case lacks != "":
		return "target lacks `" + string(lacks) + "`"
	case lacksResource != "":
		return "target has no `" + lacksResource + "`"
	}
	return "always"
}

// VersionsDoc renders docs/dhis2-versions.md from the capability and transformation tables.
func VersionsDoc() string {
	var b strings.Builder
	b.WriteString(`# DHIS2 versions

<!-- Generated by services/internal/dhis2 (go generate ./internal/dhis2) from capabilities.go and
transform_rules.go; TestVersionsDoc fails when this file differs. Do not edit by hand. -->

dhis2sync speaks to DHIS2 2.36 to 2.42 through one client (` + "`services/internal/dhis2`" + `). Every behaviour that
differs between releases is a row of its capability table, keyed by the first release that has it and, where it
went away, the first that no longer has it; code asks the table ("does the target wrap import reports?"), never
compares version numbers. Versions outside 2.36–2.42 are read as the nearest supported release, best effort.
The tables below are that table, printed.

## Behaviours

`)
	tableHeader(&b, "feature", "meaning", "source")
	for _, f := range slices.Sorted(maps.Keys(featureNotes)) {
		n := featureNotes[f]
		row(&b, featuresTable(f), "`"+string(f)+"`", n.what, n.source)
	}

	b.WriteString("\n## API version of unversioned paths\n\n`/api/...` resolves to `DhisApiVersion.DEFAULT` " +
		"(dhis2-core `common/DhisApiVersion`); `/api/37/...` keeps the plain import reports on every release.\n\n")
	tableHeader(&b, "")
	cols := []string{"default API version"}
	for _, m := range docMinors() {
		cols = append(cols, fmt.Sprint(defaultAPIVersions[m]))
	}
	b.WriteString("| " + strings.Join(cols, " | ") + " |\n")

	b.WriteString("\n## Collections that exist only in some releases\n\nFrom the schema descriptors of each " +
		"release branch (dhis2-core `dhis-service-schema/.../schema/descriptors`). Collections not listed exist " +
		"in every release; the client reads a collection only from a release that has it.\n\n")
	tableHeader(&b, "collection")
	for _, p := range slices.Sorted(maps.Keys(resources)) {
		row(&b, resources[p], "`"+p+"`")
	}

	b.WriteString("\n## Properties removed in later releases\n\nThe loader drops them for a destination that no " +
		"longer has them.\n\n")
	tableHeader(&b, "property")
	for _, f := range removedFields {
		row(&b, []span{f.present}, "`"+f.plural+"."+f.field+"`")
	}

	b.WriteString("\n## Payload transformations\n\nApplied in this order to every object on its way from what the source " +
		"exported to what the destination accepts.\n\n| collection | transformation | when |\n|---|---|---|\n")
	for _, r := range metadataRules {
		which := "all metadata"
		if r.plurals != nil {
			which = "`" + strings.Join(r.plurals, "`, `") + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", which, r.name, condition(r.targetHas, r.targetLacks, r.targetLacksResource))
	}
	for _, r := range trackerRules {
		which := "all tracker objects"
		if r.kind != "" {
			which = "`" + string(r.kind) + "`"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", which, r.name, condition("", r.targetLacks, ""))
	}
	return b.String()
}

func featuresTable(f Feature) []span { return features[f] }
