package config

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // time zones validate the same on hosts without a zoneinfo database
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/robfig/cron/v3"
	"google.golang.org/protobuf/reflect/protoreflect"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

// Limits checked by validation (README.md lists them with the rules).
const (
	MaxNameLength        = 100
	MaxDescriptionLength = 2000
	MaxDestinations      = 50
	MinSize, MaxSize     = 10, 100_000
	MaxInFlightLimit     = 16
	MinPollSeconds       = 60
	MaxPollSeconds       = 86_400
	MaxSyncsPerHourLimit = 60
	MaxCooldownSeconds   = 86_400
	MaxFailuresLimit     = 100
)

const (
	dateLayout  = "2006-01-02"
	cronExample = `use five fields (minute hour day-of-month month day-of-week), e.g. "0 2 * * *" for 02:00 every day or "*/30 * * * *" for every 30 minutes`
	uidExample  = `DHIS2 UIDs are 11 letters or digits starting with a letter, e.g. "ImspTQPwCqd"`
)

// uidPattern is DHIS2's UID shape (CodeGenerator.isValidUid: a letter, then 10 letters or digits).
var uidPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{10}$`)

// relativePeriod matches DHIS2 relative periods such as LAST_12_MONTHS, which data value exports do not take.
var relativePeriod = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)

// Validator checks configurations against the rules and the instance registry.
type Validator struct {
	// Instances is the instance registry's client.
	Instances InstanceGetter
	// RegistryAddr is where the registry is expected, for the error when it cannot be reached.
	RegistryAddr string
}

// Validate returns c with defaults applied (WithDefaults) when it is valid. Otherwise it returns an
// *fielderr.InvalidError listing every violation at once, in the order of the configuration's fields, or a
// *RegistryUnavailableError when the instance references cannot be checked. Name uniqueness needs the store
// and is the server's concern.
func (v *Validator) Validate(ctx context.Context, c *configv1.Config) (*configv1.Config, error) {
	out := WithDefaults(c)
	vs := checkFields(out)
	refs, err := checkInstances(ctx, v.Instances, v.RegistryAddr, out)
	if err != nil {
		return nil, err
	}
	vs = append(vs, refs...)
	sortViolations(vs)
	return out, invalid(vs)
}

// sortViolations orders violations like the configuration's fields (by proto field number of the top-level
// field), keeping the order within a field.
func sortViolations(vs fielderr.List) {
	fields := (&configv1.Config{}).ProtoReflect().Descriptor().Fields()
	rank := func(path string) int {
		top := path
		if i := strings.IndexAny(path, ".["); i >= 0 {
			top = path[:i]
		}
		if f := fields.ByJSONName(top); f != nil {
			return int(f.Number())
		}
		return 0
	}
	slices.SortStableFunc(vs, func(a, b fielderr.Violation) int { return rank(a.Field) - rank(b.Field) })
}

// checkFields returns every problem of c that can be seen without the instance registry. c must already have
// its defaults (WithDefaults), so that a zero value left here is an error rather than "unset".
func checkFields(c *configv1.Config) fielderr.List {
	var vs fielderr.List
	checkName(&vs, c)
	checkInstanceIDs(&vs, c)
	checkEnum(&vs, "syncType", c.SyncType)
	checkFamilies(&vs, c)
	checkEnum(&vs, "importStrategy", c.ImportStrategy)
	checkEnum(&vs, "mergeMode", c.MergeMode)
	checkEnum(&vs, "atomicMode", c.AtomicMode)
	checkDelete(&vs, c)
	checkFilters(&vs, c.Filters)
	checkPolicies(&vs, c.Policies)
	checkRange(&vs, "deletion.maxSharePercent", c.Deletion.MaxSharePercent, 1, 100, "percent (0 means the default, 10)")
	checkSizes(&vs, c.Sizes)
	checkEnum(&vs, "executionMode", c.ExecutionMode)
	checkSchedule(&vs, c)
	checkAutoSync(&vs, c.AutoSync)
	checkFastPoll(&vs, c.AutoSync)
	checkAlerts(&vs, c.Alerts)
	return vs
}

func checkName(vs *fielderr.List, c *configv1.Config) {
	switch n := utf8.RuneCountInString(c.Name); {
	case n == 0:
		vs.Addf("name", `is required: give the configuration a short name, e.g. "Nightly metadata to the districts"`)
	case n > MaxNameLength:
		vs.Addf("name", "is %d characters long: use at most %d", n, MaxNameLength)
	case strings.ContainsFunc(c.Name, unicode.IsControl):
		vs.Addf("name", "contains a line break, tab or other control character: use one line of plain text")
	}
	if n := utf8.RuneCountInString(c.Description); n > MaxDescriptionLength {
		vs.Addf("description", "is %d characters long: use at most %d", n, MaxDescriptionLength)
	}
}

// checkInstanceIDs checks the shape of the instance references; checkInstances asks the registry about them.
func checkInstanceIDs(vs *fielderr.List, c *configv1.Config) {
	if c.SourceInstanceId == "" {
		vs.Addf("sourceInstanceId", "is required: choose the instance to copy from (one registered as a source)")
	} else if !isUUID(c.SourceInstanceId) {
		vs.Addf("sourceInstanceId", "%q is not an instance id: use the id the instance registry gave the instance (a UUID)", c.SourceInstanceId)
	}
	dsts := c.DestinationInstanceIds
	switch {
	case len(dsts) == 0:
		vs.Addf("destinationInstanceIds", "at least one destination is required: choose the instances to copy to (registered as destinations)")
	case len(dsts) > MaxDestinations:
		vs.Addf("destinationInstanceIds", "lists %d destinations: use at most %d, or split them over several configurations", len(dsts), MaxDestinations)
	}
	for i, id := range dsts {
		field := fmt.Sprintf("destinationInstanceIds[%d]", i)
		switch j := slices.Index(dsts[:i], id); {
		case id == "":
			vs.Addf(field, "is empty: remove it or choose an instance")
		case !isUUID(id):
			vs.Addf(field, "%q is not an instance id: use the id the instance registry gave the instance (a UUID)", id)
		case id == c.SourceInstanceId:
			vs.Addf(field, "is the source instance: an instance cannot be copied onto itself; choose another destination")
		case j >= 0:
			vs.Addf(field, "repeats destinationInstanceIds[%d]: list each destination once", j)
		}
	}
}

func checkFamilies(vs *fielderr.List, c *configv1.Config) {
	for i, f := range c.MetadataFamilies {
		field := fmt.Sprintf("metadataFamilies[%d]", i)
		if f == configv1.MetadataFamily_METADATA_FAMILY_UNSPECIFIED {
			vs.Addf(field, "is %s: choose one of %s, or leave the list empty to copy every family", f, enumNames(f))
			continue
		}
		if !checkEnum(vs, field, f) {
			continue
		}
		if j := slices.Index(c.MetadataFamilies[:i], f); j >= 0 {
			vs.Addf(field, "repeats metadataFamilies[%d]: list each family once", j)
		}
	}
}

// checkDelete limits IMPORT_STRATEGY_DELETE, which removes from the destinations every record the source
// sends: to one kind of data, so that its order is obvious, and to runs a person starts or plans. Metadata is
// refused: its steps run in DHIS2's dependency order, in which DHIS2 refuses to delete an object that others
// still reference (E4030); metadata removed at the source reaches the destinations through deletion.propagate.
func checkDelete(vs *fielderr.List, c *configv1.Config) {
	if c.ImportStrategy != configv1.ImportStrategy_IMPORT_STRATEGY_DELETE {
		return
	}
	switch c.SyncType {
	case configv1.SyncType_SYNC_TYPE_DATA, configv1.SyncType_SYNC_TYPE_EVENTS, configv1.SyncType_SYNC_TYPE_TRACKER,
		configv1.SyncType_SYNC_TYPE_UNSPECIFIED:
	case configv1.SyncType_SYNC_TYPE_METADATA:
		vs.Addf("importStrategy", "IMPORT_STRATEGY_DELETE cannot be used with SYNC_TYPE_METADATA: to remove metadata from the destinations, delete it at the source and set deletion.propagate, which deletes dependents first")
	default:
		vs.Addf("importStrategy", "IMPORT_STRATEGY_DELETE removes from the destinations what the source sends; it is allowed only with one kind of data (SYNC_TYPE_DATA, SYNC_TYPE_EVENTS or SYNC_TYPE_TRACKER), not with %s", c.SyncType)
	}
	if c.ExecutionMode == configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC {
		vs.Addf("importStrategy", "IMPORT_STRATEGY_DELETE cannot run automatically on source changes: use EXECUTION_MODE_MANUAL or EXECUTION_MODE_SCHEDULED")
	}
}

func checkFilters(vs *fielderr.List, f *configv1.Filters) {
	checkUIDs(vs, "filters.orgUnitIds", f.OrgUnitIds)
	checkUIDs(vs, "filters.programIds", f.ProgramIds)
	checkUIDs(vs, "filters.dataSetIds", f.DataSetIds)
	for i, p := range f.Periods {
		field := fmt.Sprintf("filters.periods[%d]", i)
		switch {
		case isPeriodID(p):
		case relativePeriod.MatchString(p):
			vs.Addf(field, "%q is a relative period, which DHIS2 does not export data values by: list fixed periods such as \"202401\", or set filters.startDate and filters.endDate", p)
		default:
			vs.Addf(field, "%q is not a DHIS2 period id: use forms such as 2024, 2024April, 202401, 202401B, 2024Q1, 2024S1, 2024AprilS1, 2024W5, 2024BiW1 or 20240115", p)
		}
	}
	start, startOK := checkDate(vs, "filters.startDate", f.StartDate)
	end, endOK := checkDate(vs, "filters.endDate", f.EndDate)
	if startOK && endOK && end.Before(start) {
		vs.Addf("filters.endDate", "%s is before filters.startDate %s: the range must end on or after its start", f.EndDate, f.StartDate)
	}
}

// checkDate parses an optional date; ok is true only for a valid, non-empty one.
func checkDate(vs *fielderr.List, field, s string) (t time.Time, ok bool) {
	if s == "" {
		return t, false
	}
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		vs.Addf(field, "%q is not a date: use YYYY-MM-DD, e.g. 2024-01-31", s)
		return t, false
	}
	return t, true
}

func checkUIDs(vs *fielderr.List, field string, uids []string) {
	for i, uid := range uids {
		if !uidPattern.MatchString(uid) {
			vs.Addf(fmt.Sprintf("%s[%d]", field, i), "%q is not a DHIS2 UID: %s", uid, uidExample)
		}
	}
}

func checkPolicies(vs *fielderr.List, p *configv1.Policies) {
	sharingOK := checkEnum(vs, "policies.sharing", p.Sharing)
	usersOK := checkEnum(vs, "policies.userReferences", p.UserReferences)
	keys := make([]string, 0, len(p.UserMapping))
	for k := range p.UserMapping {
		keys = append(keys, k)
	}
	slices.Sort(keys) // map order is random; violations should not be
	for _, k := range keys {
		field := fmt.Sprintf("policies.userMapping[%q]", k)
		if !uidPattern.MatchString(k) {
			vs.Addf(field, "the key %q is not a DHIS2 UID of a source user or user group: %s", k, uidExample)
		}
		if v := p.UserMapping[k]; !uidPattern.MatchString(v) {
			vs.Addf(field, "the value %q is not a DHIS2 UID of a destination user or user group: %s", v, uidExample)
		}
	}
	if len(p.UserMapping) > 0 {
		return
	}
	for _, pol := range []struct {
		field string
		ok    bool
		value configv1.ReferencePolicy
	}{{"policies.sharing", sharingOK, p.Sharing}, {"policies.userReferences", usersOK, p.UserReferences}} {
		if pol.ok && pol.value == configv1.ReferencePolicy_REFERENCE_POLICY_MAP {
			vs.Addf("policies.userMapping", "is empty, but %s is REFERENCE_POLICY_MAP: map each source user or user group UID to a destination UID, or choose REFERENCE_POLICY_KEEP or REFERENCE_POLICY_STRIP", pol.field)
		}
	}
}

func checkSizes(vs *fielderr.List, s *configv1.Sizes) {
	for _, f := range []struct {
		field string
		value int32
	}{{"sizes.pageSize", s.PageSize}, {"sizes.batchSize", s.BatchSize}} {
		if f.value != 0 && (f.value < MinSize || f.value > MaxSize) {
			vs.Addf(f.field, "is %d: use 0 for the per-resource default, or a value from %d to %d", f.value, MinSize, MaxSize)
		}
	}
	checkRange(vs, "sizes.maxInFlight", s.MaxInFlight, 1, MaxInFlightLimit, "requests in flight per destination (0 means the default, 2)")
}

func checkSchedule(vs *fielderr.List, c *configv1.Config) {
	s := c.Schedule
	switch {
	case s.Cron == "" && c.ExecutionMode == configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED:
		vs.Addf("schedule.cron", "is required when executionMode is EXECUTION_MODE_SCHEDULED: %s", cronExample)
	case strings.HasPrefix(s.Cron, "TZ=") || strings.HasPrefix(s.Cron, "CRON_TZ="):
		vs.Addf("schedule.cron", "must not name a time zone: put it in schedule.timeZone and %s", cronExample)
	case s.Cron != "":
		// A cron left from an earlier schedule is checked too, so that switching back to SCHEDULED cannot fail later.
		if _, err := cron.ParseStandard(s.Cron); err != nil {
			vs.Addf("schedule.cron", "%q is not a valid cron expression (%v): %s", s.Cron, err, cronExample)
		}
	}
	if s.TimeZone == "Local" {
		vs.Addf("schedule.timeZone", `"Local" depends on the server's settings: name the zone, e.g. "UTC" or "Africa/Abidjan"`)
	} else if _, err := time.LoadLocation(s.TimeZone); err != nil {
		vs.Addf("schedule.timeZone", "%q is not an IANA time zone: use a name such as \"UTC\", \"Africa/Abidjan\" or \"Europe/Paris\"", s.TimeZone)
	}
}

