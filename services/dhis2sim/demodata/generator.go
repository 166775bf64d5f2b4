package demodata

import (
	"sync"
	"time"
)

// Generator produces one deterministic dataset. It is cheap to create (the metadata model is a few thousand
// small structs even at the large scale) and safe for concurrent use: every method only reads it.
type Generator struct {
	seed  int64
	scale Scale
	key   uint64
	// base is the dataset's "now": the latest timestamp anywhere in it. It is derived from the seed, never from
	// the clock, so a dataset is reproducible.
	base time.Time
	m    *model

	countsOnce sync.Once
	counts     Counts
}

// Counts says how many items each stream yields and how many top-level objects Metadata() returns.
type Counts struct {
	DataValues      int
	Events          int
	TrackedEntities int
	Enrollments     int
	TrackerEvents   int
	Relationships   int
	MetadataObjects int
}

// New returns the generator for a seed and a scale. Scales below the minimum (four org units, one per level)
// are raised to it.
func New(seed int64, scale Scale) *Generator {
	scale = scale.normalized()
	g := &Generator{seed: seed, scale: scale, key: mix64(uint64(seed) ^ 0x6a09e667f3bcc909)}
	// A base day between 2025-01-01 and 2025-12-31, at midnight UTC.
	g.base = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(hash2(g.key, 1)%365))
	g.m = g.buildModel()
	return g
}

// Seed and Scale return what the generator was created with (the scale after normalisation).
func (g *Generator) Seed() int64  { return g.seed }
func (g *Generator) Scale() Scale { return g.scale }

// BaseTime is the dataset's reference "now": data periods end before it and every timestamp is at or before it.
func (g *Generator) BaseTime() time.Time { return g.base }

// Counts returns the exact number of items of each stream, computed from the plan rather than by iterating.
// MetadataObjects is the number of top-level objects in Metadata() (embedded objects not counted).
func (g *Generator) Counts() Counts {
	g.countsOnce.Do(func() {
		m := g.m
		c := Counts{
			TrackedEntities: g.scale.TrackedEntities,
			Enrollments:     g.scale.TrackedEntities,
			Events:          g.scale.Events,
			Relationships:   m.relationshipCount,
			TrackerEvents:   m.trackerEventCount,
		}
		for i := range m.dataSets {
			c.DataValues += int(m.dataSets[i].values)
		}
		for _, objs := range g.Metadata() {
			c.MetadataObjects += len(objs)
		}
		g.counts = c
	})
	return g.counts
}

// Time formats used by DHIS2: metadata and data values without zone, milliseconds always present.
const (
	timeLayout = "2006-01-02T15:04:05.000"
	dateLayout = "2006-01-02"
)

func formatTime(t time.Time) string { return t.Format(timeLayout) }

// stamps returns deterministic created and lastUpdated timestamps for a metadata object: created within the
// three years before base, lastUpdated between created and base.
func (g *Generator) stamps(k kind, index int) (created, lastUpdated string) {
	h := hash3(g.key, uint64(k), uint64(index))
	span := uint64(3 * 365 * 24 * 3600)
	c := g.base.Add(-time.Duration(span-h%(span-86400))*time.Second + time.Duration(h>>54)*time.Millisecond)
	rest := uint64(g.base.Sub(c) / time.Millisecond)
	u := c.Add(time.Duration((h>>24)%max(rest, 1)) * time.Millisecond)
	return formatTime(c), formatTime(u)
}
