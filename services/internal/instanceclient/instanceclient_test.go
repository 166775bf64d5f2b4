package instanceclient

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
)

type fakeRegistry struct {
	calls int
	resp  map[string]*instancev1.GetCredentialsResponse
}

func (f *fakeRegistry) GetCredentials(_ context.Context, in *instancev1.GetCredentialsRequest, _ ...grpc.CallOption) (*instancev1.GetCredentialsResponse, error) {
	f.calls++
	if r, ok := f.resp[in.GetId()]; ok {
		return r, nil
	}
	return nil, errors.New("not found")
}

func TestClientsCacheAndErrors(t *testing.T) {
	reg := &fakeRegistry{resp: map[string]*instancev1.GetCredentialsResponse{
		"basic": {BaseUrl: "http://127.0.0.1:1/api", AuthType: instancev1.AuthType_AUTH_TYPE_BASIC, Username: "u", Password: "p"},
		"token": {BaseUrl: "http://127.0.0.1:1", AuthType: instancev1.AuthType_AUTH_TYPE_TOKEN, Token: "d2pat_x"},
		"bad":   {BaseUrl: "not a url"},
	}}
	c := &Clients{Registry: reg}
	ctx := context.Background()
	a, err := c.Get(ctx, "basic")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Get(ctx, "basic")
	if err != nil || a != b || reg.calls != 1 {
		t.Fatalf("second Get: same client %v, registry calls %d, err %v", a == b, reg.calls, err)
	}
	if a.BaseURL() != "http://127.0.0.1:1" {
		t.Errorf("base URL %q not normalised", a.BaseURL())
	}
	if _, err := c.Get(ctx, "token"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "missing"); err == nil || !strings.Contains(err.Error(), "instance registry") {
		t.Errorf("unknown instance: %v", err)
	}
	if _, err := c.Get(ctx, "bad"); err == nil {
		t.Error("a malformed base URL must fail")
	}
}
