package dhis2

import (
	"sort"
	"strings"
)

// This file is the version-difference table for payloads. Each row names
// the change, the condition on the target version (from the capability
// table) and a small function. The DHIS2 release notes and the schema diffs
// under schemas/ (2.36, 2.37, 2.40, 2.41) are the sources; docs/dhis2-versions.md
// prints the rules.

var metadataRules = []metadataRule{
	// Since 2.34 DHIS2 keeps charts and report tables as visualizations with
	// the same UIDs; 2.37 removed the old collections, so the objects are
	// already present under visualizations and must not be sent twice.
	{name: "charts are served as visualizations", plurals: []string{"charts", "reportTables"},
		targetLacksResource: "charts", apply: drop},
	// 2.41 keeps only eventVisualizations in exports; older targets import
	// eventCharts and eventReports (EyeSeeTea splits them for <2.41).
	{name: "event charts and reports become event visualizations", plurals: []string{"eventCharts", "eventReports"},
		targetHas: FeatureEventVisualizationsOnly, apply: toEventVisualization},
	{name: "event visualizations split into event charts and reports", plurals: []string{"eventVisualizations"},
		targetLacks: FeatureEventVisualizationsOnly, apply: fromEventVisualization},
	// The same migration (V2_38_12) points dashboard items at the event
	// visualization; an eventChart item on 2.38+ resolves through a view of
	// it, so the safe form is eventVisualization with type EVENT_VISUALIZATION.
	{name: "dashboard items point at event visualizations", nested: true, plurals: []string{"dashboards"},
		targetHas: FeatureEventVisualizationsOnly, apply: dashboardItemsToEventVisualization},
	{name: "dashboard items point at event charts", nested: true, plurals: []string{"dashboards"},
		targetLacks: FeatureEventVisualizationsOnly, apply: dashboardItemsToEventChart},
	// Periods of analytical objects: 2.36–2.38 store the boolean
	// relativePeriods object and fixed periods, 2.39+ store rawPeriods (enum
	// names and fixed period ids). Both forms are rebuilt from whichever the
	// source has; rawPeriods goes only to versions that have it.
	{name: "relative periods as a boolean object", nested: true, plurals: analyticalPlurals, apply: relativePeriodsObject},
	{name: "periods also as rawPeriods", nested: true, plurals: analyticalPlurals, targetHas: FeatureRawPeriods, apply: addRawPeriods},
	{name: "no rawPeriods", nested: true, plurals: analyticalPlurals, targetLacks: FeatureRawPeriods, apply: dropRawPeriods},
	// Axis styling: flat fields up to 2.36, axes[] from 2.37.
	{name: "axis fields as axes", nested: true, plurals: []string{"visualizations"}, targetHas: FeatureVisualizationAxes, apply: flatAxesToAxes},
	{name: "axes as flat axis fields", nested: true, plurals: []string{"visualizations"}, targetLacks: FeatureVisualizationAxes, apply: axesToFlatAxes},
	// Sharing: 2.36–2.40 read both forms, 2.41+ only the sharing object.
	{name: "sharing object only", targetLacks: FeatureLegacySharing, apply: sharingObjectOnly},
	{name: "sharing object and legacy fields", targetHas: FeatureLegacySharing, apply: sharingBothForms},
	// Users: userRoles and credentials at the top level from 2.38,
	// userCredentials gone in 2.42.
	{name: "user credentials at the top level", plurals: []string{"users"},
		targetHas: FeatureUserRolesTopLevel, apply: userCredentialsToTop},
	{name: "user credentials nested", plurals: []string{"users"},
		targetLacks: FeatureUserRolesTopLevel, apply: userCredentialsNested},
}

