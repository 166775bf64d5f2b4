package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

// validConfig is the smallest valid configuration; each case breaks one rule of it.
func validConfig() *configv1.Config {
	return &configv1.Config{
		Name:                   "Nightly metadata",
		SourceInstanceId:       srcID,
		DestinationInstanceIds: []string{dstID},
		SyncType:               configv1.SyncType_SYNC_TYPE_METADATA,
		Active:                 true,
	}
}

func testValidator() (*Validator, *fakeRegistry) {
	reg := &fakeRegistry{instances: testInstances()}
	return &Validator{Instances: fakeClient{reg}, RegistryAddr: "127.0.0.1:9101"}, reg
}

// TestValidateRules breaks one rule per case and expects exactly one violation, on the right field, whose text
// says what to do.
func TestValidateRules(t *testing.T) {
	cases := []struct {
		name   string
		change func(c *configv1.Config)
		field  string
		says   string
	}{
		{"name missing", func(c *configv1.Config) { c.Name = "  " }, "name", "is required"},
		{"name too long", func(c *configv1.Config) { c.Name = strings.Repeat("é", 101) }, "name", "use at most 100"},
		{"name with line break", func(c *configv1.Config) { c.Name = "a\nb" }, "name", "one line"},
		{"description too long", func(c *configv1.Config) { c.Description = strings.Repeat("x", 2001) }, "description", "at most 2000"},
		{"source missing", func(c *configv1.Config) { c.SourceInstanceId = "" }, "sourceInstanceId", "is required"},
		{"source not an id", func(c *configv1.Config) { c.SourceInstanceId = "hmis" }, "sourceInstanceId", "a UUID"},
		{"source unknown", func(c *configv1.Config) { c.SourceInstanceId = unknownID }, "sourceInstanceId", "register it"},
		{"source inactive", func(c *configv1.Config) { c.SourceInstanceId = inactiveID }, "sourceInstanceId", "activate it"},
		{"source without role", func(c *configv1.Config) { c.SourceInstanceId = destOnlyID }, "sourceInstanceId", "set isSource"},
		{"no destination", func(c *configv1.Config) { c.DestinationInstanceIds = nil }, "destinationInstanceIds", "at least one"},
		{"too many destinations", func(c *configv1.Config) {
			c.DestinationInstanceIds = nil
			for i := range MaxDestinations + 1 {
				c.DestinationInstanceIds = append(c.DestinationInstanceIds, fmt.Sprintf("0190c0de-0000-7000-9000-%012d", i))
			}
		}, "destinationInstanceIds", "at most 50"},
		{"empty destination", func(c *configv1.Config) { c.DestinationInstanceIds = []string{dstID, ""} }, "destinationInstanceIds[1]", "remove it"},
		{"destination not an id", func(c *configv1.Config) { c.DestinationInstanceIds = []string{"x"} }, "destinationInstanceIds[0]", "a UUID"},
		{"destination repeated", func(c *configv1.Config) { c.DestinationInstanceIds = []string{dstID, dst2ID, strings.ToUpper(dstID)} }, "destinationInstanceIds[2]", "repeats destinationInstanceIds[0]"},
		{"destination is source", func(c *configv1.Config) { c.DestinationInstanceIds = []string{dstID, srcID} }, "destinationInstanceIds[1]", "cannot be copied onto itself"},
		{"destination unknown", func(c *configv1.Config) { c.DestinationInstanceIds = []string{dstID, unknownID} }, "destinationInstanceIds[1]", "does not exist"},
		{"destination inactive", func(c *configv1.Config) { c.DestinationInstanceIds = []string{inactiveID} }, "destinationInstanceIds[0]", "is inactive"},
		{"destination without role", func(c *configv1.Config) { c.DestinationInstanceIds = []string{sourceOnlyID} }, "destinationInstanceIds[0]", "set isDestination"},
		{"sync type missing", func(c *configv1.Config) { c.SyncType = 0 }, "syncType", "SYNC_TYPE_COMPLETE"},
		{"sync type unknown", func(c *configv1.Config) { c.SyncType = 42 }, "syncType", "42 is not a valid value"},
		{"family unspecified", func(c *configv1.Config) {
			c.MetadataFamilies = []configv1.MetadataFamily{configv1.MetadataFamily_METADATA_FAMILY_USERS, 0}
		}, "metadataFamilies[1]", "leave the list empty"},
		{"family unknown", func(c *configv1.Config) { c.MetadataFamilies = []configv1.MetadataFamily{99} }, "metadataFamilies[0]", "METADATA_FAMILY_ANALYTICS"},
		{"family repeated", func(c *configv1.Config) {
			c.MetadataFamilies = []configv1.MetadataFamily{configv1.MetadataFamily_METADATA_FAMILY_OPTIONS, configv1.MetadataFamily_METADATA_FAMILY_OPTIONS}
		}, "metadataFamilies[1]", "list each family once"},
		{"import strategy unknown", func(c *configv1.Config) { c.ImportStrategy = 9 }, "importStrategy", "IMPORT_STRATEGY_CREATE_AND_UPDATE"},
		{"merge mode unknown", func(c *configv1.Config) { c.MergeMode = 9 }, "mergeMode", "MERGE_MODE_MERGE"},
		{"atomic mode unknown", func(c *configv1.Config) { c.AtomicMode = 9 }, "atomicMode", "ATOMIC_MODE_NONE"},
		{"delete with combined sync", func(c *configv1.Config) {
			c.ImportStrategy = configv1.ImportStrategy_IMPORT_STRATEGY_DELETE
			c.SyncType = configv1.SyncType_SYNC_TYPE_COMPLETE
		}, "importStrategy", "one kind of data"},
		{"delete metadata", func(c *configv1.Config) {
			c.ImportStrategy = configv1.ImportStrategy_IMPORT_STRATEGY_DELETE
			c.SyncType = configv1.SyncType_SYNC_TYPE_METADATA
		}, "importStrategy", "deletion.propagate"},
		{"delete automatically", func(c *configv1.Config) {
			c.ImportStrategy = configv1.ImportStrategy_IMPORT_STRATEGY_DELETE
			c.SyncType = configv1.SyncType_SYNC_TYPE_DATA
			c.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC
		}, "importStrategy", "EXECUTION_MODE_SCHEDULED"},
		{"org unit not a UID", func(c *configv1.Config) {
			c.Filters = &configv1.Filters{OrgUnitIds: []string{"ImspTQPwCqd", "1mspTQPwCqd"}}
		}, "filters.orgUnitIds[1]", "11 letters or digits"},
		{"program not a UID", func(c *configv1.Config) { c.Filters = &configv1.Filters{ProgramIds: []string{"IpHINAT79U"}} }, "filters.programIds[0]", "not a DHIS2 UID"},
		{"data set not a UID", func(c *configv1.Config) { c.Filters = &configv1.Filters{DataSetIds: []string{"BfMAe6Itzg-"}} }, "filters.dataSetIds[0]", "not a DHIS2 UID"},
		{"period garbage", func(c *configv1.Config) { c.Filters = &configv1.Filters{Periods: []string{"202401", "Jan 2024"}} }, "filters.periods[1]", "2024Q1"},
		{"period relative", func(c *configv1.Config) { c.Filters = &configv1.Filters{Periods: []string{"LAST_12_MONTHS"}} }, "filters.periods[0]", "fixed periods"},
		{"start date malformed", func(c *configv1.Config) { c.Filters = &configv1.Filters{StartDate: "01/02/2024"} }, "filters.startDate", "YYYY-MM-DD"},
		{"end date impossible", func(c *configv1.Config) { c.Filters = &configv1.Filters{EndDate: "2024-02-30"} }, "filters.endDate", "YYYY-MM-DD"},
		{"end before start", func(c *configv1.Config) {
			c.Filters = &configv1.Filters{StartDate: "2024-03-01", EndDate: "2024-02-29"}
		}, "filters.endDate", "on or after its start"},
		{"mapping key not a UID", func(c *configv1.Config) {
			c.Policies = &configv1.Policies{Sharing: configv1.ReferencePolicy_REFERENCE_POLICY_MAP, UserMapping: map[string]string{"admin": "xE7jOejl9FI"}}
		}, `policies.userMapping["admin"]`, "source user"},
		{"mapping value not a UID", func(c *configv1.Config) {
			c.Policies = &configv1.Policies{UserReferences: configv1.ReferencePolicy_REFERENCE_POLICY_MAP, UserMapping: map[string]string{"xE7jOejl9FI": ""}}
		}, `policies.userMapping["xE7jOejl9FI"]`, "destination user"},
		{"sharing map without mapping", func(c *configv1.Config) {
			c.Policies = &configv1.Policies{Sharing: configv1.ReferencePolicy_REFERENCE_POLICY_MAP}
		}, "policies.userMapping", "policies.sharing is REFERENCE_POLICY_MAP"},
		{"user references map without mapping", func(c *configv1.Config) {
			c.Policies = &configv1.Policies{UserReferences: configv1.ReferencePolicy_REFERENCE_POLICY_MAP}
		}, "policies.userMapping", "policies.userReferences is REFERENCE_POLICY_MAP"},
		{"sharing policy unknown", func(c *configv1.Config) { c.Policies = &configv1.Policies{Sharing: 7} }, "policies.sharing", "REFERENCE_POLICY_STRIP"},
		{"max share above 100", func(c *configv1.Config) { c.Deletion = &configv1.Deletion{Propagate: true, MaxSharePercent: 101} }, "deletion.maxSharePercent", "use 1 to 100"},
		{"max share negative", func(c *configv1.Config) { c.Deletion = &configv1.Deletion{MaxSharePercent: -1} }, "deletion.maxSharePercent", "use 1 to 100"},
		{"page size too small", func(c *configv1.Config) { c.Sizes = &configv1.Sizes{PageSize: 9} }, "sizes.pageSize", "0 for the per-resource default"},
		{"page size too large", func(c *configv1.Config) { c.Sizes = &configv1.Sizes{PageSize: 100_001} }, "sizes.pageSize", "10 to 100000"},
		{"batch size negative", func(c *configv1.Config) { c.Sizes = &configv1.Sizes{BatchSize: -50} }, "sizes.batchSize", "10 to 100000"},
		{"in flight too many", func(c *configv1.Config) { c.Sizes = &configv1.Sizes{MaxInFlight: 17} }, "sizes.maxInFlight", "use 1 to 16"},
		{"execution mode unknown", func(c *configv1.Config) { c.ExecutionMode = 8 }, "executionMode", "EXECUTION_MODE_AUTOMATIC"},
		{"scheduled without cron", func(c *configv1.Config) { c.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED }, "schedule.cron", `"0 2 * * *"`},
		{"cron with four fields", func(c *configv1.Config) {
			c.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED
			c.Schedule = &configv1.Schedule{Cron: "0 2 * *"}
		}, "schedule.cron", "expected exactly 5 fields"},
		{"cron out of range", func(c *configv1.Config) { c.Schedule = &configv1.Schedule{Cron: "61 2 * * *"} }, "schedule.cron", "five fields"},
		{"cron naming a zone", func(c *configv1.Config) { c.Schedule = &configv1.Schedule{Cron: "CRON_TZ=Europe/Paris 0 2 * * *"} }, "schedule.cron", "schedule.timeZone"},
		{"time zone unknown", func(c *configv1.Config) { c.Schedule = &configv1.Schedule{TimeZone: "Mars/Olympus"} }, "schedule.timeZone", "Africa/Abidjan"},
		{"time zone local", func(c *configv1.Config) { c.Schedule = &configv1.Schedule{TimeZone: "Local"} }, "schedule.timeZone", "name the zone"},
		{"poll too often", func(c *configv1.Config) { c.AutoSync = &configv1.AutoSync{PollIntervalSeconds: 59} }, "autoSync.pollIntervalSeconds", "use 60 to 86400"},
		{"poll too rarely", func(c *configv1.Config) { c.AutoSync = &configv1.AutoSync{PollIntervalSeconds: 86_401} }, "autoSync.pollIntervalSeconds", "use 60 to 86400"},
		{"syncs per hour too many", func(c *configv1.Config) { c.AutoSync = &configv1.AutoSync{MaxSyncsPerHour: 61} }, "autoSync.maxSyncsPerHour", "use 1 to 60"},
		{"cooldown negative", func(c *configv1.Config) { c.AutoSync = &configv1.AutoSync{CooldownSeconds: -1} }, "autoSync.cooldownSeconds", "use 1 to 86400"},
		{"cooldown too long", func(c *configv1.Config) { c.AutoSync = &configv1.AutoSync{CooldownSeconds: 86_401} }, "autoSync.cooldownSeconds", "use 1 to 86400"},
		{"failures too many", func(c *configv1.Config) { c.AutoSync = &configv1.AutoSync{DisableAfterFailures: 101} }, "autoSync.disableAfterFailures", "use 1 to 100"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := testValidator()
			c := validConfig()
			tc.change(c)
			_, err := v.Validate(t.Context(), c)
			var invalid *fielderr.InvalidError
			if !errors.As(err, &invalid) {
				t.Fatalf("Validate error = %v, want *fielderr.InvalidError", err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(err, ErrInvalid) = false")
			}
			if len(invalid.Violations) != 1 {
				t.Fatalf("got %d violations, want 1: %+v", len(invalid.Violations), invalid.Violations)
			}
			got := invalid.Violations[0]
			if got.Field != tc.field || !strings.Contains(got.Description, tc.says) {
				t.Errorf("violation = %s: %q\nwant field %s saying %q", got.Field, got.Description, tc.field, tc.says)
			}
		})
	}
}

