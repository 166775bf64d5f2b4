package loader_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/extractor"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/loader"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
)

// dataRig runs an extractor and a loader in-process against a source simulator holding the demo (metadata
// and data values) and destinations holding the demo's metadata only.
type dataRig struct {
	tb    testing.TB
	ctx   context.Context
	nc    *natsx.Conn
	src   *dhis2sim.Server
	srcC  *dhis2.Client
	dsts  map[string]*dhis2sim.Server
	dstCs map[string]*dhis2.Client
	x     *extractor.Extractor
	l     *loader.Loader
	gen   *demodata.Generator
}

type dataRigOptions struct {
	srcVersion  string
	dstVersions map[string]string // destination id → version
	scale       demodata.Scale
	cost        dhis2sim.CostModel
	loaderOpts  loader.Options
	clientTune  func(*dhis2.Options)
}

func newDataRig(tb testing.TB, o dataRigOptions) *dataRig {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	nc, err := natsx.Connect(ctx, testenv.NATS(tb), "test", slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	r := &dataRig{tb: tb, ctx: ctx, nc: nc, dsts: map[string]*dhis2sim.Server{}, dstCs: map[string]*dhis2.Client{},
		gen: demodata.New(7, o.scale)}
	var srcURL string
	r.src, srcURL = newSim(tb, o.srcVersion, o.cost)
	if err := r.src.LoadDemo(r.gen); err != nil {
		tb.Fatal(err)
	}
	urls := map[string]string{"src": srcURL}
	for id, v := range o.dstVersions {
		s, u := newSim(tb, v, o.cost)
		loadDemoMetadata(tb, s, u, o.scale)
		r.dsts[id], urls[id] = s, u
		r.dstCs[id] = plainClient(tb, u)
	}
	r.srcC = plainClient(tb, srcURL)
	registry := startRegistry(tb, urls)
	tune := o.clientTune
	if tune == nil {
		tune = func(opts *dhis2.Options) {
			opts.Retry = dhis2.RetryPolicy{MaxAttempts: 2, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}
			opts.RatePerSecond = -1
		}
	}
	r.x = extractor.New(ctx, nc.JS, &extractor.Clients{Registry: registry, Tune: tune}, slog.New(slog.DiscardHandler))
	lo := o.loaderOpts
	if lo.RetryBase == 0 {
		lo.RetryBase, lo.RetryMax = 10*time.Millisecond, 100*time.Millisecond
	}
	r.l = loader.New(ctx, nc.JS, &loader.Clients{Registry: registry, Tune: tune}, slog.New(slog.DiscardHandler), lo)
	return r
}

func plainClient(tb testing.TB, url string) *dhis2.Client {
	tb.Helper()
	c, err := dhis2.New(dhis2.Options{BaseURL: url, Auth: dhis2.Auth{Username: "admin", Password: "district"}, RatePerSecond: -1})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// dataStep is one aggregate data step as the orchestrator sends it.
type dataStep struct {
	name        string
	params      map[string]string
	pageSize    int32
	batchSize   int32
	maxInFlight int32
	dryRun      bool
	strategy    string
	// config is the configuration (protojson) both workers see; empty means deletions propagate behind the
	// default guard.
	config string
}

const propagateDeletions = `{"deletion":{"propagate":true,"maxSharePercent":10}}`

// run starts the step on every destination and the extractor, and returns each destination's results.
func (r *dataRig) run(job string, s dataStep) map[string][]*batchv1.Result {
	r.tb.Helper()
	if s.params == nil {
		s.params = map[string]string{}
	}
	if s.params["startDate"] == "" && s.params["periods"] == "" {
		s.params["startDate"], s.params["endDate"] = "2000-01-01", "2030-12-31"
	}
	if s.config == "" {
		s.config = propagateDeletions
	}
	res := r.watch(job)
	ip := map[string]string{"importStrategy": "CREATE_AND_UPDATE"}
	if s.strategy != "" {
		ip["importStrategy"] = s.strategy
	}
	for id := range r.dsts {
		_, err := r.l.LoadStep(r.ctx, &loaderv1.LoadStepRequest{JobId: job, StepId: s.name, DestinationInstanceId: id,
			Resources: []string{"dataValues"}, Kind: stepv1.StepKind_STEP_KIND_DATA_VALUES, BatchSize: s.batchSize,
			MaxInFlight: s.maxInFlight, DryRun: s.dryRun, ImportParams: ip, Config: testConfig(r.tb, s.config)})
		if err != nil {
			r.tb.Fatal(err)
		}
	}
	_, err := r.x.ExtractStep(r.ctx, &extractorv1.ExtractStepRequest{JobId: job, StepId: s.name, SourceInstanceId: "src",
		Resources: []string{"dataValues"}, Kind: stepv1.StepKind_STEP_KIND_DATA_VALUES, Params: s.params, PageSize: s.pageSize,
		Config: testConfig(r.tb, s.config)})
	if err != nil {
		r.tb.Fatal(err)
	}
	return res.waitAll(r.tb, s.name, len(r.dsts))
}

func (r *dataRig) watch(job string) *results {
	h := &harness{tb: r.tb, ctx: r.ctx, nc: r.nc}
	return h.watchResults(job)
}

// verify compares the source's data values with every destination's.
func (r *dataRig) verify() *extractorv1.VerifyStepResponse {
	r.tb.Helper()
	var dests []string
	for id := range r.dsts {
		dests = append(dests, id)
	}
	v, err := r.x.VerifyDataValues(r.ctx, &extractorv1.VerifyStepRequest{SourceInstanceId: "src", DestinationInstanceIds: dests,
		Resources: []string{"dataValues"}, MaxDifferences: 50})
	if err != nil {
		r.tb.Fatal(err)
	}
	return v
}

// waitAll waits for the last result of every destination and returns the results per destination.
func (rs *results) waitAll(tb testing.TB, step string, dests int) map[string][]*batchv1.Result {
	tb.Helper()
	deadline := time.After(10 * time.Minute) // a safety net against a hung test, not an assertion on speed
	for {
		out := map[string][]*batchv1.Result{}
		done := 0
		for _, res := range rs.snapshot() {
			if res.GetStepId() != step {
				continue
			}
			out[res.GetDestinationInstanceId()] = append(out[res.GetDestinationInstanceId()], res)
			if res.GetLast() {
				done++
			}
		}
		if done >= dests {
			return out
		}
		select {
		case <-rs.cond:
		case <-time.After(time.Second):
		case <-deadline:
			tb.Fatalf("step %s: %d of %d destinations finished", step, done, dests)
		}
	}
}

// sum adds up a destination's results and fails on a step error or on a sequence imported twice.
type sum struct{ created, updated, deleted, ignored, errors int64 }

func summed(tb testing.TB, list []*batchv1.Result) (sum, []*batchv1.Conflict) {
	tb.Helper()
	var s sum
	var conflicts []*batchv1.Conflict
	seen := map[int64]bool{}
	for _, r := range list {
		if r.GetError() != "" {
			tb.Fatalf("step failed: %s", r.GetError())
		}
		for _, q := range r.GetSequences() {
			if seen[q] {
				tb.Errorf("batch %d imported twice", q)
			}
			seen[q] = true
		}
		s.created += r.GetCreated()
		s.updated += r.GetUpdated()
		s.deleted += r.GetDeleted()
		s.ignored += r.GetIgnored()
		s.errors += r.GetErrors()
		conflicts = append(conflicts, r.GetConflicts()...)
	}
	return s, conflicts
}

// values exports every value of an instance (deleted ones included) keyed by its five keys.
func values(tb testing.TB, c *dhis2.Client, dataSets, roots []string) map[string]dhis2.DataValue {
	tb.Helper()
	out := map[string]dhis2.DataValue{}
	err := c.ExportDataValues(context.Background(), dhis2.DataValueQuery{DataSets: dataSets, OrgUnits: roots, Children: true,
		StartDate: "2000-01-01", EndDate: "2030-12-31", IncludeDeleted: true}, func(dv dhis2.DataValue) error {
		out[key(dv)] = dv
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func key(dv dhis2.DataValue) string {
	return fmt.Sprintf("%s/%s/%s/%s/%s", dv.DataElement, dv.Period, dv.OrgUnit, dv.CategoryOptionCombo, dv.AttributeOptionCombo)
}

func uids(objs []map[string]any) []string {
	var out []string
	for _, o := range objs {
		if id, _ := o["id"].(string); id != "" {
			out = append(out, id)
		}
	}
	return out
}

func roots(s *dhis2sim.Server) []string {
	var out []string
	for _, o := range s.Objects("organisationUnits") {
		if o["parent"] == nil {
			out = append(out, o["id"].(string))
		}
	}
	return out
}

// sameLiveValues reports the keys whose live value differs between two exports (deleted values count as absent).
func sameLiveValues(a, b map[string]dhis2.DataValue) []string {
	var diff []string
	for k, v := range a {
		w, ok := b[k]
		switch {
		case v.Deleted && (!ok || w.Deleted):
		case !ok || w.Deleted != v.Deleted || w.Value != v.Value:
			diff = append(diff, k)
		}
	}
	for k, w := range b {
		if _, ok := a[k]; !ok && !w.Deleted {
			diff = append(diff, k)
		}
	}
	return diff
}
