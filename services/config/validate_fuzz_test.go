package config

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

// FuzzValidateConfig feeds configurations decoded from arbitrary JSON (what a REST client may send) to the
// validator: it never panics, answers the same twice, never changes its input, names a field and says what to
// do in every violation, and what it accepts it accepts again (defaults are stable).
func FuzzValidateConfig(f *testing.F) {
	seeds := []*configv1.Config{validConfig()}
	full := validConfig()
	full.SyncType = configv1.SyncType_SYNC_TYPE_COMPLETE
	full.DestinationInstanceIds = []string{dstID, dst2ID}
	full.MetadataFamilies = []configv1.MetadataFamily{configv1.MetadataFamily_METADATA_FAMILY_ORGANISATION}
	full.Filters = &configv1.Filters{Periods: []string{"202401", "2024Q1"}, StartDate: "2024-01-01", EndDate: "2024-12-31",
		OrgUnitIds: []string{"ImspTQPwCqd"}, DataSetIds: []string{"pBOMPrpg1QX"}}
	full.Sizes = &configv1.Sizes{PageSize: 1000, BatchSize: 500, MaxInFlight: 4}
	full.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED
	full.Schedule = &configv1.Schedule{Cron: "0 2 * * *"}
	full.Deletion = &configv1.Deletion{Propagate: true, MaxSharePercent: 5}
	seeds = append(seeds, full)
	for _, c := range seeds {
		b, err := protojson.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"name":"","sourceInstanceId":"` + unknownID + `","syncType":"SYNC_TYPE_DATA","sizes":{"pageSize":-1,"maxInFlight":99999}}`))
	f.Add([]byte(`{"name":"x","executionMode":"EXECUTION_MODE_AUTO","autoSync":{"pollIntervalSeconds":1},"filters":{"startDate":"2025-13-01","endDate":"2024-01-01","periods":["LAST_12_MONTHS"]}}`))
	v, _ := testValidator()
	f.Fuzz(func(t *testing.T, data []byte) {
		var c configv1.Config
		if protojson.Unmarshal(data, &c) != nil {
			return
		}
		orig := proto.Clone(&c)
		ctx := context.Background()
		out, err := v.Validate(ctx, &c)
		if !proto.Equal(orig, &c) {
			t.Fatal("Validate changed its input")
		}
		out2, err2 := v.Validate(ctx, &c)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) || (err == nil && !proto.Equal(out, out2)) {
			t.Fatalf("two validations differ: %v / %v", err, err2)
		}
		if err == nil {
			if _, err := v.Validate(ctx, out); err != nil {
				t.Fatalf("the configuration with defaults applied is refused: %v", err)
			}
			return
		}
		var inv *fielderr.InvalidError
		if !errors.As(err, &inv) {
			t.Fatalf("not an InvalidError: %v", err)
		}
		if len(inv.Violations) == 0 {
			t.Fatal("an InvalidError without violations")
		}
		for _, vi := range inv.Violations {
			if vi.Field == "" || strings.TrimSpace(vi.Description) == "" {
				t.Fatalf("violation without field or description: %+v", vi)
			}
		}
	})
}
