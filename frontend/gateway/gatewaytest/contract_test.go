package gatewaytest_test

import (
	"testing"

	"github.com/dhis2sync/dhis2sync/frontend/gateway/gatewaytest"
	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

// TestFakeGatewayContract runs the client against the fake: sign-in, roles, and a job that runs to the end.
func TestFakeGatewayContract(t *testing.T) {
	fake := gatewaytest.New()
	defer fake.Close()
	anon := apiclient.New(fake.URL, nil)
	if _, err := anon.Login(t.Context(), "admin", "wrong"); !apiclient.IsUnauthenticated(err) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := anon.ListInstances(t.Context()); !apiclient.IsUnauthenticated(err) {
		t.Fatalf("no token: %v", err)
	}
	resp, err := anon.Login(t.Context(), "viewer", gatewaytest.ViewerPassword)
	if err != nil || resp.GetUser().GetRole().String() != "ROLE_VIEWER" {
		t.Fatalf("login: %v %v", resp, err)
	}
	viewer := anon.WithToken(resp.GetToken())
	if err := viewer.DeleteInstance(t.Context(), "x"); !apiclient.IsForbidden(err) {
		t.Fatalf("viewer delete: %v", err)
	}
	me, err := viewer.Me(t.Context())
	if err != nil || me.GetUsername() != "viewer" {
		t.Fatalf("me: %v %v", me, err)
	}
}
