package config

import (
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

// Defaults of a configuration (README.md lists them). Proto3 cannot tell an unset number from zero, so a zero
// value means "use the default" wherever a default exists.
const (
	DefaultMaxSharePercent      = 10
	DefaultMaxInFlight          = 2
	DefaultTimeZone             = "UTC"
	DefaultPollIntervalSeconds  = 300
	DefaultMaxSyncsPerHour      = 6
	DefaultCooldownSeconds      = 900
	DefaultDisableAfterFailures = 5
)

// WithDefaults returns a copy of c with surrounding spaces trimmed from its strings and every unset field given
// its default. Page and batch sizes stay 0, meaning "the per-resource default the extractor and loader choose"
// (docs/performance.md); empty metadata families mean all families; empty filters mean everything. Every
// sub-message is filled in, so that a form shows the values that will apply.
func WithDefaults(c *configv1.Config) *configv1.Config {
	out := &configv1.Config{}
	if c != nil {
		out = proto.Clone(c).(*configv1.Config)
	}
	normalize(out)
	if out.ImportStrategy == configv1.ImportStrategy_IMPORT_STRATEGY_UNSPECIFIED {
		out.ImportStrategy = configv1.ImportStrategy_IMPORT_STRATEGY_CREATE_AND_UPDATE
	}
	if out.MergeMode == configv1.MergeMode_MERGE_MODE_UNSPECIFIED {
		out.MergeMode = configv1.MergeMode_MERGE_MODE_REPLACE
	}
	// NONE keeps every valid object of a request when one is refused (DHIS2's own default is ALL, which rejects
	// the whole request): objects packed together for speed must not fall with an unrelated culprit.
	if out.AtomicMode == configv1.AtomicMode_ATOMIC_MODE_UNSPECIFIED {
		out.AtomicMode = configv1.AtomicMode_ATOMIC_MODE_NONE
	}
	if out.Filters == nil {
		out.Filters = &configv1.Filters{}
	}
	if out.Policies == nil {
		out.Policies = &configv1.Policies{}
	}
	if out.Policies.Sharing == configv1.ReferencePolicy_REFERENCE_POLICY_UNSPECIFIED {
		out.Policies.Sharing = configv1.ReferencePolicy_REFERENCE_POLICY_KEEP
	}
	if out.Policies.UserReferences == configv1.ReferencePolicy_REFERENCE_POLICY_UNSPECIFIED {
		out.Policies.UserReferences = configv1.ReferencePolicy_REFERENCE_POLICY_KEEP
	}
	if out.Deletion == nil {
		out.Deletion = &configv1.Deletion{}
	}
	if out.Deletion.MaxSharePercent == 0 {
		out.Deletion.MaxSharePercent = DefaultMaxSharePercent
	}
	if out.Sizes == nil {
		out.Sizes = &configv1.Sizes{}
	}
	if out.Sizes.MaxInFlight == 0 {
		out.Sizes.MaxInFlight = DefaultMaxInFlight
	}
	if out.Active {
		out.InactiveReason = "" // the reason dhis2sync switched it off no longer holds once someone activates it
	}
	if out.ExecutionMode == configv1.ExecutionMode_EXECUTION_MODE_UNSPECIFIED {
		out.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_MANUAL
	}
	if out.Schedule == nil {
		out.Schedule = &configv1.Schedule{}
	}
	if out.Schedule.TimeZone == "" {
		out.Schedule.TimeZone = DefaultTimeZone
	}
	if out.AutoSync == nil {
		out.AutoSync = &configv1.AutoSync{}
	}
	a := out.AutoSync
	if a.PollIntervalSeconds == 0 {
		a.PollIntervalSeconds = DefaultPollIntervalSeconds
	}
	if a.MaxSyncsPerHour == 0 {
		a.MaxSyncsPerHour = DefaultMaxSyncsPerHour
	}
	if a.CooldownSeconds == 0 {
		a.CooldownSeconds = DefaultCooldownSeconds
	}
	if a.DisableAfterFailures == 0 {
		a.DisableAfterFailures = DefaultDisableAfterFailures
	}
	return out
}

// normalize removes surrounding spaces a form or a hand-written JSON body leaves around values and writes ids in
// their canonical lower-case UUID form, so that comparisons and filters match.
func normalize(c *configv1.Config) {
	c.Id = canonicalID(c.Id)
	c.Name = strings.TrimSpace(c.Name)
	c.Description = strings.TrimSpace(c.Description)
	c.SourceInstanceId = canonicalID(c.SourceInstanceId)
	for i, id := range c.DestinationInstanceIds {
		c.DestinationInstanceIds[i] = canonicalID(id)
	}
	if f := c.Filters; f != nil {
		trimAll(f.OrgUnitIds)
		trimAll(f.ProgramIds)
		trimAll(f.DataSetIds)
		trimAll(f.Periods)
		f.StartDate = strings.TrimSpace(f.StartDate)
		f.EndDate = strings.TrimSpace(f.EndDate)
	}
	if s := c.Schedule; s != nil {
		s.Cron = strings.TrimSpace(s.Cron)
		s.TimeZone = strings.TrimSpace(s.TimeZone)
	}
	if p := c.Policies; p != nil && len(p.UserMapping) > 0 {
		m := make(map[string]string, len(p.UserMapping))
		for k, v := range p.UserMapping {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		p.UserMapping = m
	}
}

// canonicalID returns a UUID in its canonical form, or anything else trimmed (validation reports it).
func canonicalID(s string) string {
	s = strings.TrimSpace(s)
	if u, err := uuid.Parse(s); err == nil {
		return u.String()
	}
	return s
}

func trimAll(s []string) {
	for i := range s {
		s[i] = strings.TrimSpace(s[i])
	}
}