// removedFields are owner properties that a version no longer has (schema
// diffs; the change happened between the two schema versions, so the first
// version without it is taken as the later one).
var removedFields = []removedField{
	{plural: "jobConfigurations", field: "leaderOnlyJob", present: before(40)},
	{plural: "jobConfigurations", field: "nextExecutionTime", present: before(40)},
	{plural: "jobConfigurations", field: "lastRuntimeExecution", present: before(41)},
	{plural: "apiToken", field: "key", present: before(40)},
	{plural: "users", field: "userCredentials", present: before(42)},
	// twoFA is a userCredentials owner property up to 2.37; 2.38+ users do
	// not own it (schemas 2.37 and 2.40).
	{plural: "users", field: "twoFA", present: before(38)},
}

func drop(plural string, _ map[string]any) (string, bool) { return plural, false }

// eventReportTypes are the eventVisualization types that were event reports.
var eventReportTypes = map[string]bool{"PIVOT_TABLE": true, "LINE_LIST": true}

func toEventVisualization(plural string, obj map[string]any) (string, bool) {
	if _, ok := obj["type"]; !ok || plural == "eventReports" {
		switch {
		case plural == "eventReports" && obj["dataType"] == "EVENTS":
			obj["type"] = "LINE_LIST"
		case plural == "eventReports":
			obj["type"] = "PIVOT_TABLE"
		}
	}
	return "eventVisualizations", true
}

func fromEventVisualization(_ string, obj map[string]any) (string, bool) {
	t, _ := obj["type"].(string)
	if eventReportTypes[t] {
		if t == "LINE_LIST" {
			obj["dataType"] = "EVENTS"
		} else if _, ok := obj["dataType"]; !ok {
			obj["dataType"] = "AGGREGATED_VALUES"
		}
		delete(obj, "type")
		return "eventReports", true
	}
	return "eventCharts", true
}

var legacySharingFields = []string{"publicAccess", "externalAccess", "userAccesses", "userGroupAccesses"}

func hasSharing(obj map[string]any) bool {
	if _, ok := obj["sharing"]; ok {
		return true
	}
	for _, f := range legacySharingFields {
		if _, ok := obj[f]; ok {
			return true
		}
	}
	return false
}

func sharingObjectOnly(plural string, obj map[string]any) (string, bool) {
	if !hasSharing(obj) {
		return plural, true
	}
	if _, ok := obj["sharing"].(map[string]any); !ok {
		obj["sharing"] = legacyToSharing(obj)
	}
	for _, f := range legacySharingFields {
		delete(obj, f)
	}
	return plural, true
}

// sharingBothForms sends both forms, the sharing object being authoritative
// (DHIS2 2.36+ stores it; the legacy fields are derived from it).
func sharingBothForms(plural string, obj map[string]any) (string, bool) {
	if !hasSharing(obj) {
		return plural, true
	}
	sh, ok := obj["sharing"].(map[string]any)
	if !ok {
		sh = legacyToSharing(obj)
		obj["sharing"] = sh
	}
	sharingToLegacy(sh, obj)
	return plural, true
}

// legacyToSharing builds {"owner","external","public","users","userGroups"}.
func legacyToSharing(obj map[string]any) map[string]any {
	sh := map[string]any{"users": map[string]any{}, "userGroups": map[string]any{}}
	if u, ok := obj["user"].(map[string]any); ok {
		if id, ok := u["id"].(string); ok {
			sh["owner"] = id
		}
	}
	if v, ok := obj["externalAccess"].(bool); ok {
		sh["external"] = v
	} else {
		sh["external"] = false
	}
	if v, ok := obj["publicAccess"].(string); ok {
		sh["public"] = v
	}
	fill := func(key, idKey string, target map[string]any) {
		list, _ := obj[key].([]any)
		for _, it := range list {
			m, ok := it.(map[string]any)
			if !ok {
				continue
			}
			id, _ := m["id"].(string)
			if id == "" {
				id, _ = m[idKey].(string)
			}
			access, _ := m["access"].(string)
			if id != "" {
				target[id] = map[string]any{"id": id, "access": access}
			}
		}
	}
	fill("userAccesses", "userUid", sh["users"].(map[string]any))
	fill("userGroupAccesses", "userGroupUid", sh["userGroups"].(map[string]any))
	return sh
}

