package orchestrator

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
)

// VerifyRequest asks for a comparison of source and destinations after a run.
type VerifyRequest struct {
	JobID            string
	StepID           string
	SourceInstanceID string
	DestinationIDs   []string
	Resources        []string
	// Config is the job's configuration snapshot (its policies decide the normalisation).
	Config *configv1.Config
}

// Verifier compares source and destinations per resource (counts and hashes of normalised owner JSON). The
// extractor provides it through its VerifyStep RPC; an implementation returns ErrVerificationUnavailable or a
// gRPC Unimplemented status when it cannot verify.
type Verifier interface {
	Verify(ctx context.Context, req VerifyRequest) (*orchestratorv1.Verification, error)
}

// unavailableVerifier stands in until the extractor serves VerifyStep.
type unavailableVerifier struct{}

func (unavailableVerifier) Verify(context.Context, VerifyRequest) (*orchestratorv1.Verification, error) {
	return nil, status.Error(codes.Unimplemented, "the extractor does not serve VerifyStep")
}

// ExtractorVerifier verifies through the extractor's VerifyStep, which reads the source and every destination.
type ExtractorVerifier struct {
	Client extractorv1.ExtractorServiceClient
}

// Verify implements Verifier.
func (v ExtractorVerifier) Verify(ctx context.Context, req VerifyRequest) (*orchestratorv1.Verification, error) {
	res, err := v.Client.VerifyStep(ctx, &extractorv1.VerifyStepRequest{
		JobId: req.JobID, StepId: req.StepID, SourceInstanceId: req.SourceInstanceID,
		DestinationInstanceIds: req.DestinationIDs, Resources: req.Resources, Config: req.Config,
		Kind: stepv1.StepKind_STEP_KIND_VERIFY,
	})
	if err != nil {
		return nil, err
	}
	out := &orchestratorv1.Verification{Passed: res.GetPassed(), DifferenceCount: res.GetDifferenceCount(), Time: res.GetTime()}
	for _, c := range res.GetResources() {
		out.Resources = append(out.Resources, &orchestratorv1.ResourceCheck{
			Resource: c.GetResource(), SourceCount: c.GetSourceCount(), DestinationCount: c.GetDestinationCount(),
			SourceHash: c.GetSourceHash(), DestinationHash: c.GetDestinationHash(), Equal: c.GetEqual(),
			DestinationInstanceId: c.GetDestinationInstanceId(),
		})
	}
	for _, d := range res.GetDifferences() {
		out.Differences = append(out.Differences, &orchestratorv1.Difference{
			Resource: d.GetResource(), Uid: d.GetUid(), Kind: d.GetKind(),
			DestinationInstanceId: d.GetDestinationInstanceId(), Detail: d.GetDetail(),
		})
	}
	return out, nil
}

// mergeVerifications combines two sub-jobs' verifications for their job: the job's copy is proven only when
// both are.
func mergeVerifications(a, b *orchestratorv1.Verification) *orchestratorv1.Verification {
	out := proto.Clone(a).(*orchestratorv1.Verification)
	out.Passed = a.GetPassed() && b.GetPassed()
	out.Resources = append(out.Resources, b.GetResources()...)
	out.Differences = append(out.Differences, b.GetDifferences()...)
	out.DifferenceCount += b.GetDifferenceCount()
	out.Time = b.GetTime()
	return out
}
