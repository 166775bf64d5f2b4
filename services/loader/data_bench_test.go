package loader_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/services/config"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/internal/benchreport"
	"github.com/dhis2sync/dhis2sync/services/loader"
)

// BenchmarkDataValuesSync copies the medium demo's 100,000 data values from a 2.40 simulator to a 2.41 one with
// the extractor and loader in-process (embedded NATS), in four shapes measured in the same run:
//   - dhis2sync: what a configuration gets by default (sizes.maxInFlight's default, the loader's request size);
//   - dhis2-native: DHIS2's own data synchronisation job: 10,000 values per request, one request at a time
//     (run through the pipeline, so its export overlaps its import, which DHIS2's job does not do);
//   - seed: the seed system's shape, 50 values per page and per request, one request at a time;
//   - ceiling: dhis2sync's defaults against simulators without cost model (what the pipeline itself moves).
//
// The ratio is wall time over the limit, the least time the cost model allows for the transfer whatever the
// request sizes and parallelism (dhis2sim.CostModel.Limit). DHIS2SYNC_BENCH_COST (default "2.41"),
// DHIS2SYNC_BENCH_INFLIGHT (default: the configuration default), DHIS2SYNC_BENCH_DATA_SCALE (default "medium")
// and DHIS2SYNC_BENCH_SHAPES tune the run.
//
//	cd services && go test ./loader -run '^$' -bench DataValuesSync -benchtime 1x -timeout 30m
func BenchmarkDataValuesSync(b *testing.B) {
	costName := envOr("DHIS2SYNC_BENCH_COST", "2.41")
	cost, err := dhis2sim.ParseCostModel(costName)
	if err != nil {
		b.Fatal(err)
	}
	inFlight, err := strconv.Atoi(envOr("DHIS2SYNC_BENCH_INFLIGHT", strconv.Itoa(config.DefaultMaxInFlight)))
	if err != nil {
		b.Fatal(err)
	}
	scale, err := demodata.ScaleByName(envOr("DHIS2SYNC_BENCH_DATA_SCALE", "medium"))
	if err != nil {
		b.Fatal(err)
	}
	stepDeadline = time.Hour
	shapes := map[string]struct {
		step     dataStep
		cost     dhis2sim.CostModel
		settings string
	}{
		benchreport.ShapeDhis2sync: {dataStep{maxInFlight: int32(inFlight)}, cost,
			fmt.Sprintf("%s per request, %d in flight", thousands(loader.DefaultDataRequestValues), inFlight)},
		benchreport.ShapeNative:  {dataStep{pageSize: 10_000, batchSize: 10_000, maxInFlight: 1}, cost, "10,000 per request, one at a time"},
		benchreport.ShapeSeed:    {dataStep{pageSize: 50, batchSize: 50, maxInFlight: 1}, cost, "50 per request, one at a time"},
		benchreport.ShapeCeiling: {dataStep{maxInFlight: int32(inFlight)}, dhis2sim.CostModel{}, "defaults, no cost model"},
	}
	for _, name := range benchShapes(benchreport.ShapeDhis2sync, benchreport.ShapeNative, benchreport.ShapeSeed, benchreport.ShapeCeiling) {
		sh := shapes[name]
		b.Run(name, func(b *testing.B) {
			r := newDataRig(b, dataRigOptions{srcVersion: "2.40.0", dstVersions: map[string]string{"dst": "2.41.0"},
				scale: scale, cost: sh.cost, loaderOpts: loader.Options{RetryBase: time.Second}})
			n := r.src.DataValueCount()
			limit := sh.cost.Limit(dhis2sim.DataValuesTransfer(n))
			for i := 0; b.Loop(); i++ {
				peak := sampleHeap()
				start := time.Now()
				s := sh.step
				s.name = fmt.Sprintf("dv%d", i)
				res := r.run(fmt.Sprintf("bench-%s-%d", name, i), s)
				wall := time.Since(start)
				heap := peak()
				sm, _ := summed(b, res["dst"])
				if moved := sm.created + sm.updated + sm.ignored; moved != int64(n) || sm.errors != 0 {
					b.Fatalf("moved %d of %d values, %d errors", moved, n, sm.errors)
				}
				b.ReportMetric(float64(n)/wall.Seconds(), "values/s")
				b.ReportMetric(heap, "peak-heap-MB")
				row := benchreport.Row{Workload: thousands(n) + " data values", Order: 2, Shape: name, Settings: sh.settings,
					Cost: orNone(sh.cost.Name), Items: n, WallSeconds: wall.Seconds(), PeakHeapMB: heap}
				if limit > 0 {
					row.LimitSeconds, row.Ratio = limit.Seconds(), wall.Seconds()/limit.Seconds()
					b.ReportMetric(row.Ratio, "x-limit")
				}
				b.Logf("%s (%s cost, %s): %d values in %s, %.0f values/s, peak heap +%.1f MB, limit %s",
					name, row.Cost, sh.settings, n, wall.Round(time.Millisecond), float64(n)/wall.Seconds(), heap, limit.Round(time.Millisecond))
				record(b, row)
			}
		})
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