// sharingToLegacy writes publicAccess, externalAccess, user and the access
// lists (sorted by id, for stable payloads) from a sharing object.
func sharingToLegacy(sh, obj map[string]any) {
	if v, ok := sh["public"].(string); ok {
		obj["publicAccess"] = v
	}
	if v, ok := sh["external"].(bool); ok {
		obj["externalAccess"] = v
	}
	if owner, ok := sh["owner"].(string); ok && owner != "" {
		if _, has := obj["user"]; !has {
			obj["user"] = map[string]any{"id": owner}
		}
	}
	list := func(key string) []any {
		m, _ := sh[key].(map[string]any)
		ids := make([]string, 0, len(m))
		for id := range m {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		out := make([]any, 0, len(ids))
		for _, id := range ids {
			access := ""
			if e, ok := m[id].(map[string]any); ok {
				access, _ = e["access"].(string)
			}
			out = append(out, map[string]any{"id": id, "access": access})
		}
		return out
	}
	obj["userAccesses"] = list("users")
	obj["userGroupAccesses"] = list("userGroups")
}

// userCredentialFields moved from users[].userCredentials to users[] in 2.38
// (schemas/2.37.json userCredentials vs schemas/2.41.json users).
var userCredentialFields = []string{
	"username", "userRoles", "password", "disabled", "accountExpiry", "openId", "ldapId", "externalAuth",
	"twoFA", "passwordLastUpdated", "lastLogin", "selfRegistered", "invitation",
	"catDimensionConstraints", "cogsDimensionConstraints",
}

func userCredentialsToTop(plural string, obj map[string]any) (string, bool) {
	uc, ok := obj["userCredentials"].(map[string]any)
	if ok {
		// Only the properties that moved: the credentials' own sharing,
		// display names and favourites are not the user's.
		for _, k := range userCredentialFields {
			v, has := uc[k]
			if !has {
				continue
			}
			if _, exists := obj[k]; !exists {
				obj[k] = v
			}
		}
	}
	delete(obj, "userCredentials")
	return plural, true
}

func userCredentialsNested(plural string, obj map[string]any) (string, bool) {
	uc, _ := obj["userCredentials"].(map[string]any)
	if uc == nil {
		uc = map[string]any{}
	}
	moved := false
	for _, k := range userCredentialFields {
		if v, ok := obj[k]; ok {
			if _, exists := uc[k]; !exists {
				uc[k] = v
			}
			delete(obj, k)
			moved = true
		}
	}
	if moved || len(uc) > 0 {
		obj["userCredentials"] = uc
	}
	return plural, true
}

var trackerRules = []trackerRule{
	// 2.41+: attributes belong to the tracked entity only; nested
	// enrollment attributes are moved up, standalone ones dropped.
	{name: "enrollment attributes move to the tracked entity", kind: TrackedEntities,
		targetLacks: FeatureEnrollmentAttributes, apply: liftEnrollmentAttributes},
	{name: "enrollments carry no attributes", kind: Enrollments,
		targetLacks: FeatureEnrollmentAttributes, apply: func(obj map[string]any) { obj["attributes"] = []any{} }},
	// 2.41 removed orgUnitName from enrollments and events (rel:2.41).
	{name: "no orgUnitName", kind: Enrollments, targetLacks: FeatureTrackerInstancesKey, apply: deleteKeys("orgUnitName")},
	{name: "no orgUnitName", kind: Events, targetLacks: FeatureTrackerInstancesKey, apply: deleteKeys("orgUnitName")},
}

func deleteKeys(keys ...string) func(map[string]any) {
	return func(obj map[string]any) {
		for _, k := range keys {
			delete(obj, k)
		}
	}
}

func liftEnrollmentAttributes(te map[string]any) {
	enrollments, _ := te["enrollments"].([]any)
	attrs, _ := te["attributes"].([]any)
	have := map[string]bool{}
	for _, a := range attrs {
		if m, ok := a.(map[string]any); ok {
			if id, ok := m["attribute"].(string); ok {
				have[id] = true
			}
		}
	}
	for _, e := range enrollments {
		en, ok := e.(map[string]any)
		if !ok {
			continue
		}
		list, _ := en["attributes"].([]any)
		for _, a := range list {
			m, ok := a.(map[string]any)
			if !ok {
				continue
			}
			id, _ := m["attribute"].(string)
			if id != "" && !have[id] {
				attrs = append(attrs, m)
				have[id] = true
			}
		}
		en["attributes"] = []any{}
		delete(en, "orgUnitName")
		if events, ok := en["events"].([]any); ok {
			for _, ev := range events {
				if m, ok := ev.(map[string]any); ok {
					delete(m, "orgUnitName")
				}
			}
		}
	}
	if len(attrs) > 0 {
		te["attributes"] = attrs
	}
}

// Legacy ↔ /api/tracker field names (docs.dhis2.org 2.38 new-tracker "Changes in the API").
var (
	legacyNoteRenames      = &renameSet{fields: map[string]string{"storedDate": "storedAt"}}
	legacyDataValueRenames = &renameSet{fields: map[string]string{"created": "createdAt", "lastUpdated": "updatedAt"}}
	legacyAttributeRenames = legacyDataValueRenames
	legacyEventRenames     = &renameSet{
		fields: map[string]string{
			"eventDate": "occurredAt", "dueDate": "scheduledAt", "created": "createdAt", "lastUpdated": "updatedAt",
			"completedDate": "completedAt", "trackedEntityInstance": "trackedEntity",
			"createdByUserInfo": "createdBy", "lastUpdatedByUserInfo": "updatedBy",
		},
		nested:  map[string]*renameSet{"dataValues": legacyDataValueRenames, "notes": legacyNoteRenames},
		convert: convertAssignedUser,
	}
	legacyEnrollmentRenames = &renameSet{
		fields: map[string]string{
			"enrollmentDate": "enrolledAt", "incidentDate": "occurredAt", "created": "createdAt",
			"lastUpdated": "updatedAt", "completedDate": "completedAt", "trackedEntityInstance": "trackedEntity",
		},
		nested: map[string]*renameSet{"events": legacyEventRenames, "notes": legacyNoteRenames,
			"attributes": legacyAttributeRenames},
	}
	legacyRelationshipItemRenames = &renameSet{fields: map[string]string{"trackedEntityInstance": "trackedEntity"},
		nested: map[string]*renameSet{"trackedEntity": {fields: map[string]string{"trackedEntityInstance": "trackedEntity"}}}}
	legacyRelationshipRenames = &renameSet{
		fields: map[string]string{"created": "createdAt", "lastUpdated": "updatedAt"},
		nested: map[string]*renameSet{"from": legacyRelationshipItemRenames, "to": legacyRelationshipItemRenames},
	}
	legacyTrackedEntityRenames = &renameSet{
		fields: map[string]string{"trackedEntityInstance": "trackedEntity", "created": "createdAt", "lastUpdated": "updatedAt"},
		nested: map[string]*renameSet{"enrollments": legacyEnrollmentRenames, "attributes": legacyAttributeRenames,
			"relationships": legacyRelationshipRenames, "programOwners": {fields: map[string]string{"ownerOrgUnit": "orgUnit", "trackedEntityInstance": "trackedEntity"}}},
	}
	legacyRenames = map[TrackerKind]*renameSet{
		TrackedEntities: legacyTrackedEntityRenames,
		Enrollments:     legacyEnrollmentRenames,
		Events:          legacyEventRenames,
		Relationships:   legacyRelationshipRenames,
	}
)

// convertAssignedUser: a UID string in legacy events, {"uid": …} in tracker.
func convertAssignedUser(obj map[string]any, inverse bool) {
	v, ok := obj["assignedUser"]
	if !ok {
		return
	}
	if inverse {
		if m, ok := v.(map[string]any); ok {
			if uid, ok := m["uid"].(string); ok {
				obj["assignedUser"] = uid
			}
		}
		return
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
		obj["assignedUser"] = map[string]any{"uid": s}
	}
}
