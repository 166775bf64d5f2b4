package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
)

var small = []string{"--seed", "demo", "--org-units", "20", "--data-elements", "30", "--data-values", "500",
	"--events", "0", "--tracked-entities", "0"}

// The binary seeds the demo exactly as dhis2sim.LoadDemo does for tests: same objects, same sign-in.
func TestDemoSeedMatchesLoadDemo(t *testing.T) {
	for _, args := range [][]string{{"--version", "2.39.1"}, {"--version", "2.36.0", "--username", "sync"}} {
		t.Run(args[1], func(t *testing.T) {
			s, err := parseSettings(append(args, small...), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := newServer(s, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			want, err := dhis2sim.New(dhis2sim.Options{Version: s.version, Username: s.username, Seed: s.randomSeed})
			if err != nil {
				t.Fatal(err)
			}
			sc, _ := s.demoScale()
			if err := want.LoadDemo(demodata.New(s.randomSeed, sc)); err != nil {
				t.Fatal(err)
			}
			for _, plural := range []string{"users", "userRoles", "dataElements", "organisationUnits"} {
				if got, exp := ids(srv.Objects(plural)), ids(want.Objects(plural)); !equal(got, exp) || len(got) == 0 {
					t.Errorf("%s: binary %v, LoadDemo %v", plural, got, exp)
				}
			}
			if srv.DataValueCount() != want.DataValueCount() {
				t.Errorf("data values: %d and %d", srv.DataValueCount(), want.DataValueCount())
			}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/me", nil)
			req.SetBasicAuth(s.username, s.password)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("sign-in as %s: HTTP %d", s.username, resp.StatusCode)
			}
		})
	}
}

// A saved state is restored instead of seeding again.
func TestStateWinsOverSeed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.gob.gz")
	s, err := parseSettings(append([]string{"--version", "2.41.0", "--state", path}, small...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	first, err := newServer(s, log)
	if err != nil {
		t.Fatal(err)
	}
	id := first.Objects("validationRules")[0]["id"].(string)
	if err := first.DeleteObject("validationRules", id); err != nil {
		t.Fatal(err)
	}
	if err := first.SaveState(path); err != nil {
		t.Fatal(err)
	}
	second, err := newServer(s, log)
	if err != nil {
		t.Fatal(err)
	}
	if n, m := len(second.Objects("validationRules")), len(first.Objects("validationRules")); n != m {
		t.Fatalf("restored %d validation rules, saved %d", n, m)
	}
}

func ids(objs []map[string]any) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i], _ = o["id"].(string)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
