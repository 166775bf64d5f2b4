package orchestrator

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

func TestPlanAggregateSteps(t *testing.T) {
	tests := []struct {
		name      string
		filters   *configv1.Filters
		resources [][]string
		params    []map[string]string
	}{
		{
			name:      "no filter: every data set, the source's roots, every period",
			filters:   nil,
			resources: [][]string{{"dataValues"}},
			params:    []map[string]string{{}},
		},
		{
			name:      "data sets, org units and periods: one step per data set",
			filters:   &configv1.Filters{DataSetIds: []string{"dsA", "dsB"}, OrgUnitIds: []string{"ou1", "ou2"}, Periods: []string{"202401", "2024Q1"}},
			resources: [][]string{{"dataValues:dsA"}, {"dataValues:dsB"}},
			params: []map[string]string{
				{"dataSets": "dsA", "orgUnits": "ou1,ou2", "periods": "202401,2024Q1"},
				{"dataSets": "dsB", "orgUnits": "ou1,ou2", "periods": "202401,2024Q1"},
			},
		},
		{
			name:      "a start date only: the extractor leaves the window open at the end",
			filters:   &configv1.Filters{StartDate: "2020-07-01", ProgramIds: []string{"prog"}},
			resources: [][]string{{"dataValues"}},
			params:    []map[string]string{{"startDate": "2020-07-01"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := planAggregateSteps(&configv1.Config{Filters: tt.filters})
			if len(steps) != len(tt.resources)+1 {
				t.Fatalf("%d steps, want %d data steps and verify", len(steps), len(tt.resources))
			}
			verify := steps[len(steps)-1]
			if want := slices.Concat(tt.resources...); verify.Name != "verify" || verify.Kind != kindVerify ||
				!reflect.DeepEqual([]string(verify.Resources), want) {
				t.Errorf("last step %s (%s) over %v, want verify over %v", verify.Name, verify.Kind, verify.Resources, want)
			}
			for i, st := range steps[:len(steps)-1] {
				if st.Kind != kindAggregate {
					t.Errorf("step %d kind %q", i, st.Kind)
				}
				if !reflect.DeepEqual([]string(st.Resources), tt.resources[i]) {
					t.Errorf("step %d resources %v, want %v", i, st.Resources, tt.resources[i])
				}
				var got map[string]string
				if err := json.Unmarshal(st.Params, &got); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.params[i]) {
					t.Errorf("step %d params %v, want %v", i, got, tt.params[i])
				}
			}
		})
	}
}

// Every data set step has its own watermark resource, so two steps of one run never share a watermark.
func TestAggregateStepsHaveDistinctWatermarks(t *testing.T) {
	steps := planAggregateSteps(&configv1.Config{Filters: &configv1.Filters{DataSetIds: []string{"a", "b", "c"}}})
	seen := map[string]bool{}
	for _, st := range steps {
		if st.Kind == kindVerify {
			continue // verification moves no watermark
		}
		for _, r := range watermarkResources(st) {
			if seen[r] {
				t.Errorf("watermark resource %s shared by two steps", r)
			}
			seen[r] = true
		}
	}
}

// Events and tracker sub-jobs end with a verify step over what they copied, as metadata and aggregate ones do.
func TestEventAndTrackerSubJobsEndWithVerify(t *testing.T) {
	for _, kind := range []string{kindEvents, kindTracker} {
		steps := planDataSteps(&configv1.Config{}, kind)
		last := steps[len(steps)-1]
		if len(steps) != 2 || last.Kind != kindVerify || !slices.Equal(last.Resources, steps[0].Resources) {
			t.Errorf("%s: steps %v, want the data step then a verify step over its resources", kind, steps)
		}
	}
}
