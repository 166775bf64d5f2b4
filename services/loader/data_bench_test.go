package loader_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/loader"
)

// BenchmarkDataValuesSync copies the medium demo's 100,000 data values from a 2.40 simulator to a 2.41 one with
// the extractor and loader in-process (embedded NATS), in three shapes measured in the same run:
//   - pipeline: what a configuration gets by default (5,000 values per batch, 10,000 per request, maxInFlight
//     DHIS2SYNC_BENCH_INFLIGHT, default 2);
//   - naive: 50 values per page and per request, one request at a time;
//   - ceiling: the pipeline against simulators without cost model (values/s the pipeline itself can move).
//
// x-limit is wall time over the cost model's own limit: the import of every value in requests of the same
// size with the same parallelism (CostModel.EstimateTotal; the export overlaps with it and is shorter).
//
//	cd services && DHIS2SYNC_BENCH_COST='2.41' go test ./loader -run '^$' -bench DataValuesSync -benchtime 1x -timeout 30m
func BenchmarkDataValuesSync(b *testing.B) {
	cost, err := dhis2sim.ParseCostModel(envOr("DHIS2SYNC_BENCH_COST", "2.41"))
	if err != nil {
		b.Fatal(err)
	}
	var inFlight int32 = 2
	if _, err := fmt.Sscanf(envOr("DHIS2SYNC_BENCH_INFLIGHT", "2"), "%d", &inFlight); err != nil {
		b.Fatal(err)
	}
	shapes := []struct {
		name string
		step dataStep
		cost dhis2sim.CostModel
	}{
		{"naive", dataStep{pageSize: 50, batchSize: 50, maxInFlight: 1}, cost},
		{"pipeline", dataStep{maxInFlight: inFlight}, cost},
		{"ceiling", dataStep{maxInFlight: inFlight}, dhis2sim.CostModel{}},
	}
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			r := newDataRig(b, dataRigOptions{srcVersion: "2.40.0", dstVersions: map[string]string{"dst": "2.41.0"},
				scale: demodata.Medium, cost: sh.cost, loaderOpts: loader.Options{RetryBase: time.Second}})
			n := r.src.DataValueCount()
			for i := 0; b.Loop(); i++ {
				peak := sampleHeap()
				start := time.Now()
				s := sh.step
				s.name = fmt.Sprintf("dv%d", i)
				res := r.run(fmt.Sprintf("bench-%s-%d", sh.name, i), s)
				wall := time.Since(start)
				maxHeap := peak()
				sm, _ := summed(b, res["dst"])
				if moved := sm.created + sm.updated + sm.ignored; moved != int64(n) || sm.errors != 0 {
					b.Fatalf("moved %d of %d values, %d errors", moved, n, sm.errors)
				}
				batch, streams := int(s.batchSize), int(s.maxInFlight)
				if batch == 0 {
					batch = loader.DefaultDataRequestValues
				}
				limit := cost.EstimateTotal(dhis2sim.EndpointDataValuesImport, n, batch, streams)
				if sh.name != "naive" {
					naive := cost.EstimateTotal(dhis2sim.EndpointDataValuesImport, n, 50, 1)
					b.Logf("naive model time for comparison: %s", naive)
				}
				b.ReportMetric(float64(n)/wall.Seconds(), "values/s")
				b.ReportMetric(float64(maxHeap)/(1<<20), "peak-heap-MB")
				if !sh.cost.IsZero() {
					b.ReportMetric(wall.Seconds()/limit.Seconds(), "x-limit")
				}
				b.Logf("%s (%s cost): %d values in %s, %.0f values/s, peak heap %.1f MB, model limit %s",
					sh.name, orNone(sh.cost.Name), n, wall.Round(time.Millisecond), float64(n)/wall.Seconds(),
					float64(maxHeap)/(1<<20), limit.Round(time.Millisecond))
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
