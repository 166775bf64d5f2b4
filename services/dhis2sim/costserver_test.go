package dhis2sim

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// The cost-model tests run a scaled-down 2.41 profile: the model is linear in time, so the properties hold at
// any scale and the tests take milliseconds. Lower bounds are strict (the server can never be faster than
// the model); upper bounds are loose, for a loaded machine.

func scaledCost(t *testing.T, factor float64) CostModel {
	t.Helper()
	c, err := ParseCostModel(fmt.Sprintf("2.41*%g", factor))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runTogether starts every fn at once and returns how long each took.
func runTogether(fns ...func()) []time.Duration {
	out := make([]time.Duration, len(fns))
	var wg sync.WaitGroup
	start := time.Now()
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn()
			out[i] = time.Since(start)
		}()
	}
	wg.Wait()
	return out
}

func slowest(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// Four parallel requests finish at best 1.8× faster than the same four one after the other (2.41 gains ≈1.8×
// at 4 streams and nothing beyond), and each takes 4/1.8 times its solo latency.
func TestCostParallelGainBounded(t *testing.T) {
	m := scaledCost(t, 0.1)
	c := newCapacity(m)
	work := 80 * time.Millisecond
	solo := slowest(runTogether(func() { c.serve(context.Background(), work, false) }))
	var fns []func()
	for range 8 {
		fns = append(fns, func() { c.serve(context.Background(), work, false) })
	}
	eight := slowest(runTogether(fns...))
	// 8 requests of work W need at least 8W/1.8 whatever their overlap.
	if min := time.Duration(float64(8*work) / m.Speedup); eight < min {
		t.Fatalf("8 parallel requests of %v finished in %v: faster than the 1.8× gain allows (%v)", work, eight, min)
	}
	if gain := float64(8*solo) / float64(eight); gain < 1.3 {
		t.Fatalf("parallel gain %.2f, want ≈%.1f (solo %v, 8 parallel %v)", gain, m.Speedup, solo, eight)
	}
}

// A large request that starts alone is slowed down by requests arriving after it: one large solo request plus
// three parallel small ones cannot beat the 1.8× gain.
func TestCostLaterRequestsSlowEarlierOnes(t *testing.T) {
	m := scaledCost(t, 0.1)
	c := newCapacity(m)
	large, small := 200*time.Millisecond, 60*time.Millisecond
	took := runTogether(
		func() { c.serve(context.Background(), large, false) },
		func() { time.Sleep(10 * time.Millisecond); c.serve(context.Background(), small, false) },
		func() { time.Sleep(10 * time.Millisecond); c.serve(context.Background(), small, false) },
		func() { time.Sleep(10 * time.Millisecond); c.serve(context.Background(), small, false) },
	)
	if took[0] < large+small {
		t.Fatalf("the large request took %v: the three later ones did not slow it down (alone: %v)", took[0], large)
	}
	if total, min := slowest(took), time.Duration(float64(large+3*small)/m.Speedup); total < min {
		t.Fatalf("all four finished in %v, faster than the 1.8× gain allows (%v)", total, min)
	}
}

// Metadata, data value and tracker imports and exports on one server share its capacity.
func TestCostMixedClassesSlowEachOther(t *testing.T) {
	m := scaledCost(t, 0.1)
	s, err := New(Options{Version: "2.41.0", Cost: m})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dv := m.Work(EndpointDataValuesImport, 10_000) // 310 ms at this scale
	md := m.Work(EndpointMetadataImport, 150)      // 270 ms
	tr := m.Work(EndpointTrackerImport, 2_000)     // 290 ms
	ex := m.Work(EndpointDataValuesExport, 20_000) // 207 ms
	took := runTogether(
		func() { s.applyCost(ctx, EndpointDataValuesImport, 10_000) },
		func() { s.applyCost(ctx, EndpointMetadataImport, 150) },
		func() { s.applyCost(ctx, EndpointTrackerImport, 2_000) },
		func() { s.applyCost(ctx, EndpointDataValuesExport, 20_000) },
	)
	if total, min := slowest(took), time.Duration(float64(dv+md+tr+ex)/m.Speedup); total < min {
		t.Fatalf("four requests of four classes finished in %v: they did not share the server (at least %v)", total, min)
	}
	for i, solo := range []time.Duration{dv, md, tr, ex} {
		if took[i] < solo*3/2 {
			t.Fatalf("request %d took %v, barely more than alone (%v): the other classes did not slow it", i, took[i], solo)
		}
	}
}

// Atomic metadata imports run one at a time: two in parallel take as long as two in a row.
func TestCostMetadataImportsSerial(t *testing.T) {
	m := scaledCost(t, 0.1)
	s, err := New(Options{Version: "2.41.0", Cost: m})
	if err != nil {
		t.Fatal(err)
	}
	one := m.Work(EndpointMetadataImport, 100)
	f := func() { s.applyCost(context.Background(), EndpointMetadataImport, 100) }
	if both := slowest(runTogether(f, f)); both < 2*one {
		t.Fatalf("two parallel metadata imports took %v, less than two in a row (%v)", both, 2*one)
	}
}

// An async import costs what a sync one does plus DHIS2's queueing overhead, after the response: its task
// reports it running until the work is done, even though the client has its answer.
func TestCostAsyncImportNotCheaperThanSync(t *testing.T) {
	m := scaledCost(t, 0.05)
	s, ts := NewTestServer(t, Options{Version: "2.41.0", Cost: m})
	c := &client{t: t, base: ts.URL, user: "admin", pass: "district"}
	payload := func(prefix string) map[string]any {
		var ous []any
		for i := range 100 {
			ous = append(ous, map[string]any{"id": fmt.Sprintf("%s%06d", prefix, i), "name": fmt.Sprintf("%s %d", prefix, i),
				"shortName": fmt.Sprintf("%s %d", prefix, i), "openingDate": "2000-01-01"})
		}
		return map[string]any{"organisationUnits": ous}
	}
	start := time.Now()
	c.json("POST", "/api/metadata", payload("OuSyA"), 200)
	syncTook := time.Since(start)
	if want := m.Work(EndpointMetadataImport, 100); syncTook < want {
		t.Fatalf("sync import took %v, less than the model's %v", syncTook, want)
	}

	start = time.Now()
	resp := c.json("POST", "/api/metadata?async=true", payload("OuAsB"), 200)
	answered := time.Since(start)
	id, _ := dig(resp, "response", "id").(string)
	if id == "" {
		t.Fatalf("no job id in %v", resp)
	}
	if answered >= syncTook {
		t.Fatalf("async answer took %v, as long as the sync import (%v)", answered, syncTook)
	}
	_, notes, _, _ := s.tasks.get("METADATA_IMPORT", id)
	if len(notes) == 0 || notes[0].Completed {
		t.Fatalf("the task is complete as soon as the import was accepted: %v", notes)
	}
	s.WaitJob(id)
	asyncTook := time.Since(start)
	if want := m.Work(EndpointMetadataImport, 100) + m.AsyncOverhead; asyncTook < want {
		t.Fatalf("async import done after %v: cheaper than sync plus the async overhead (%v)", asyncTook, want)
	}
}

// A client that gives up frees its share of the server.
func TestCostCancelledRequestLeaves(t *testing.T) {
	c := newCapacity(scaledCost(t, 0.1))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	start := time.Now()
	c.serve(ctx, time.Hour, false)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancelled request held for %v", d)
	}
	if n := c.inProgress(); n != 0 {
		t.Fatalf("%d requests still in progress", n)
	}
}
