package extractor_test

import (
	"strings"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/extractor"
)

// Every DHIS2 has its own "admin" account and Superuser role. The demo source has them under other UIDs than
// the destination's: copying them would fail with E5003 (username and role name are unique) and, with
// atomicMode=ALL, take every user, role and group down with them. They are left alone on both sides and
// verification lists the source's as skipped.
func TestUsersFamilyLeavesSuperusersAlone(t *testing.T) {
	h := newSyncHarness(t, "2.39.1", "2.41.0")
	if err := h.src.LoadDemo(demodata.New(7, demodata.Scale{Name: "custom", OrgUnits: 20, DataElements: 30})); err != nil {
		t.Fatal(err)
	}
	srcAdmin, dstAdmin := userNamed(t, h.src.Objects("users"), "admin"), userNamed(t, h.dst.Objects("users"), "admin")
	if srcAdmin == dstAdmin {
		t.Fatalf("both servers have admin %s: the test needs different UIDs", srcAdmin)
	}
	for _, r := range h.sync("users", "") {
		for _, c := range r.GetConflicts() {
			t.Errorf("conflict %s %s %s: %s", c.GetCode(), c.GetObjectType(), c.GetUid(), c.GetMessage())
		}
		if r.GetError() != "" {
			t.Errorf("step %s: %s", r.GetStepId(), r.GetError())
		}
	}
	if got, want := len(h.dst.Objects("users")), len(h.src.Objects("users")); got != want {
		t.Errorf("destination has %d users, want %d (the source's but admin, plus its own admin)", got, want)
	}
	// A second run updates everything in place: no conflict either (option codes such as POSITIVE repeat
	// across option sets, which DHIS2 allows).
	for _, r := range h.sync("users-again", "") {
		for _, c := range r.GetConflicts() {
			t.Errorf("second run: conflict %s %s %s: %s", c.GetCode(), c.GetObjectType(), c.GetUid(), c.GetMessage())
		}
	}
	if userNamed(t, h.dst.Objects("users"), "admin") != dstAdmin {
		t.Errorf("the destination's admin account was replaced")
	}
	v := h.verify("")
	for _, d := range v.GetDifferences() {
		if d.GetKind() != extractor.Skipped {
			t.Errorf("difference %s %s %s: %s", d.GetKind(), d.GetResource(), d.GetUid(), d.GetDetail())
		}
	}
	if !v.GetPassed() || v.GetDifferenceCount() != 0 {
		t.Fatalf("verification: passed %v, %d differences", v.GetPassed(), v.GetDifferenceCount())
	}
	skipped := map[string]bool{}
	for _, d := range v.GetDifferences() {
		if d.GetKind() == extractor.Skipped {
			skipped[d.GetResource()+"/"+d.GetUid()] = true
			if !strings.Contains(d.GetDetail(), "superuser") {
				t.Errorf("skipped %s %s: detail %q does not say why", d.GetResource(), d.GetUid(), d.GetDetail())
			}
		}
	}
	srcRole := ""
	for _, r := range h.src.Objects("userRoles") {
		if r["name"] == "Superuser" {
			srcRole, _ = r["id"].(string)
		}
	}
	for _, want := range []string{"users/" + srcAdmin, "userRoles/" + srcRole} {
		if !skipped[want] {
			t.Errorf("%s not listed as skipped: %v", want, skipped)
		}
	}
}

func userNamed(t *testing.T, users []map[string]any, username string) string {
	t.Helper()
	for _, u := range users {
		name, _ := u["username"].(string)
		if uc, ok := u["userCredentials"].(map[string]any); ok && name == "" {
			name, _ = uc["username"].(string)
		}
		if name == username {
			id, _ := u["id"].(string)
			return id
		}
	}
	t.Fatalf("no user %s", username)
	return ""
}
