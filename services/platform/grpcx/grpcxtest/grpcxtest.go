// Package grpcxtest gives tests service identities from one throw-away authority, and connections that call
// each method as a service the access table allows, so that tests exercise the real mutual TLS and rules.
package grpcxtest

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
)

// TestUser is the platform user tests act for when they call as the gateway.
const TestUser = "test-user"

var (
	once sync.Once
	ids  map[string]*grpcx.Identity
	err  error
)

// Identity returns service's identity; every identity of a test binary shares one authority.
func Identity(t testing.TB, service string) *grpcx.Identity {
	t.Helper()
	once.Do(func() {
		dir, e := os.MkdirTemp("", "dhis2sync-identity-")
		if e != nil {
			err = e
			return
		}
		defer os.RemoveAll(dir) // identities are in memory once loaded
		if err = grpcx.IssueIdentities(dir, settings.GRPCServices); err != nil {
			return
		}
		ids = map[string]*grpcx.Identity{}
		for _, s := range settings.GRPCServices {
			if ids[s], err = grpcx.LoadIdentity(dir, s); err != nil {
				return
			}
		}
	})
	if err != nil {
		t.Fatalf("test identities: %v", err)
	}
	return ids[service]
}

// Dial connects to service at addr as caller, closing the connection when the test ends.
func Dial(t testing.TB, caller, service, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := Identity(t, caller).Dial(service, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// DialAllowed connects to service at addr and makes each call as the first service the access table allows to
// make it, naming TestUser when that is the gateway: a test client that reaches every method as production
// callers do.
func DialAllowed(t testing.TB, service, addr string) grpc.ClientConnInterface {
	t.Helper()
	r := &router{conns: map[string]*grpc.ClientConn{}}
	for _, caller := range settings.GRPCServices {
		r.conns[caller] = Dial(t, caller, service, addr)
	}
	return r
}

type router struct{ conns map[string]*grpc.ClientConn }

func (r *router) pick(ctx context.Context, method string) (context.Context, grpc.ClientConnInterface) {
	callers, _ := grpcx.Callers(method)
	caller := settings.Gateway // a method without a rule is refused; the gateway's refusal is as good as any
	if len(callers) > 0 {
		caller = callers[0]
	}
	if caller == settings.Gateway {
		if md, _ := metadata.FromOutgoingContext(ctx); len(md.Get(grpcx.UserHeader)) == 0 {
			ctx = metadata.AppendToOutgoingContext(ctx, grpcx.UserHeader, TestUser)
		}
	}
	return ctx, r.conns[caller]
}

func (r *router) Invoke(ctx context.Context, method string, req, resp any, opts ...grpc.CallOption) error {
	ctx, c := r.pick(ctx, method)
	return c.Invoke(ctx, method, req, resp, opts...)
}

func (r *router) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	ctx, c := r.pick(ctx, method)
	return c.NewStream(ctx, desc, method, opts...)
}
