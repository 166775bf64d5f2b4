package config

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

// InstanceGetter is the part of the instance registry's client that validation needs.
// instancev1.InstanceServiceClient satisfies it.
type InstanceGetter interface {
	GetInstance(ctx context.Context, in *instancev1.GetInstanceRequest, opts ...grpc.CallOption) (*instancev1.GetInstanceResponse, error)
}

// lookupTimeout bounds all registry calls of one validation, so that a hung registry cannot hang a request.
const lookupTimeout = 5 * time.Second

// checkInstances asks the registry about every well-formed instance reference of c and reports those that are
// unknown, of the wrong role or, for an active configuration, inactive. An inactive configuration may point at
// inactive instances, so that a configuration can be switched off after its instances were. Destinations are
// not looked up when there are more than MaxDestinations (checkFields reports that), to bound the calls.
func checkInstances(ctx context.Context, reg InstanceGetter, addr string, c *configv1.Config) (fielderr.List, error) {
	dsts := c.DestinationInstanceIds
	if len(dsts) > MaxDestinations {
		dsts = nil
	}
	ids := make([]string, 0, 1+len(dsts))
	for _, id := range append([]string{c.SourceInstanceId}, dsts...) {
		if isUUID(id) {
			ids = append(ids, id)
		}
	}
	found, err := lookupInstances(ctx, reg, addr, ids)
	if err != nil {
		return nil, err
	}
	var vs fielderr.List
	if isUUID(c.SourceInstanceId) {
		checkInstance(&vs, "sourceInstanceId", c.SourceInstanceId, found[c.SourceInstanceId], c.Active, true)
	}
	for i, id := range dsts {
		if isUUID(id) && id != c.SourceInstanceId {
			checkInstance(&vs, fmt.Sprintf("destinationInstanceIds[%d]", i), id, found[id], c.Active, false)
		}
	}
	return vs, nil
}

func checkInstance(vs *fielderr.List, field, id string, in *instancev1.Instance, active, source bool) {
	role, flag, has := "destination", "isDestination", in.GetIsDestination()
	if source {
		role, flag, has = "source", "isSource", in.GetIsSource()
	}
	switch {
	case in == nil:
		vs.Addf(field, "instance %s does not exist: register it in the instance registry or choose another %s", id, role)
	case !has:
		vs.Addf(field, "instance %q is not registered as a %s: set %s on it or choose another %s", in.GetName(), role, flag, role)
	case active && !in.GetActive():
		vs.Addf(field, "instance %q is inactive: activate it, choose another %s, or save this configuration with active=false", in.GetName(), role)
	}
}

// lookupInstances fetches the distinct ids concurrently. A missing id maps to nil. An unreachable registry is
// a *RegistryUnavailableError; the caller's own cancellation is returned as such.
func lookupInstances(ctx context.Context, reg InstanceGetter, addr string, ids []string) (map[string]*instancev1.Instance, error) {
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		found = make(map[string]*instancev1.Instance, len(ids))
		errs  []error
	)
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		wg.Go(func() {
			resp, err := reg.GetInstance(lctx, &instancev1.GetInstanceRequest{Id: id})
			mu.Lock()
			defer mu.Unlock()
			switch status.Code(err) {
			case codes.OK:
				found[id] = resp.GetInstance()
			case codes.NotFound, codes.InvalidArgument:
			default:
				errs = append(errs, fmt.Errorf("get instance %s: %w", id, err))
			}
		})
	}
	wg.Wait()
	if len(errs) == 0 {
		return found, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	err := errors.Join(errs...)
	switch status.Code(errs[0]) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return nil, &RegistryUnavailableError{Addr: addr, Err: err}
	}
	return nil, err
}
