package loader_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/internal/benchreport"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/loader"
)

// BenchmarkEventsSync copies the events of the medium demo's event programmes (50,000) from a 2.40 simulator to a
// 2.41 one, in three shapes measured in the same run against the limit (dhis2sim.CostModel.Limit):
//   - dhis2sync: the defaults (the extractor's page, the loader's request of up to 500 events);
//   - dhis2-native: DHIS2's event programme synchronisation job, 60 events per page and per request, one at a time;
//   - seed: 50 events per page and per request, one at a time.
//
// DHIS2SYNC_BENCH_COST, DHIS2SYNC_BENCH_DATA_SCALE (default "medium") and DHIS2SYNC_BENCH_SHAPES tune the run.
//
//	cd services && go test ./loader -run '^$' -bench EventsSync -benchtime 1x -timeout 60m
func BenchmarkEventsSync(b *testing.B) {
	costName := envOr("DHIS2SYNC_BENCH_COST", "2.41")
	cost, err := dhis2sim.ParseCostModel(costName)
	if err != nil {
		b.Fatal(err)
	}
	scale, err := demodata.ScaleByName(envOr("DHIS2SYNC_BENCH_DATA_SCALE", "medium"))
	if err != nil {
		b.Fatal(err)
	}
	stepDeadline = time.Hour
	shapes := map[string]struct {
		page     int32
		settings string
	}{
		benchreport.ShapeDhis2sync: {0, fmt.Sprintf("%d per request, one at a time", loader.MaxEventsPerRequest)},
		benchreport.ShapeNative:    {60, "60 per page and request, one at a time"},
		benchreport.ShapeSeed:      {50, "50 per page and request, one at a time"},
	}
	for _, name := range benchShapes(benchreport.ShapeDhis2sync, benchreport.ShapeNative, benchreport.ShapeSeed) {
		sh := shapes[name]
		b.Run(name, func(b *testing.B) {
			r := newDataRig(b, dataRigOptions{srcVersion: "2.40.0", dstVersions: map[string]string{"dst": "2.41.0"},
				scale: scale, cost: cost, loaderOpts: loader.Options{RetryBase: time.Second}})
			r.src.SetCost(dhis2sim.CostModel{}) // counting is not part of the sync
			n := eventProgramEvents(b, r)
			r.src.SetCost(cost)
			limit := cost.Limit(dhis2sim.TrackerTransfer(n))
			for i := 0; b.Loop(); i++ {
				peak := sampleHeap()
				start := time.Now()
				job, step := fmt.Sprintf("bench-ev-%s-%d", name, i), fmt.Sprintf("ev%d", i)
				res := r.watch(job)
				if _, err := r.l.LoadStep(r.ctx, &loaderv1.LoadStepRequest{JobId: job, StepId: step, DestinationInstanceId: "dst",
					Resources: []string{"events"}, Kind: stepv1.StepKind_STEP_KIND_EVENTS, BatchSize: sh.page, ImportParams: map[string]string{"importStrategy": "CREATE_AND_UPDATE"}}); err != nil {
					b.Fatal(err)
				}
				if _, err := r.x.ExtractStep(r.ctx, &extractorv1.ExtractStepRequest{JobId: job, StepId: step, SourceInstanceId: "src",
					Resources: []string{"events"}, Kind: stepv1.StepKind_STEP_KIND_EVENTS, PageSize: sh.page}); err != nil {
					b.Fatal(err)
				}
				sm, _ := summed(b, res.waitAll(b, step, 1)["dst"])
				wall := time.Since(start)
				heap := peak()
				if moved := sm.created + sm.updated + sm.ignored; moved != int64(n) || sm.errors != 0 {
					b.Fatalf("moved %d of %d events, %d errors", moved, n, sm.errors)
				}
				row := benchreport.Row{Workload: thousands(n) + " events", Order: 3, Shape: name, Settings: sh.settings,
					Cost: costName, Items: n, WallSeconds: wall.Seconds(), LimitSeconds: limit.Seconds(),
					Ratio: wall.Seconds() / limit.Seconds(), PeakHeapMB: heap}
				b.ReportMetric(float64(n)/wall.Seconds(), "events/s")
				b.ReportMetric(row.Ratio, "x-limit")
				b.Logf("%s (%s cost, %s): %d events in %s, peak heap +%.1f MB, limit %s, %.2f× the limit",
					name, costName, sh.settings, n, wall.Round(time.Millisecond), heap, limit.Round(time.Millisecond), row.Ratio)
				record(b, row)
			}
		})
	}
}

// eventProgramEvents counts the source's events of its programmes without registration.
func eventProgramEvents(tb testing.TB, r *dataRig) int {
	tb.Helper()
	n := 0
	for _, p := range r.src.Objects("programs") {
		if p["programType"] != "WITHOUT_REGISTRATION" {
			continue
		}
		for _, err := range r.srcC.ExportTracker(context.Background(), dhis2.Events, dhis2.TrackerQuery{Program: p["id"].(string), PageSize: 1000}) {
			if err != nil {
				tb.Fatal(err)
			}
			n++
		}
	}
	return n
}
