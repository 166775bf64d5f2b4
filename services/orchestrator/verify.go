package orchestrator

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// VerifyRequest asks for a comparison of source and destinations after a run.
type VerifyRequest struct {
	JobID            string
	StepID           string
	SourceInstanceID string
	DestinationIDs   []string
	Resources        []string
	ConfigJSON       string
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
