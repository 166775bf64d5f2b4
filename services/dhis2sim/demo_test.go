package dhis2sim

import (
	"path/filepath"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
)

func tinyScale() demodata.Scale {
	return demodata.Scale{Name: "custom", OrgUnits: 20, DataElements: 30, DataValues: 2000, Events: 300, TrackedEntities: 100}
}

func TestLoadDemoPerVersion(t *testing.T) {
	for _, v := range []string{"2.36.0", "2.38.0", "2.41.0", "2.42.0"} {
		t.Run(v, func(t *testing.T) {
			s, c := newClient(t, v)
			g := demodata.New(7, tinyScale())
			if err := s.LoadDemo(g); err != nil {
				t.Fatal(err)
			}
			if got := s.DataValueCount(); got != g.Counts().DataValues {
				t.Fatalf("data values %d, want %d", got, g.Counts().DataValues)
			}
			if s.TrackerCount("trackedEntities") != tinyScale().TrackedEntities {
				t.Fatalf("tracked entities %d", s.TrackerCount("trackedEntities"))
			}
			users := c.json("GET", "/api/users?fields=:owner&paging=false", nil, 200)
			for _, u := range asList(users["users"]) {
				_, nested := u.(map[string]any)["userCredentials"]
				_, flat := u.(map[string]any)["username"]
				if v < "2.38" && (!nested || flat) || v >= "2.38" && (nested || !flat) {
					t.Fatalf("user shape on %s: %v", v, u)
				}
			}
		})
	}
}

func TestStateRoundTrip(t *testing.T) {
	s, c := newClient(t, "2.41.0")
	if err := s.LoadDemo(demodata.New(3, tinyScale())); err != nil {
		t.Fatal(err)
	}
	ds := s.Objects("dataSets")[0]
	if err := s.DeleteObject("validationRules", s.Objects("validationRules")[0]["id"].(string)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "state.gob.gz")
	if err := s.SaveState(path); err != nil {
		t.Fatal(err)
	}
	s2, c2 := newClient(t, "2.41.0")
	ok, err := s2.LoadState(path)
	if err != nil || !ok {
		t.Fatalf("load: %v %v", ok, err)
	}
	if s2.DataValueCount() != s.DataValueCount() || s2.TrackerCount("events") != s.TrackerCount("events") {
		t.Fatalf("counts differ after reload")
	}
	q := "/api/dataValueSets?dataSet=" + ds["id"].(string) + "&startDate=2000-01-01&endDate=2100-01-01&orgUnit=" +
		refID(asList(ds["organisationUnits"])[0]) + "&children=true"
	a := c.json("GET", q, nil, 200)
	b := c2.json("GET", q, nil, 200)
	if len(asList(a["dataValues"])) != len(asList(b["dataValues"])) {
		t.Fatalf("exports differ")
	}
	d := c2.json("GET", "/api/deletedObjects", nil, 200)
	if len(asList(d["deletedObjects"])) != 1 {
		t.Fatalf("deletedObjects lost: %v", d)
	}
	if _, err := (&Server{version: Version{Minor: 40}}).LoadState(path); err == nil {
		t.Fatalf("state of another version accepted")
	}
	if ok, err := s2.LoadState(filepath.Join(t.TempDir(), "missing")); ok || err != nil {
		t.Fatalf("missing file: %v %v", ok, err)
	}
}

// The demo brings its own "admin" account and Superuser role: they replace the seeded ones, so that the
// server holds one of each and every user's roles exist, whatever account the simulator signs in with.
func TestLoadDemoReplacesTheSeededSuperuser(t *testing.T) {
	for _, username := range []string{"admin", "sync"} {
		for _, v := range []string{"2.36.0", "2.41.0"} {
			t.Run(username+"/"+v, func(t *testing.T) {
				s, _ := NewTestServer(t, Options{Version: v, Username: username})
				if err := s.LoadDemo(demodata.New(7, demodata.Scale{Name: "custom", OrgUnits: 20, DataElements: 30})); err != nil {
					t.Fatal(err)
				}
				roles := map[string]bool{}
				supers := 0
				for _, r := range s.Objects("userRoles") {
					roles[r["id"].(string)] = true
					if r["name"] == "Superuser" {
						supers++
					}
				}
				if supers != 1 {
					t.Errorf("%d roles named Superuser", supers)
				}
				names := map[string]int{}
				for _, u := range s.Objects("users") {
					uc, _ := u["userCredentials"].(map[string]any)
					if uc == nil {
						uc = u
					}
					names[uc["username"].(string)]++
					for _, r := range asList(uc["userRoles"]) {
						if !roles[refID(r)] {
							t.Errorf("user %v has the missing role %s", uc["username"], refID(r))
						}
					}
				}
				if names["admin"] != 1 || names[username] != 1 {
					t.Errorf("usernames %v", names)
				}
			})
		}
	}
}

func TestMeIsTheStoredAccount(t *testing.T) {
	s, c := newClient(t, "2.41.0")
	if me := c.json("GET", "/api/me", nil, 200); me["id"] != adminUID {
		t.Fatalf("before the demo: %v", me["id"])
	}
	if err := s.LoadDemo(demodata.New(7, demodata.Scale{Name: "custom", OrgUnits: 20, DataElements: 30})); err != nil {
		t.Fatal(err)
	}
	var admin string
	for _, u := range s.Objects("users") {
		if u["username"] == "admin" {
			admin = u["id"].(string)
		}
	}
	if me := c.json("GET", "/api/me", nil, 200); me["id"] != admin || admin == adminUID {
		t.Fatalf("after the demo: /api/me id %v, stored admin %s", me["id"], admin)
	}
}
