package ui

import (
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// funcs are the template functions for one language.
func funcs(lang string) template.FuncMap {
	t := func(key string) string { return translate(lang, key) }
	fm := template.FuncMap{
		"t":  t,
		"tf": func(key string, args ...any) string { return fmt.Sprintf(translate(lang, key), args...) },
		"datetime": func(loc *time.Location, ts *timestamppb.Timestamp) string {
			return formatTime(lang, loc, ts)
		},
		"elapsed":     func(j *orchestratorv1.Job) string { return elapsed(j, time.Now()) },
		"num":         formatNumber,
		"pct":         func(f float64) string { return strconv.Itoa(int(f)) },
		"dict":        dict,
		"has":         func(list []string, v string) bool { return slices.Contains(list, v) },
		"jobStatus":   func(s orchestratorv1.JobStatus) string { return t(jobStatusLabels[s]) },
		"statusClass": statusClass,
		"jobType":     func(v orchestratorv1.JobType) string { return t(jobTypeLabels[v]) },
		"trigger":     func(v orchestratorv1.Trigger) string { return t(triggerLabels[v]) },
		"connStatus":  func(v instancev1.ConnectionStatus) string { return t(connLabels[v]) },
		"connClass":   connClass,
		"syncType":    func(v configv1.SyncType) string { return t(syncTypeLabels[v]) },
		"execMode":    func(v configv1.ExecutionMode) string { return t(execModeLabels[v]) },
		"execModeName": func(v configv1.ExecutionMode) string {
			return strings.TrimPrefix(v.String(), "EXECUTION_MODE_")
		},
		"automationPhase": func(v orchestratorv1.AutomationPhase) string { return t(automationPhaseLabels[v]) },
		"family":          func(v configv1.MetadataFamily) string { return t(familyLabels[v]) },
		"role":            func(v authv1.Role) string { return t(roleLabels[v]) },
		"level":           func(v orchestratorv1.LogLevel) string { return t(levelLabels[v]) },
		"levelNum":        func(v orchestratorv1.LogLevel) int { return int(v) },
		"levelClass":      levelClass,
		"terminal":        terminal,
		"canCancel":       canCancel,
		"canRetry":        canRetry,
		"join":            strings.Join,
		"add": func(v ...int64) int64 {
			var sum int64
			for _, n := range v {
				sum += n
			}
			return sum
		},
		"lines":              func(list []string) string { return strings.Join(list, "\n") },
		"verificationReport": newVerificationReport,
		"diffKind":           func(kind string) string { return t(differenceKind(kind)) },
	}
	for k, v := range enumFuncs(t) {
		fm[k] = v
	}
	return fm
}

func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// formatTime shows a timestamp in the user's time zone, in the order the language reads dates.
func formatTime(lang string, loc *time.Location, ts *timestamppb.Timestamp) string {
	if ts == nil || !ts.IsValid() || ts.AsTime().IsZero() {
		return "—"
	}
	if loc == nil {
		loc = time.UTC
	}
	layout := "2006-01-02 15:04"
	if lang == "fr" {
		layout = "02/01/2006 15:04"
	}
	return ts.AsTime().In(loc).Format(layout)
}

// elapsed is the running time of a job: start to end, or start to now while it runs.
func elapsed(j *orchestratorv1.Job, now time.Time) string {
	if j.GetStartTime() == nil {
		return "—"
	}
	end := now
	if j.GetEndTime() != nil {
		end = j.GetEndTime().AsTime()
	}
	return formatDuration(end.Sub(j.GetStartTime().AsTime()))
}

func formatDuration(d time.Duration) string {
	d = max(d, 0).Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %02d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %02d s", m, s)
	default:
		return fmt.Sprintf("%d s", s)
	}
}