// TestValidateAccepts lists configurations that must pass, and checks what comes back.
func TestValidateAccepts(t *testing.T) {
	cases := []struct {
		name   string
		change func(c *configv1.Config)
	}{
		{"minimal", func(*configv1.Config) {}},
		{"several destinations", func(c *configv1.Config) { c.DestinationInstanceIds = []string{dstID, dst2ID, destOnlyID} }},
		{"inactive configuration may read from an inactive source", func(c *configv1.Config) {
			c.Active = false
			c.SourceInstanceId = inactiveID
		}},
		{"inactive configuration may write to an inactive destination", func(c *configv1.Config) {
			c.Active = false
			c.DestinationInstanceIds = []string{inactiveID}
		}},
		{"scheduled in a time zone", func(c *configv1.Config) {
			c.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED
			c.Schedule = &configv1.Schedule{Cron: "30 1 * * 1-5", TimeZone: "Africa/Abidjan"}
		}},
		{"scheduled with a descriptor", func(c *configv1.Config) {
			c.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED
			c.Schedule = &configv1.Schedule{Cron: "@daily"}
		}},
		{"automatic with limits at their bounds", func(c *configv1.Config) {
			c.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC
			c.AutoSync = &configv1.AutoSync{PollIntervalSeconds: 60, MaxSyncsPerHour: 60, CooldownSeconds: 86_400, DisableAfterFailures: 100}
		}},
		{"every filter", func(c *configv1.Config) {
			c.SyncType = configv1.SyncType_SYNC_TYPE_COMPLETE
			c.MetadataFamilies = []configv1.MetadataFamily{configv1.MetadataFamily_METADATA_FAMILY_ORGANISATION, configv1.MetadataFamily_METADATA_FAMILY_DATA_SETS}
			c.Filters = &configv1.Filters{
				OrgUnitIds: []string{"ImspTQPwCqd"}, ProgramIds: []string{"IpHINAT79UW"}, DataSetIds: []string{"BfMAe6Itzgt"},
				Periods:   []string{"2024", "202401", "2024Q1", "2024W05", "2024S1", "20240115", "2024BiW1", "2024AprilS1"},
				StartDate: "2024-01-01", EndDate: "2024-01-01",
			}
		}},
		{"open date range", func(c *configv1.Config) { c.Filters = &configv1.Filters{StartDate: "2024-01-01"} }},
		{"user mapping", func(c *configv1.Config) {
			c.Policies = &configv1.Policies{Sharing: configv1.ReferencePolicy_REFERENCE_POLICY_STRIP,
				UserReferences: configv1.ReferencePolicy_REFERENCE_POLICY_MAP, UserMapping: map[string]string{"xE7jOejl9FI": "M5zQapPyTZI"}}
		}},
		{"delete data values", func(c *configv1.Config) {
			c.ImportStrategy = configv1.ImportStrategy_IMPORT_STRATEGY_DELETE
			c.SyncType = configv1.SyncType_SYNC_TYPE_DATA
		}},
		{"sizes at bounds", func(c *configv1.Config) { c.Sizes = &configv1.Sizes{PageSize: 10, BatchSize: 100_000, MaxInFlight: 16} }},
		{"name of 100 characters", func(c *configv1.Config) { c.Name = strings.Repeat("é", 100) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := testValidator()
			c := validConfig()
			tc.change(c)
			got, err := v.Validate(t.Context(), c)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if got.Sizes.GetMaxInFlight() == 0 || got.Schedule.GetTimeZone() == "" {
				t.Errorf("defaults not applied: %v", got)
			}
		})
	}
}

