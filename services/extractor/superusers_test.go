package extractor

import (
	"log/slog"
	"reflect"
	"testing"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

func TestSuperusersAreNotCopied(t *testing.T) {
	// One step reads user roles, then users, then user groups, with one Policies value.
	steps := []struct {
		name, plural, obj string
		skip              bool
		want              string // the object after Normalize, when kept
	}{
		{"superuser role of another UID", "userRoles", `{"id":"roleSuper01","name":"Superuser","authorities":["ALL"]}`, true, ""},
		{"ordinary role", "userRoles", `{"id":"roleClerk01","name":"Clerk","authorities":["F_DATAVALUE_ADD"]}`, false,
			`{"id":"roleClerk01","name":"Clerk","authorities":["F_DATAVALUE_ADD"]}`},
		{"admin holding that role", "users", `{"id":"userAdmin01","username":"admin","userRoles":[{"id":"roleSuper01"}]}`, true, ""},
		{"2.36 user holding the built-in role", "users", `{"id":"userOld0001","userCredentials":{"username":"root","userRoles":[{"id":"yrB6vc5Ip3r"}]}}`, true, ""},
		{"superuser with a second role", "users", `{"id":"userBoth001","username":"boss","userRoles":[{"id":"roleClerk01"},{"id":"roleSuper01"}]}`, true, ""},
		{"clerk", "users", `{"id":"userClerk01","username":"clerk","userRoles":[{"id":"roleClerk01"}]}`, false,
			`{"id":"userClerk01","username":"clerk","userRoles":[{"id":"roleClerk01"}]}`},
		{"group loses its superuser members", "userGroups", `{"id":"groupAll001","name":"All","users":[{"id":"userAdmin01"},{"id":"userClerk01"},{"id":"userOld0001"}]}`, false,
			`{"id":"groupAll001","name":"All","users":[{"id":"userClerk01"}]}`},
	}
	p := PoliciesOf(&configv1.Config{})
	p.Log = slog.New(slog.DiscardHandler)
	for _, s := range steps {
		obj := decode(t, s.obj)
		keep := p.Normalize(s.plural, obj)
		if keep == s.skip {
			t.Errorf("%s: kept %v, want %v", s.name, keep, !s.skip)
			continue
		}
		if keep && !reflect.DeepEqual(obj, decode(t, s.want)) {
			t.Errorf("%s: got %v, want %s", s.name, obj, s.want)
		}
	}
	// The destination's superusers are recognised on their own (verification compares neither side's).
	dst := p.forServer()
	if dst.SkipReason("users", decode(t, `{"id":"userAdmin01","username":"admin","userRoles":[{"id":"roleSuper01"}]}`)) != "" {
		t.Error("a fresh server's memory knows the source's superuser role")
	}
	if dst.SkipReason("users", decode(t, `{"id":"xE7jOejl9FI","username":"admin","userRoles":[{"id":"yrB6vc5Ip3r"}]}`)) == "" {
		t.Error("the built-in superuser role is not recognised")
	}
}

func TestZeroPoliciesSkipSuperusersStatelessly(t *testing.T) {
	p := Policies{Log: slog.New(slog.DiscardHandler)}
	if p.Normalize("userRoles", decode(t, `{"id":"r1","name":"Superuser","authorities":["ALL"]}`)) {
		t.Error("superuser role kept")
	}
	if !p.Normalize("users", decode(t, `{"id":"u1","username":"x","userRoles":[{"id":"r1"}]}`)) {
		t.Error("without memory only the built-in role makes a superuser")
	}
}