// formatNumber groups thousands with a thin space, readable in both languages.
func formatNumber(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func statusClass(s orchestratorv1.JobStatus) string {
	switch s {
	case orchestratorv1.JobStatus_JOB_STATUS_COMPLETED:
		return "success"
	case orchestratorv1.JobStatus_JOB_STATUS_COMPLETED_WITH_WARNINGS, orchestratorv1.JobStatus_JOB_STATUS_RETRYING:
		return "warning"
	case orchestratorv1.JobStatus_JOB_STATUS_FAILED, orchestratorv1.JobStatus_JOB_STATUS_FAILED_PERMANENTLY:
		return "danger"
	case orchestratorv1.JobStatus_JOB_STATUS_RUNNING:
		return "primary"
	default:
		return "secondary"
	}
}

func connClass(s instancev1.ConnectionStatus) string {
	switch s {
	case instancev1.ConnectionStatus_CONNECTION_STATUS_OK:
		return "success"
	case instancev1.ConnectionStatus_CONNECTION_STATUS_UNKNOWN, instancev1.ConnectionStatus_CONNECTION_STATUS_UNSPECIFIED:
		return "secondary"
	default:
		return "danger"
	}
}

func levelClass(l orchestratorv1.LogLevel) string {
	switch l {
	case orchestratorv1.LogLevel_LOG_LEVEL_ERROR:
		return "danger"
	case orchestratorv1.LogLevel_LOG_LEVEL_WARNING:
		return "warning"
	case orchestratorv1.LogLevel_LOG_LEVEL_DEBUG:
		return "secondary"
	default:
		return "info"
	}
}

func terminal(s orchestratorv1.JobStatus) bool {
	switch s {
	case orchestratorv1.JobStatus_JOB_STATUS_COMPLETED, orchestratorv1.JobStatus_JOB_STATUS_COMPLETED_WITH_WARNINGS,
		orchestratorv1.JobStatus_JOB_STATUS_FAILED, orchestratorv1.JobStatus_JOB_STATUS_CANCELLED,
		orchestratorv1.JobStatus_JOB_STATUS_FAILED_PERMANENTLY:
		return true
	}
	return false
}

func canCancel(s orchestratorv1.JobStatus) bool {
	return s == orchestratorv1.JobStatus_JOB_STATUS_PENDING || s == orchestratorv1.JobStatus_JOB_STATUS_RUNNING ||
		s == orchestratorv1.JobStatus_JOB_STATUS_RETRYING
}

func canRetry(s orchestratorv1.JobStatus) bool {
	return s == orchestratorv1.JobStatus_JOB_STATUS_FAILED || s == orchestratorv1.JobStatus_JOB_STATUS_CANCELLED ||
		s == orchestratorv1.JobStatus_JOB_STATUS_FAILED_PERMANENTLY
}

var jobStatusLabels = map[orchestratorv1.JobStatus]string{
	orchestratorv1.JobStatus_JOB_STATUS_UNSPECIFIED:             "Unknown",
	orchestratorv1.JobStatus_JOB_STATUS_PENDING:                 "Pending",
	orchestratorv1.JobStatus_JOB_STATUS_RUNNING:                 "Running",
	orchestratorv1.JobStatus_JOB_STATUS_COMPLETED:               "Completed",
	orchestratorv1.JobStatus_JOB_STATUS_COMPLETED_WITH_WARNINGS: "Completed with warnings",
	orchestratorv1.JobStatus_JOB_STATUS_FAILED:                  "Failed",
	orchestratorv1.JobStatus_JOB_STATUS_CANCELLED:               "Cancelled",
	orchestratorv1.JobStatus_JOB_STATUS_RETRYING:                "Retrying",
	orchestratorv1.JobStatus_JOB_STATUS_FAILED_PERMANENTLY:      "Failed permanently",
}

var jobTypeLabels = map[orchestratorv1.JobType]string{
	orchestratorv1.JobType_JOB_TYPE_UNSPECIFIED: "Unknown",
	orchestratorv1.JobType_JOB_TYPE_COMPLETE:    "Complete",
	orchestratorv1.JobType_JOB_TYPE_METADATA:    "Metadata",
	orchestratorv1.JobType_JOB_TYPE_DATA:        "Metadata and data",
	orchestratorv1.JobType_JOB_TYPE_AGGREGATE:   "Aggregate data",
	orchestratorv1.JobType_JOB_TYPE_EVENTS:      "Events",
	orchestratorv1.JobType_JOB_TYPE_TRACKER:     "Tracker",
	orchestratorv1.JobType_JOB_TYPE_ALL_DATA:    "All data",
}

var triggerLabels = map[orchestratorv1.Trigger]string{
	orchestratorv1.Trigger_TRIGGER_UNSPECIFIED: "Unknown",
	orchestratorv1.Trigger_TRIGGER_MANUAL:      "Manual",
	orchestratorv1.Trigger_TRIGGER_SCHEDULED:   "Scheduled",
	orchestratorv1.Trigger_TRIGGER_AUTOMATIC:   "Automatic",
	orchestratorv1.Trigger_TRIGGER_RETRY:       "Retry",
}

var connLabels = map[instancev1.ConnectionStatus]string{
	instancev1.ConnectionStatus_CONNECTION_STATUS_UNSPECIFIED:         "Not tested",
	instancev1.ConnectionStatus_CONNECTION_STATUS_UNKNOWN:             "Not tested",
	instancev1.ConnectionStatus_CONNECTION_STATUS_OK:                  "Connected",
	instancev1.ConnectionStatus_CONNECTION_STATUS_UNREACHABLE:         "Unreachable",
	instancev1.ConnectionStatus_CONNECTION_STATUS_TIMEOUT:             "Timeout",
	instancev1.ConnectionStatus_CONNECTION_STATUS_TLS_ERROR:           "TLS error",
	instancev1.ConnectionStatus_CONNECTION_STATUS_UNAUTHORIZED:        "Wrong credentials",
	instancev1.ConnectionStatus_CONNECTION_STATUS_FORBIDDEN:           "Forbidden",
	instancev1.ConnectionStatus_CONNECTION_STATUS_LOGIN_REDIRECT:      "Login page instead of API",
	instancev1.ConnectionStatus_CONNECTION_STATUS_NOT_DHIS2:           "Not DHIS2",
	instancev1.ConnectionStatus_CONNECTION_STATUS_UNSUPPORTED_VERSION: "Unsupported version",
	instancev1.ConnectionStatus_CONNECTION_STATUS_ERROR:               "Error",
}

var syncTypeLabels = map[configv1.SyncType]string{
	configv1.SyncType_SYNC_TYPE_UNSPECIFIED: "Unknown",
	configv1.SyncType_SYNC_TYPE_METADATA:    "Metadata",
	configv1.SyncType_SYNC_TYPE_DATA:        "Aggregate data",
	configv1.SyncType_SYNC_TYPE_EVENTS:      "Events",
	configv1.SyncType_SYNC_TYPE_TRACKER:     "Tracker",
	configv1.SyncType_SYNC_TYPE_BOTH:        "Metadata and data",
	configv1.SyncType_SYNC_TYPE_ALL_DATA:    "All data",
	configv1.SyncType_SYNC_TYPE_COMPLETE:    "Complete",
}

var execModeLabels = map[configv1.ExecutionMode]string{
	configv1.ExecutionMode_EXECUTION_MODE_UNSPECIFIED: "Manual",
	configv1.ExecutionMode_EXECUTION_MODE_MANUAL:      "Manual",
	configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED:   "Scheduled",
	configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC:   "Automatic",
}

var automationPhaseLabels = map[orchestratorv1.AutomationPhase]string{
	orchestratorv1.AutomationPhase_AUTOMATION_PHASE_WATCHING:     "Watching",
	orchestratorv1.AutomationPhase_AUTOMATION_PHASE_SYNCING:      "Syncing",
	orchestratorv1.AutomationPhase_AUTOMATION_PHASE_COOLING_DOWN: "Cooling down",
	orchestratorv1.AutomationPhase_AUTOMATION_PHASE_RATE_LIMITED: "Rate limited",
	orchestratorv1.AutomationPhase_AUTOMATION_PHASE_DISABLED:     "Switched off",
	orchestratorv1.AutomationPhase_AUTOMATION_PHASE_SCHEDULED:    "Scheduled",
}

var familyLabels = map[configv1.MetadataFamily]string{
	configv1.MetadataFamily_METADATA_FAMILY_UNSPECIFIED:   "Unknown",
	configv1.MetadataFamily_METADATA_FAMILY_USERS:         "Users and roles",
	configv1.MetadataFamily_METADATA_FAMILY_ORGANISATION:  "Organisation units",
	configv1.MetadataFamily_METADATA_FAMILY_CATEGORIES:    "Categories",
	configv1.MetadataFamily_METADATA_FAMILY_OPTIONS:       "Option sets",
	configv1.MetadataFamily_METADATA_FAMILY_DATA_ELEMENTS: "Data elements",
	configv1.MetadataFamily_METADATA_FAMILY_INDICATORS:    "Indicators",
	configv1.MetadataFamily_METADATA_FAMILY_DATA_SETS:     "Data sets",
	configv1.MetadataFamily_METADATA_FAMILY_TRACKER:       "Tracked entity types and attributes",
	configv1.MetadataFamily_METADATA_FAMILY_PROGRAMS:      "Programs",
	configv1.MetadataFamily_METADATA_FAMILY_PROGRAM_RULES: "Program rules",
	configv1.MetadataFamily_METADATA_FAMILY_VALIDATION:    "Validation rules",
	configv1.MetadataFamily_METADATA_FAMILY_PREDICTORS:    "Predictors",
	configv1.MetadataFamily_METADATA_FAMILY_LEGENDS:       "Legends",
	configv1.MetadataFamily_METADATA_FAMILY_SYSTEM:        "System settings and constants",
	configv1.MetadataFamily_METADATA_FAMILY_ANALYTICS:     "Analytics objects",
}

var roleLabels = map[authv1.Role]string{
	authv1.Role_ROLE_UNSPECIFIED: "Unknown",
	authv1.Role_ROLE_VIEWER:      "Viewer",
	authv1.Role_ROLE_OPERATOR:    "Operator",
	authv1.Role_ROLE_ADMIN:       "Administrator",
}

var levelLabels = map[orchestratorv1.LogLevel]string{
	orchestratorv1.LogLevel_LOG_LEVEL_UNSPECIFIED: "Info",
	orchestratorv1.LogLevel_LOG_LEVEL_DEBUG:       "Debug",
	orchestratorv1.LogLevel_LOG_LEVEL_INFO:        "Info",
	orchestratorv1.LogLevel_LOG_LEVEL_WARNING:     "Warning",
	orchestratorv1.LogLevel_LOG_LEVEL_ERROR:       "Error",
}

var importStrategyLabels = map[configv1.ImportStrategy]string{
	configv1.ImportStrategy_IMPORT_STRATEGY_UNSPECIFIED:       "Default (create and update)",
	configv1.ImportStrategy_IMPORT_STRATEGY_CREATE_AND_UPDATE: "Create and update",
	configv1.ImportStrategy_IMPORT_STRATEGY_CREATE:            "Create only",
	configv1.ImportStrategy_IMPORT_STRATEGY_UPDATE:            "Update only",
	configv1.ImportStrategy_IMPORT_STRATEGY_DELETE:            "Delete",
}

var mergeModeLabels = map[configv1.MergeMode]string{
	configv1.MergeMode_MERGE_MODE_UNSPECIFIED: "Default (replace)",
	configv1.MergeMode_MERGE_MODE_REPLACE:     "Replace",
	configv1.MergeMode_MERGE_MODE_MERGE:       "Merge",
}

var atomicModeLabels = map[configv1.AtomicMode]string{
	configv1.AtomicMode_ATOMIC_MODE_UNSPECIFIED: "Default (keep valid objects)",
	configv1.AtomicMode_ATOMIC_MODE_ALL:         "All or nothing",
	configv1.AtomicMode_ATOMIC_MODE_NONE:        "Keep valid objects",
}

var policyLabels = map[configv1.ReferencePolicy]string{
	configv1.ReferencePolicy_REFERENCE_POLICY_UNSPECIFIED: "Default (strip)",
	configv1.ReferencePolicy_REFERENCE_POLICY_KEEP:        "Keep as they are",
	configv1.ReferencePolicy_REFERENCE_POLICY_STRIP:       "Strip",
	configv1.ReferencePolicy_REFERENCE_POLICY_MAP:         "Map to destination users",
}

// enumFuncs label the configuration form's enums; merged into funcs.
func enumFuncs(t func(string) string) template.FuncMap {
	return template.FuncMap{
		"importStrategy": func(v configv1.ImportStrategy) string { return t(importStrategyLabels[v]) },
		"mergeMode":      func(v configv1.MergeMode) string { return t(mergeModeLabels[v]) },
		"atomicMode":     func(v configv1.AtomicMode) string { return t(atomicModeLabels[v]) },
		"policy":         func(v configv1.ReferencePolicy) string { return t(policyLabels[v]) },
		"familyChecked":  func(l []configv1.MetadataFamily, v configv1.MetadataFamily) bool { return slices.Contains(l, v) },
		"typeChecked":    func(l []orchestratorv1.JobType, v orchestratorv1.JobType) bool { return slices.Contains(l, v) },
	}
}