// TestValidateReportsEverything checks that one call reports every problem, ordered like the fields.
func TestValidateReportsEverything(t *testing.T) {
	v, _ := testValidator()
	c := &configv1.Config{
		DestinationInstanceIds: []string{unknownID, srcID},
		SourceInstanceId:       srcID,
		ExecutionMode:          configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED,
		Filters:                &configv1.Filters{StartDate: "2024-13-01"},
		Sizes:                  &configv1.Sizes{PageSize: 1},
		Active:                 true,
	}
	_, err := v.Validate(t.Context(), c)
	var invalid *fielderr.InvalidError
	if !errors.As(err, &invalid) {
		t.Fatalf("Validate error = %v, want *fielderr.InvalidError", err)
	}
	var fields []string
	for _, fv := range invalid.Violations {
		fields = append(fields, fv.Field)
	}
	want := []string{"name", "destinationInstanceIds[1]", "destinationInstanceIds[0]", "syncType", "filters.startDate", "sizes.pageSize", "schedule.cron"}
	if strings.Join(fields, ",") != strings.Join(want, ",") {
		t.Errorf("fields = %v\nwant     %v", fields, want)
	}
}

func TestValidateRegistryFailures(t *testing.T) {
	t.Run("unreachable", func(t *testing.T) {
		v, reg := testValidator()
		reg.err = status.Error(codes.Unavailable, "connection refused")
		_, err := v.Validate(t.Context(), validConfig())
		var unavailable *RegistryUnavailableError
		if !errors.As(err, &unavailable) || !errors.Is(err, ErrRegistryUnavailable) {
			t.Fatalf("error = %v, want *RegistryUnavailableError", err)
		}
		if !strings.Contains(err.Error(), "unreachable at 127.0.0.1:9101: is it running?") {
			t.Errorf("message %q does not name the address", err)
		}
	})
	t.Run("other registry error is not reported as unavailable", func(t *testing.T) {
		v, reg := testValidator()
		reg.err = status.Error(codes.PermissionDenied, "no")
		_, err := v.Validate(t.Context(), validConfig())
		if err == nil || errors.Is(err, ErrRegistryUnavailable) || errors.Is(err, ErrInvalid) {
			t.Fatalf("error = %v, want a plain registry error", err)
		}
	})
	t.Run("caller cancelled", func(t *testing.T) {
		v, reg := testValidator()
		reg.err = status.Error(codes.Canceled, "context canceled")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := v.Validate(ctx, validConfig())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error = %v, want context.Canceled", err)
		}
	})
	t.Run("each instance looked up once", func(t *testing.T) {
		v, reg := testValidator()
		c := validConfig()
		c.DestinationInstanceIds = []string{dstID, dst2ID, dstID}
		_, _ = v.Validate(t.Context(), c)
		if n := reg.calls.Load(); n != 3 {
			t.Errorf("registry called %d times, want 3 (source and two distinct destinations)", n)
		}
	})
	t.Run("destinations beyond the limit are not looked up", func(t *testing.T) {
		v, reg := testValidator()
		c := validConfig()
		for range MaxDestinations {
			c.DestinationInstanceIds = append(c.DestinationInstanceIds, dst2ID)
		}
		_, _ = v.Validate(t.Context(), c)
		if n := reg.calls.Load(); n != 1 {
			t.Errorf("registry called %d times, want 1 (the source)", n)
		}
	})
	t.Run("malformed ids are not looked up", func(t *testing.T) {
		v, reg := testValidator()
		c := validConfig()
		c.SourceInstanceId = "nope"
		c.DestinationInstanceIds = []string{"x"}
		_, _ = v.Validate(t.Context(), c)
		if n := reg.calls.Load(); n != 0 {
			t.Errorf("registry called %d times, want 0", n)
		}
	})
}
