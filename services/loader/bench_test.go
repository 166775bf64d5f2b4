package loader_test

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/internal/benchreport"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
	"github.com/dhis2sync/dhis2sync/services/loader"
)

// BenchmarkMetadataSync runs the extractor and the loader in-process against two simulators with a calibrated
// cost model (2.39.1 source, 2.41.0 destination) and syncs the demo metadata in three shapes, one after the
// other in the same run:
//
//   - dhis2sync: the orchestrator's steps (dependency-closed groups of the metadata plan packed together),
//     1000 objects per page;
//   - dhis2-native: DHIS2's own approach, one GET /api/metadata of everything and one POST /api/metadata;
//   - seed: the seed system's shape, one step per type, 50 objects per page and per request, one at a time.
//
// Each is measured against the limit, the least time the cost model allows for the transfer
// (dhis2sim.CostModel.Limit), and reported as a row of the benchmark table (DHIS2SYNC_BENCH_OUT).
// DHIS2SYNC_BENCH_SCALES (default "small"; e.g. "small,large") and DHIS2SYNC_BENCH_COST (default "2.41";
// "2.41*0.1" is ten times faster) choose the runs; DHIS2SYNC_BENCH_SHAPES restricts the shapes.
//
//	cd services && DHIS2SYNC_BENCH_SCALES=large go test ./loader -run '^$' -bench MetadataSync -benchtime 1x -timeout 60m
func BenchmarkMetadataSync(b *testing.B) {
	costName := envOr("DHIS2SYNC_BENCH_COST", "2.41")
	cost, err := dhis2sim.ParseCostModel(costName)
	if err != nil {
		b.Fatal(err)
	}
	stepDeadline = time.Hour
	for _, name := range strings.Split(envOr("DHIS2SYNC_BENCH_SCALES", "small"), ",") {
		scale, err := demodata.ScaleByName(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, shape := range benchShapes(benchreport.ShapeDhis2sync, benchreport.ShapeNative, benchreport.ShapeSeed) {
			b.Run(name+"/"+shape, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					h := newHarness(b, harnessOptions{srcVersion: "2.39.1", dstVersion: "2.41.0", scale: &scale,
						srcCost: cost, dstCost: cost, loaderOpts: loader.Options{RetryBase: time.Second}})
					objects := countObjects(b, h.src)
					limit := cost.Limit(dhis2sim.MetadataTransfer(objects))
					peak := sampleHeap()
					b.StartTimer()
					start := time.Now()
					settings := "plan steps, 1,000 per page"
					switch shape {
					case benchreport.ShapeNative:
						settings = "one /api/metadata export, one import"
						nativeMetadataSync(b, h)
					case benchreport.ShapeSeed:
						settings = "one step per type, 50 per request, one at a time"
						fallthrough
					default:
						byStep, _ := h.sync(fmt.Sprintf("bench%d", i), benchSteps(b, shape))
						if _, _, _, failures := totals(byStep); len(failures) > 0 {
							b.Fatalf("failures: %v", failures)
						}
					}
					wall := time.Since(start)
					b.StopTimer()
					heap := peak()
					b.ReportMetric(float64(objects)/wall.Seconds(), "objects/s")
					b.ReportMetric(heap, "peak-heap-MB")
					b.ReportMetric(wall.Seconds()/limit.Seconds(), "x-limit")
					b.Logf("%s %s (%s cost): %d objects in %s, peak heap +%.1f MB, limit %s, %.2f× the limit",
						name, shape, costName, objects, wall.Round(time.Millisecond), heap, limit.Round(time.Millisecond),
						wall.Seconds()/limit.Seconds())
					record(b, benchreport.Row{Workload: fmt.Sprintf("%s metadata (%s objects)", name, thousands(objects)),
						Order: 1, Shape: shape, Settings: settings, Cost: costName, Items: objects,
						WallSeconds: wall.Seconds(), LimitSeconds: limit.Seconds(), Ratio: wall.Seconds() / limit.Seconds(), PeakHeapMB: heap})
				}
			})
		}
	}
}

// nativeMetadataSync is DHIS2's own way to copy metadata: everything exported by one GET /api/metadata, then
// imported by one atomic POST /api/metadata.
func nativeMetadataSync(tb testing.TB, h *harness) {
	tb.Helper()
	src, dst := plainClient(tb, h.srcURL), plainClient(tb, h.dstURL)
	payload := map[string][]json.RawMessage{}
	err := src.ExportMetadata(h.ctx, dhis2.MetadataQuery{ExcludeDefaults: true}, func(plural string, obj json.RawMessage) error {
		payload[plural] = append(payload[plural], obj)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	res, err := dst.ImportMetadata(h.ctx, payload, dhis2.MetadataImportParams{})
	if err != nil {
		tb.Fatal(err)
	}
	if !res.OK() {
		tb.Fatalf("native metadata import: %s, %d errors, first %v", res.Status, len(res.Errors), res.Errors[0])
	}
}

func benchSteps(tb testing.TB, mode string) []stepSpec {
	switch mode {
	case benchreport.ShapeSeed:
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

func countObjects(tb testing.TB, src *dhis2sim.Server) int {
	n := 0
	for _, s := range planSteps(tb, 1000) {
		for _, r := range s.resources {
			n += len(src.Objects(r))
		}
	}
	return n
}

// sampleHeap samples the live heap (as of the last garbage collection) until the returned function is called,
// which returns the peak growth over the start, in MB: what the sync adds to the process (the simulators' data
// is there before).
func sampleHeap() func() float64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	live := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	base := live()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if v := live(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		return float64(max(peak.Load(), base)-base) / (1 << 20)
	}
}

// benchShapes is the shapes to run: all of them, or those listed in DHIS2SYNC_BENCH_SHAPES.
func benchShapes(all ...string) []string {
	want := os.Getenv("DHIS2SYNC_BENCH_SHAPES")
	if want == "" {
		return all
	}
	var out []string
	for _, s := range all {
		if slices.Contains(strings.Split(want, ","), s) {
			out = append(out, s)
		}
	}
	return out
}

// record appends a row to the benchmark table file DHIS2SYNC_BENCH_OUT, when set (make bench sets it).
func record(tb testing.TB, r benchreport.Row) {
	path := os.Getenv("DHIS2SYNC_BENCH_OUT")
	if path == "" {
		return
	}
	if err := benchreport.Append(path, r); err != nil {
		tb.Fatal(err)
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
