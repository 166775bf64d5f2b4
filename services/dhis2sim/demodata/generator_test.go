package demodata

import (
	"crypto/sha256"
	"encoding/json"
	"hash"
	"iter"
	"testing"
)

// digest hashes the JSON of everything a generator produces.
func digest(t *testing.T, g *Generator) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	md, err := json.Marshal(g.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	out["metadata"] = sha256.Sum256(md)
	out["dataValues"] = hashSeq(t, g.DataValues())
	out["events"] = hashSeq(t, g.Events())
	out["trackedEntities"] = hashSeq(t, g.TrackedEntities())
	out["relationships"] = hashSeq(t, g.Relationships())
	return out
}

func hashSeq[T any](t *testing.T, seq iter.Seq[T]) [32]byte {
	t.Helper()
	var h hash.Hash = sha256.New()
	enc := json.NewEncoder(h)
	for v := range seq {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

func TestDeterministic(t *testing.T) {
	a, b := digest(t, New(7, Small)), digest(t, New(7, Small))
	other := digest(t, New(8, Small))
	for part, sum := range a {
		if b[part] != sum {
			t.Errorf("%s differs between two generators with the same seed", part)
		}
		if other[part] == sum {
			t.Errorf("%s is the same for seeds 7 and 8", part)
		}
	}
}

func TestCounts(t *testing.T) {
	custom := Scale{Name: "custom", OrgUnits: 37, DataElements: 45, DataValues: 12_345, Events: 77, TrackedEntities: 33}
	for _, s := range []Scale{Small, Medium, custom} {
		t.Run(s.Name, func(t *testing.T) {
			g := New(11, s)
			c := g.Counts()
			md := g.Metadata()
			want := Counts{DataValues: s.DataValues, Events: s.Events, TrackedEntities: s.TrackedEntities, Enrollments: s.TrackedEntities,
				Relationships: s.TrackedEntities / 5}
			var got Counts
			for range g.DataValues() {
				got.DataValues++
			}
			for range g.Events() {
				got.Events++
			}
			for te := range g.TrackedEntities() {
				got.TrackedEntities++
				for _, en := range te.Enrollments {
					got.Enrollments++
					got.TrackerEvents += len(en.Events)
					if n := len(en.Events); n < 1 || n > 3 {
						t.Errorf("enrollment %s has %d events, want 1-3", en.Enrollment, n)
					}
				}
			}
			for range g.Relationships() {
				got.Relationships++
			}
			for _, objs := range md {
				got.MetadataObjects += len(objs)
			}
			want.TrackerEvents, want.MetadataObjects = got.TrackerEvents, got.MetadataObjects
			if got != want {
				t.Errorf("streams yield %+v, want %+v", got, want)
			}
			if c != got {
				t.Errorf("Counts() = %+v, streams yield %+v", c, got)
			}
			if n := len(md["organisationUnits"]); n != s.OrgUnits {
				t.Errorf("%d org units, want %d", n, s.OrgUnits)
			}
			if n := len(md["dataElements"]); n != s.DataElements {
				t.Errorf("%d data elements, want %d", n, s.DataElements)
			}
		})
	}
}

// TestLargeCounts checks the large scale's exact data value count without the slower streams.
func TestLargeCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("large scale")
	}
	g := New(3, Large)
	n := 0
	for range g.DataValues() {
		n++
	}
	if c := g.Counts(); n != Large.DataValues || c.DataValues != n || c.Events != Large.Events || c.TrackedEntities != Large.TrackedEntities {
		t.Errorf("large: %d values streamed, Counts() = %+v", n, c)
	}
	md := g.Metadata()
	if len(md["organisationUnits"]) != Large.OrgUnits || len(md["dataElements"]) != Large.DataElements {
		t.Errorf("large: %d org units, %d data elements", len(md["organisationUnits"]), len(md["dataElements"]))
	}
}

func TestMetadataIsIndependentPerCall(t *testing.T) {
	g := New(5, Small)
	first := g.Metadata()
	first["organisationUnits"][0]["name"] = "changed"
	if g.Metadata()["organisationUnits"][0]["name"] == "changed" {
		t.Error("Metadata() returned shared state")
	}
}

func TestDataValuesAllocateAlmostNothing(t *testing.T) {
	g := New(1, Small)
	allocs := testing.AllocsPerRun(3, func() {
		for range g.DataValues() {
		}
	})
	if perValue := allocs / float64(Small.DataValues); perValue > 0.01 {
		t.Errorf("%.0f allocations for %d values (%.4f per value)", allocs, Small.DataValues, perValue)
	}
}