func checkAutoSync(vs *fielderr.List, a *configv1.AutoSync) {
	checkRange(vs, "autoSync.pollIntervalSeconds", a.PollIntervalSeconds, minPollSeconds(), MaxPollSeconds, "seconds (0 means the default, 300)")
	checkRange(vs, "autoSync.maxSyncsPerHour", a.MaxSyncsPerHour, 1, MaxSyncsPerHourLimit, "runs (0 means the default, 6)")
	checkRange(vs, "autoSync.cooldownSeconds", a.CooldownSeconds, 1, MaxCooldownSeconds, "seconds (0 means the default, 900)")
	checkRange(vs, "autoSync.disableAfterFailures", a.DisableAfterFailures, 1, MaxFailuresLimit, "consecutive failures (0 means the default, 5)")
}

func checkRange(vs *fielderr.List, field string, v, lo, hi int32, unit string) {
	if v < lo || v > hi {
		vs.Addf(field, "is %d: use %d to %d %s", v, lo, hi, unit)
	}
}

// checkEnum reports an unset or unknown enum value, listing the valid names; it returns whether e is valid.
func checkEnum(vs *fielderr.List, field string, e protoreflect.Enum) bool {
	n := e.Number()
	switch {
	case n == 0:
		vs.Addf(field, "is required: choose one of %s", enumNames(e))
	case e.Descriptor().Values().ByNumber(n) == nil:
		vs.Addf(field, "%d is not a valid value: choose one of %s", n, enumNames(e))
	default:
		return true
	}
	return false
}

// enumNames lists the names of an enum's values except the zero value.
func enumNames(e protoreflect.Enum) string {
	values := e.Descriptor().Values()
	names := make([]string, 0, values.Len())
	for i := range values.Len() {
		if v := values.Get(i); v.Number() != 0 {
			names = append(names, string(v.Name()))
		}
	}
	return strings.Join(names, ", ")
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}
