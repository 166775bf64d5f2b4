package dhis2sim

import (
	"testing"
	"time"
)

func TestLimitKnownWorkloads(t *testing.T) {
	c := scaledCost(t, 1)
	for _, tc := range []struct {
		name     string
		tr       Transfer
		min, max time.Duration
	}{
		// 4 requests of 25,000 values at the 1.8× gain: (4·100 ms + 30 s)/1.8 ≈ 16.9 s, plus a 75 ms first page.
		{"100k data values", DataValuesTransfer(100_000), 16900 * time.Millisecond, 17100 * time.Millisecond},
		// Serial imports: a first page (36 ms), then two imports (2·1.5 s + 8,958·8 ms) while the rest is read.
		{"8,958 metadata objects", MetadataTransfer(8958), 74600 * time.Millisecond, 74800 * time.Millisecond},
		// 50,000 events: (4·100 ms + 70 s)/1.8 ≈ 39.1 s (PERFORMANCE band for 2.41 at 4 streams: 42–54 s).
		{"50k events", TrackerTransfer(50_000), 39 * time.Second, 39300 * time.Millisecond},
	} {
		if got := c.Limit(tc.tr); got < tc.min || got > tc.max {
			t.Errorf("%s: limit %v, want %v–%v", tc.name, got, tc.min, tc.max)
		}
	}
}

// The limit is a lower bound: no request size, parallelism or export/import overlap the model allows does better.
func TestLimitIsALowerBound(t *testing.T) {
	c := scaledCost(t, 1)
	for _, tr := range []Transfer{DataValuesTransfer(100_000), DataValuesTransfer(3_000), MetadataTransfer(8958),
		MetadataTransfer(600), TrackerTransfer(10_000)} {
		limit := c.Limit(tr)
		for _, batch := range []int{1, 20, 50, 60, 500, 5_000, 10_000, 25_000, 100_000} {
			for streams := 1; streams <= 8; streams++ {
				// The fastest such schedule: a first page of one batch, then every import back to back.
				first := c.Work(tr.Exports[0], min(batch, tr.Items))
				if d := first + c.EstimateTotal(tr.Import, tr.Items, batch, streams); d < limit {
					t.Errorf("%v: %d per request, %d streams needs %v, under the limit %v", tr, batch, streams, d, limit)
				}
			}
		}
		// Importing everything at once after reading everything is one of the schedules; the limit never exceeds it.
		if whole := c.floor(tr.Exports[0], tr.Items) + c.Work(tr.Import, tr.Items); limit > whole {
			t.Errorf("%v: limit %v above a schedule the model allows (%v)", tr, limit, whole)
		}
	}
}

func TestLimitScalesWithTheModel(t *testing.T) {
	full, tenth := scaledCost(t, 1), scaledCost(t, 0.1)
	tr := DataValuesTransfer(100_000)
	if a, b := full.Limit(tr), tenth.Limit(tr); b < a/10-time.Millisecond || b > a/10+time.Millisecond {
		t.Fatalf("limit %v at 2.41, %v at 2.41*0.1", a, b)
	}
	none, _ := ParseCostModel("none")
	if none.Limit(tr) != 0 {
		t.Fatalf("the none model has a limit")
	}
}
