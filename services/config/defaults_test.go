package config

import (
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

func TestWithDefaultsFillsUnsetFields(t *testing.T) {
	got := WithDefaults(&configv1.Config{Name: "n"})
	want := &configv1.Config{
		Name:           "n",
		ImportStrategy: configv1.ImportStrategy_IMPORT_STRATEGY_CREATE_AND_UPDATE,
		MergeMode:      configv1.MergeMode_MERGE_MODE_REPLACE,
		AtomicMode:     configv1.AtomicMode_ATOMIC_MODE_NONE,
		Filters:        &configv1.Filters{},
		Policies: &configv1.Policies{
			Sharing:        configv1.ReferencePolicy_REFERENCE_POLICY_KEEP,
			UserReferences: configv1.ReferencePolicy_REFERENCE_POLICY_KEEP,
		},
		Deletion:      &configv1.Deletion{Propagate: false, MaxSharePercent: 10},
		Sizes:         &configv1.Sizes{PageSize: 0, BatchSize: 0, MaxInFlight: 2},
		ExecutionMode: configv1.ExecutionMode_EXECUTION_MODE_MANUAL,
		Schedule:      &configv1.Schedule{TimeZone: "UTC"},
		AutoSync: &configv1.AutoSync{
			PollIntervalSeconds: 300, MaxSyncsPerHour: 6, CooldownSeconds: 900, DisableAfterFailures: 5,
		},
	}
	if !proto.Equal(want, got) {
		t.Errorf("WithDefaults:\n got %s\nwant %s", prototext.Format(got), prototext.Format(want))
	}
}

func TestWithDefaultsKeepsExplicitValues(t *testing.T) {
	in := &configv1.Config{
		ImportStrategy: configv1.ImportStrategy_IMPORT_STRATEGY_UPDATE,
		MergeMode:      configv1.MergeMode_MERGE_MODE_MERGE,
		AtomicMode:     configv1.AtomicMode_ATOMIC_MODE_NONE,
		Policies: &configv1.Policies{
			Sharing: configv1.ReferencePolicy_REFERENCE_POLICY_STRIP, UserReferences: configv1.ReferencePolicy_REFERENCE_POLICY_MAP,
			UserMapping: map[string]string{"xE7jOejl9FI": "M5zQapPyTZI"}, IncludeDefaults: true,
		},
		Deletion:         &configv1.Deletion{Propagate: true, MaxSharePercent: 50},
		Sizes:            &configv1.Sizes{PageSize: 500, BatchSize: 2000, MaxInFlight: 4},
		ExecutionMode:    configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC,
		Schedule:         &configv1.Schedule{Cron: "0 3 * * *", TimeZone: "Africa/Abidjan"},
		AutoSync:         &configv1.AutoSync{PollIntervalSeconds: 120, MaxSyncsPerHour: 2, CooldownSeconds: 60, DisableAfterFailures: 9},
		MetadataFamilies: []configv1.MetadataFamily{configv1.MetadataFamily_METADATA_FAMILY_OPTIONS},
		Filters:          &configv1.Filters{Periods: []string{"2024"}},
	}
	got := WithDefaults(in)
	if !proto.Equal(in, got) {
		t.Errorf("explicit values changed:\n got %s\nwant %s", prototext.Format(got), prototext.Format(in))
	}
}

func TestWithDefaultsNormalizesWithoutTouchingInput(t *testing.T) {
	in := &configv1.Config{
		Id:                     " 0190C0DE-0000-7000-8000-00000000000A ",
		Name:                   "  Nightly  ",
		SourceInstanceId:       "{" + srcID + "}",
		DestinationInstanceIds: []string{" " + dstID, "not-a-uuid "},
		Filters:                &configv1.Filters{OrgUnitIds: []string{" ImspTQPwCqd"}, Periods: []string{"202401 "}, StartDate: " 2024-01-01"},
		Schedule:               &configv1.Schedule{Cron: " 0 2 * * * ", TimeZone: " Europe/Paris"},
		Policies:               &configv1.Policies{UserMapping: map[string]string{" xE7jOejl9FI": "M5zQapPyTZI "}},
	}
	before := proto.Clone(in)
	got := WithDefaults(in)
	if !proto.Equal(in, before) {
		t.Errorf("WithDefaults modified its input")
	}
	checks := map[string][2]string{
		"id":          {got.Id, "0190c0de-0000-7000-8000-00000000000a"},
		"name":        {got.Name, "Nightly"},
		"source":      {got.SourceInstanceId, srcID},
		"destination": {got.DestinationInstanceIds[0], dstID},
		"bad id":      {got.DestinationInstanceIds[1], "not-a-uuid"},
		"org unit":    {got.Filters.OrgUnitIds[0], "ImspTQPwCqd"},
		"period":      {got.Filters.Periods[0], "202401"},
		"start date":  {got.Filters.StartDate, "2024-01-01"},
		"cron":        {got.Schedule.Cron, "0 2 * * *"},
		"time zone":   {got.Schedule.TimeZone, "Europe/Paris"},
		"mapping":     {got.Policies.UserMapping["xE7jOejl9FI"], "M5zQapPyTZI"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
}

func TestWithDefaultsIsIdempotentAndNilSafe(t *testing.T) {
	once := WithDefaults(nil)
	if twice := WithDefaults(once); !proto.Equal(once, twice) {
		t.Errorf("WithDefaults is not idempotent:\n%v\n%v", once, twice)
	}
}

func TestFastPollValidation(t *testing.T) {
	cases := []struct {
		a     *configv1.AutoSync
		field string // "" when valid
	}{
		{&configv1.AutoSync{PollIntervalSeconds: 600, FastPollIntervalSeconds: 30, FastResources: []string{"dataValues", "dataElements"}}, ""},
		{&configv1.AutoSync{PollIntervalSeconds: 600, FastPollIntervalSeconds: 10, FastResources: []string{"dataValues"}}, "autoSync.fastPollIntervalSeconds"},
		{&configv1.AutoSync{PollIntervalSeconds: 600, FastPollIntervalSeconds: 600, FastResources: []string{"dataValues"}}, "autoSync.fastPollIntervalSeconds"},
		{&configv1.AutoSync{PollIntervalSeconds: 600, FastPollIntervalSeconds: 60}, "autoSync.fastResources"},
		{&configv1.AutoSync{PollIntervalSeconds: 600, FastResources: []string{"events"}}, "autoSync.fastPollIntervalSeconds"},
		{&configv1.AutoSync{PollIntervalSeconds: 600, FastPollIntervalSeconds: 60, FastResources: []string{"dataValueSets"}}, "autoSync.fastResources[0]"},
	}
	for i, c := range cases {
		var vs fielderr.List
		checkFastPoll(&vs, c.a)
		got := ""
		if len(vs) > 0 {
			got = vs[0].Field
		}
		if got != c.field {
			t.Errorf("case %d: violation on %q, want %q (%v)", i, got, c.field, vs)
		}
	}
}
