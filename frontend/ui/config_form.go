package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
)

// configForm is the configuration form: the Config being edited, the choices offered and field errors
// keyed by snake_case field path ("schedule.cron"), the same keys the form inputs use as names.
type configForm struct {
	Config    *configv1.Config
	Instances []*instancev1.Instance
	Errors    map[string]string
	// UserMapping is policies.user_mapping as "source=destination" lines, sorted for a stable form.
	UserMapping string

	SyncTypes        []configv1.SyncType
	Families         []configv1.MetadataFamily
	ImportStrategies []configv1.ImportStrategy
	MergeModes       []configv1.MergeMode
	AtomicModes      []configv1.AtomicMode
	ExecutionModes   []configv1.ExecutionMode
	Policies         []configv1.ReferencePolicy
}

func newConfigForm(c *configv1.Config, instances []*instancev1.Instance) configForm {
	c = completeConfig(c)
	f := configForm{
		Config: c, Instances: instances,
		SyncTypes:        enumValues[configv1.SyncType](configv1.SyncType_name),
		Families:         enumValues[configv1.MetadataFamily](configv1.MetadataFamily_name),
		ImportStrategies: enumValues[configv1.ImportStrategy](configv1.ImportStrategy_name),
		MergeModes:       enumValues[configv1.MergeMode](configv1.MergeMode_name),
		AtomicModes:      enumValues[configv1.AtomicMode](configv1.AtomicMode_name),
		ExecutionModes:   enumValues[configv1.ExecutionMode](configv1.ExecutionMode_name),
		Policies:         enumValues[configv1.ReferencePolicy](configv1.ReferencePolicy_name),
	}
	var lines []string
	for k, v := range c.GetPolicies().GetUserMapping() {
		lines = append(lines, k+"="+v)
	}
	slices.Sort(lines)
	f.UserMapping = strings.Join(lines, "\n")
	return f
}

// enumValues lists an enum's values in number order, without the _UNSPECIFIED zero value.
func enumValues[E ~int32](names map[int32]string) []E {
	var out []E
	for n := range names {
		if n != 0 {
			out = append(out, E(n))
		}
	}
	slices.Sort(out)
	return out
}

// completeConfig returns a copy of c whose sub-messages are all set, so templates can read any field.
func completeConfig(c *configv1.Config) *configv1.Config {
	if c == nil {
		c = &configv1.Config{Active: true, ExecutionMode: configv1.ExecutionMode_EXECUTION_MODE_MANUAL}
	} else {
		c = proto.CloneOf(c)
	}
	if c.Filters == nil {
		c.Filters = &configv1.Filters{}
	}
	if c.Policies == nil {
		c.Policies = &configv1.Policies{}
	}
	if c.Deletion == nil {
		c.Deletion = &configv1.Deletion{}
	}
	if c.Sizes == nil {
		c.Sizes = &configv1.Sizes{}
	}
	if c.Schedule == nil {
		c.Schedule = &configv1.Schedule{}
	}
	if c.AutoSync == nil {
		c.AutoSync = &configv1.AutoSync{}
	}
	return c
}

// readConfigForm builds the Config the form describes. Problems the dashboard can see by itself (a number
// that is not a number, a mapping line without "=") come back as field errors; everything else is the
// config service's to judge.
func readConfigForm(r *http.Request) (*configv1.Config, map[string]string) {
	if err := r.ParseForm(); err != nil {
		return completeConfig(nil), map[string]string{"name": "The form could not be read."}
	}
	f := r.PostForm
	errs := map[string]string{}
	num := func(field string) int32 {
		v := strings.TrimSpace(f.Get(field))
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 0 {
			errs[field] = "Enter a whole number (0 or more)."
			return 0
		}
		return int32(n)
	}
	c := &configv1.Config{
		Id:                     r.PathValue("id"),
		Name:                   strings.TrimSpace(f.Get("name")),
		Description:            strings.TrimSpace(f.Get("description")),
		Active:                 f.Get("active") == "on",
		SourceInstanceId:       f.Get("source_instance_id"),
		DestinationInstanceIds: f["destination_instance_ids"],
		SyncType:               configv1.SyncType(configv1.SyncType_value[f.Get("sync_type")]),
		ImportStrategy:         configv1.ImportStrategy(configv1.ImportStrategy_value[f.Get("import_strategy")]),
		MergeMode:              configv1.MergeMode(configv1.MergeMode_value[f.Get("merge_mode")]),
		AtomicMode:             configv1.AtomicMode(configv1.AtomicMode_value[f.Get("atomic_mode")]),
		ExecutionMode:          configv1.ExecutionMode(configv1.ExecutionMode_value[f.Get("execution_mode")]),
		Filters: &configv1.Filters{
			OrgUnitIds: splitList(f.Get("filters.org_unit_ids")), ProgramIds: splitList(f.Get("filters.program_ids")),
			DataSetIds: splitList(f.Get("filters.data_set_ids")), Periods: splitList(f.Get("filters.periods")),
			StartDate: strings.TrimSpace(f.Get("filters.start_date")), EndDate: strings.TrimSpace(f.Get("filters.end_date")),
		},
		Policies: &configv1.Policies{
			Sharing:         configv1.ReferencePolicy(configv1.ReferencePolicy_value[f.Get("policies.sharing")]),
			UserReferences:  configv1.ReferencePolicy(configv1.ReferencePolicy_value[f.Get("policies.user_references")]),
			IncludeDefaults: f.Get("policies.include_defaults") == "on",
		},
		Deletion: &configv1.Deletion{Propagate: f.Get("deletion.propagate") == "on", MaxSharePercent: num("deletion.max_share_percent")},
		Sizes:    &configv1.Sizes{PageSize: num("sizes.page_size"), BatchSize: num("sizes.batch_size"), MaxInFlight: num("sizes.max_in_flight")},
		Schedule: &configv1.Schedule{Cron: strings.TrimSpace(f.Get("schedule.cron")), TimeZone: strings.TrimSpace(f.Get("schedule.time_zone"))},
		AutoSync: &configv1.AutoSync{
			PollIntervalSeconds: num("auto_sync.poll_interval_seconds"), MaxSyncsPerHour: num("auto_sync.max_syncs_per_hour"),
			CooldownSeconds: num("auto_sync.cooldown_seconds"), DisableAfterFailures: num("auto_sync.disable_after_failures"),
		},
	}
	for _, name := range f["metadata_families"] {
		if v, ok := configv1.MetadataFamily_value[name]; ok && v != 0 {
			c.MetadataFamilies = append(c.MetadataFamilies, configv1.MetadataFamily(v))
		}
	}
	for _, line := range splitLines(f.Get("policies.user_mapping")) {
		src, dst, ok := strings.Cut(line, "=")
		src, dst = strings.TrimSpace(src), strings.TrimSpace(dst)
		if !ok || src == "" || dst == "" {
			errs["policies.user_mapping"] = "Write one source=destination pair per line."
			continue
		}
		if c.Policies.UserMapping == nil {
			c.Policies.UserMapping = map[string]string{}
		}
		c.Policies.UserMapping[src] = dst
	}
	if len(errs) == 0 {
		errs = nil
	}
	return c, errs
}

// splitList accepts ids separated by commas, spaces or new lines.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
