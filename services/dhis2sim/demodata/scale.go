package demodata

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Scale sets how much a Generator produces. Counts are targets for the whole dataset: OrgUnits is the size of
// the four-level hierarchy (at least 4), DataElements includes the 18 tracker-domain elements of the two
// programs, and DataValues, Events and TrackedEntities are met exactly (see Counts). Data values need aggregate
// elements: with DataElements of 18 or fewer there are none, and Counts().DataValues says 0.
type Scale struct {
	Name            string // "small", "medium", "large" or "custom"
	OrgUnits        int
	DataElements    int
	DataValues      int
	Events          int // events of the event (without registration) program
	TrackedEntities int // each with one enrollment in the tracker program and 1-3 events
}

// The predefined scales. Large is the size of a national HMIS that dhis2sync must handle comfortably.
var (
	Small  = Scale{Name: "small", OrgUnits: 100, DataElements: 200, DataValues: 10_000, Events: 5_000, TrackedEntities: 1_000}
	Medium = Scale{Name: "medium", OrgUnits: 1_000, DataElements: 1_000, DataValues: 100_000, Events: 50_000, TrackedEntities: 10_000}
	Large  = Scale{Name: "large", OrgUnits: 5_000, DataElements: 3_000, DataValues: 1_000_000, Events: 200_000, TrackedEntities: 50_000}
)

// ScaleByName returns one of the predefined scales.
func ScaleByName(name string) (Scale, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case Small.Name:
		return Small, nil
	case Medium.Name:
		return Medium, nil
	case Large.Name:
		return Large, nil
	}
	return Scale{}, fmt.Errorf("unknown demo data scale %q: valid scales are small, medium and large", name)
}

// ParseSeed turns a command-line seed into the int64 that New takes: a decimal integer is used as is, any
// other text (such as "demo") is hashed, so that a word always names the same dataset.
func ParseSeed(s string) int64 {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n
	}
	h := fnv.New64a()
	h.Write([]byte(s))
	return int64(h.Sum64())
}

// normalized clamps a scale to what the generator can build: at least one org unit per level, and no negative
// volumes.
func (s Scale) normalized() Scale {
	s.OrgUnits = max(s.OrgUnits, 4)
	s.DataElements = max(s.DataElements, 0)
	s.DataValues = max(s.DataValues, 0)
	s.Events = max(s.Events, 0)
	s.TrackedEntities = max(s.TrackedEntities, 0)
	return s
}
