package loader_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
	"github.com/dhis2sync/dhis2sync/services/loader"
)

// BenchmarkMetadataSync runs the extractor and the loader in-process against two simulators with a calibrated
// cost model (2.39.1 source, 2.41.0 destination) and syncs demo metadata three ways:
//
//   - plan: the orchestrator's steps (dependency-closed groups of the metadata plan packed together), 1000 per page;
//   - one-step: the whole plan as one step, so the loader posts a single dependency-closed request;
//   - naive: one step per type, 50 objects per page and per request, one request at a time.
//
// It reports wall time, objects/s, peak heap and the ratio to the cost model's own limit (export of every
// collection plus one import request of every object, docs/performance.md). Scales and cost model come from
// DHIS2SYNC_BENCH_SCALES (default "small"; e.g. "small,medium,large") and DHIS2SYNC_BENCH_COST (default "2.41";
// "2.41*0.1" is ten times faster). Run: go test ./loader -run '^$' -bench MetadataSync -benchtime 1x
func BenchmarkMetadataSync(b *testing.B) {
	costName := envOr("DHIS2SYNC_BENCH_COST", "2.41")
	dstCost, err := dhis2sim.ParseCostModel(costName)
	if err != nil {
		b.Fatal(err)
	}
	// The source's own import cost would only slow down loading the demo data.
	srcCost, _ := dhis2sim.ParseCostModel(costName)
	delete(srcCost.Endpoints, dhis2sim.EndpointMetadataImport)
	for _, name := range strings.Split(envOr("DHIS2SYNC_BENCH_SCALES", "small"), ",") {
		scale, err := demodata.ScaleByName(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"plan", "one-step", "naive"} {
			b.Run(name+"/"+mode, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					h := newHarness(b, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0", scale: &scale,
						srcCost: srcCost, dstCost: dstCost, loaderOpts: loader.Options{RetryBase: time.Second}})
					steps := benchSteps(b, mode)
					objects := countObjects(b, h.src)
					limit := metadataLimit(b, dstCost, h.src, 1000)
					peak := sampleHeap()
					b.StartTimer()
					start := time.Now()
					byStep, _ := h.sync(fmt.Sprintf("bench%d", i), steps)
					wall := time.Since(start)
					b.StopTimer()
					maxHeap := peak()
					if _, _, _, failures := totals(byStep); len(failures) > 0 {
						b.Fatalf("failures: %v", failures)
					}
					b.ReportMetric(float64(objects)/wall.Seconds(), "objects/s")
					b.ReportMetric(float64(maxHeap)/(1<<20), "peak-heap-MB")
					b.ReportMetric(wall.Seconds()/limit.Seconds(), "x-limit")
					b.Logf("%s %s (%s cost): %d objects in %s, %.0f objects/s, peak heap %.1f MB, limit %s, %.2f× limit",
						name, mode, costName, objects, wall.Round(time.Millisecond), float64(objects)/wall.Seconds(),
						float64(maxHeap)/(1<<20), limit.Round(time.Millisecond), wall.Seconds()/limit.Seconds())
				}
			})
		}
	}
}

func benchSteps(tb testing.TB, mode string) []stepSpec {
	switch mode {
	case "one-step":
		var all []string
		for _, s := range planSteps(tb, 1000) {
			all = append(all, s.resources...)
		}
		return []stepSpec{{name: "all", resources: all, pageSize: 1000, final: true}}
	case "naive":
		var out []stepSpec
		for _, s := range planSteps(tb, 50) {
			for _, r := range s.resources {
				out = append(out, stepSpec{name: fmt.Sprintf("n%03d", len(out)+1), resources: []string{r},
					params: s.params, pageSize: 50, batchSize: 50})
			}
		}
		out[len(out)-1].final = true
		return out
	}
	// The orchestrator's steps: plan groups packed into dependency-closed unions of consecutive groups.
	groups, err := metadataplan.Steps(nil, metadataplan.DefaultStepObjects)
	if err != nil {
		tb.Fatal(err)
	}
	var out []stepSpec
	for i, g := range groups {
		out = append(out, stepSpec{name: fmt.Sprintf("p%02d", i+1), resources: g.Resources, params: g.Params,
			pageSize: 1000, final: i == len(groups)-1})
	}
	return out
}

// metadataLimit is what the simulated DHIS2 alone needs: every collection read in pages of pageSize, plus
// one import request carrying every object (an atomic metadata import cannot start before its package is
// complete, so export and import add up; docs/performance.md).
func metadataLimit(tb testing.TB, cost dhis2sim.CostModel, src *dhis2sim.Server, pageSize int) time.Duration {
	var total time.Duration
	n := 0
	for _, s := range planSteps(tb, int32(pageSize)) {
		for _, r := range s.resources {
			k := len(src.Objects(r))
			if k == 0 {
				continue
			}
			n += k
			total += cost.EstimateTotal(dhis2sim.EndpointMetadataList, k, pageSize, 1)
		}
	}
	return total + cost.Estimate(dhis2sim.EndpointMetadataImport, n, 1)
}

func countObjects(tb testing.TB, src *dhis2sim.Server) int {
	n := 0
	for _, s := range planSteps(tb, 1000) {
		for _, r := range s.resources {
			n += len(src.Objects(r))
		}
	}
	return n
}

// sampleHeap samples the heap until the returned function is called, which returns the peak.
func sampleHeap() func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); return peak.Load() }
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
