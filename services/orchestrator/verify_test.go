package orchestrator

import (
	"testing"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

func TestMergeVerifications(t *testing.T) {
	meta := &orchestratorv1.Verification{Passed: true, Resources: []*orchestratorv1.ResourceCheck{{Resource: "dataElements", Equal: true}}}
	data := &orchestratorv1.Verification{Passed: false, DifferenceCount: 2,
		Resources:   []*orchestratorv1.ResourceCheck{{Resource: "dataValues:ds1 202401", Equal: false}},
		Differences: []*orchestratorv1.Difference{{Resource: "dataValues", Kind: "CHANGED"}, {Resource: "dataValues", Kind: "MISSING_ON_DESTINATION"}}}
	got := mergeVerifications(meta, data)
	if got.GetPassed() || len(got.GetResources()) != 2 || got.GetDifferenceCount() != 2 || len(got.GetDifferences()) != 2 {
		t.Fatalf("merged %v", got)
	}
	if !meta.GetPassed() || len(meta.GetResources()) != 1 {
		t.Fatal("merging changed its input")
	}
	if both := mergeVerifications(meta, meta); !both.GetPassed() || len(both.GetResources()) != 2 {
		t.Fatalf("two passing verifications: %v", both)
	}
}
