package config

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
)

// Instance ids used by the tests: a source, two destinations, and instances that are inactive or lack a role.
const (
	srcID        = "0190c0de-0000-7000-8000-000000000001"
	dstID        = "0190c0de-0000-7000-8000-000000000002"
	dst2ID       = "0190c0de-0000-7000-8000-000000000003"
	inactiveID   = "0190c0de-0000-7000-8000-000000000004"
	destOnlyID   = "0190c0de-0000-7000-8000-000000000005"
	sourceOnlyID = "0190c0de-0000-7000-8000-000000000006"
	unknownID    = "0190c0de-0000-7000-8000-0000000000ff"
)

// testInstances is the registry content the tests validate against.
func testInstances() map[string]*instancev1.Instance {
	return map[string]*instancev1.Instance{
		srcID:        {Id: srcID, Name: "National HMIS", IsSource: true, Active: true},
		dstID:        {Id: dstID, Name: "District mirror", IsDestination: true, Active: true},
		dst2ID:       {Id: dst2ID, Name: "Training", IsSource: true, IsDestination: true, Active: true},
		inactiveID:   {Id: inactiveID, Name: "Old server", IsSource: true, IsDestination: true, Active: false},
		destOnlyID:   {Id: destOnlyID, Name: "Archive", IsDestination: true, Active: true},
		sourceOnlyID: {Id: sourceOnlyID, Name: "Survey", IsSource: true, Active: true},
	}
}

// fakeRegistry answers GetInstance from a map, or fails every call with err.
type fakeRegistry struct {
	instancev1.UnimplementedInstanceServiceServer
	instances map[string]*instancev1.Instance
	err       error
	calls     atomic.Int32
}

func (f *fakeRegistry) GetInstance(_ context.Context, req *instancev1.GetInstanceRequest) (*instancev1.GetInstanceResponse, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	in, ok := f.instances[req.GetId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "instance not found: %s", req.GetId())
	}
	return &instancev1.GetInstanceResponse{Instance: in}, nil
}

// client adapts the fake to InstanceGetter without a network, for unit tests.
type fakeClient struct{ *fakeRegistry }

func (c fakeClient) GetInstance(ctx context.Context, req *instancev1.GetInstanceRequest, _ ...grpc.CallOption) (*instancev1.GetInstanceResponse, error) {
	return c.fakeRegistry.GetInstance(ctx, req)
}
