package loader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/batch"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// DefaultDataRequestValues is the number of values per POST /api/dataValueSets when the step gives no batch
// size: DHIS2's own data synchronisation sends 10,000 values per request (docs/performance.md); at ≈160 bytes a
// value that is ≈1.6 MB of JSON, far under the 10 MB body limit of DHIS2's documented nginx setup.
const DefaultDataRequestValues = 10_000

// DefaultDataInFlight is the number of import requests in flight per destination when the step gives none
// (config.sizes.maxInFlight): DHIS2 2.41/2.42 gain up to ≈1.8× at 4 parallel requests (docs/performance.md).
const DefaultDataInFlight = 2

// dataGzipRatio estimates the JSON size of a batch from its gzip payload: data value JSON compresses ≈8×
// (docs/performance.md); an underestimate only makes requests smaller.
const dataGzipRatio = 8

// missingMetadataCodes are the data value conflicts that mean the destination lacks metadata the value refers
// to (dhis2-core ErrorCode.java): data set, org unit (E7603 at the set level, E7612 per value),
// data element, category option combo, attribute option combo.
var missingMetadataCodes = map[string]string{
	"E7600": "data set", "E7603": "org unit", "E7612": "org unit", "E7610": "data element",
	"E7613": "category option combo", "E7615": "attribute option combo",
}

// dataPipe imports a data step: batches are coalesced into requests of about target values and up to
// inFlight requests run at once; a committer publishes their Results and acknowledges their batches strictly
// in sequence order, so ackedThrough always means "everything before is imported".
type dataPipe struct {
	r        *stepRun
	params   dhis2.DataValueImportParams
	target   int
	inFlight chan struct{}
	queue    chan *dataRequest
	idle     sync.WaitGroup // the committer

	mu     sync.Mutex
	failed bool

	deletions dataDeletions // held until the step's last values are imported (datadeletions.go)
}

// dataRequest is one import request of a run of batches.
type dataRequest struct {
	run        []*held
	last       bool
	planned    int64
	serverDate string
	stopKeep   func()
	done       chan struct{}
	res        *batchv1.Result
	err        error
}

func (r *stepRun) newDataPipe(ctx context.Context) *dataPipe {
	n := int(r.req.GetMaxInFlight())
	if n <= 0 {
		n = DefaultDataInFlight
	}
	target := int(r.req.GetBatchSize())
	if target <= 0 {
		target = DefaultDataRequestValues
	}
	d := &dataPipe{r: r, params: dataParams(r), target: target, inFlight: make(chan struct{}, n),
		queue: make(chan *dataRequest, 2*n)}
	d.idle.Add(1)
	go d.commit(context.WithoutCancel(ctx), d.queue)
	return d
}

// dataParams are the import options of a data step: importStrategy from the step (the configuration's),
// dryRun for dry runs, async when asked (then the client polls the task to completion); other DHIS2 options
// (skipAudit, skipExistingCheck, preheatCache, …) pass through as given.
func dataParams(r *stepRun) dhis2.DataValueImportParams {
	p := dhis2.DataValueImportParams{ImportStrategy: enumName(r.cfg.GetImportStrategy().String(), "IMPORT_STRATEGY_"), Extra: url.Values{}}
	for k, v := range r.req.GetImportParams() {
		switch k {
		case "importStrategy":
			p.ImportStrategy = v
		case "dryRun":
			p.DryRun = p.DryRun || v == "true"
		case "importMode":
			p.DryRun = p.DryRun || v == "VALIDATE"
		case "async":
			p.Async = v == "true"
		case "skipAudit", "skipExistingCheck", "preheatCache", "force":
			p.Extra.Set(k, v)
		}
	}
	if p.ImportStrategy == "" {
		p.ImportStrategy = "CREATE_AND_UPDATE"
	}
	p.DryRun = p.DryRun || r.req.GetDryRun()
	return p
}

// drainData is drain for data steps.
func (r *stepRun) drainData(ctx context.Context) error {
	if r.data == nil {
		r.data = r.newDataPipe(ctx)
	}
	d := r.data
	for !r.done {
		if d.hasFailed() {
			r.done = true
			return nil
		}
		run, values, size, complete := r.contiguousData(d.target)
		if len(run) == 0 {
			return nil
		}
		last := run[len(run)-1].batch
		if msg := last.GetError(); msg != "" {
			d.close()
			if !d.hasFailed() {
				r.ackAll(ctx, run)
				r.publishFinal(ctx, "extraction failed: "+msg)
			}
			r.done = true
			return nil
		}
		if !complete && values < d.target && size < r.l.opts.MaxRequestBytes {
			return nil
		}
		for _, h := range run {
			delete(r.held, h.batch.GetSequence())
		}
		r.next = last.GetSequence() + 1
		if !d.dispatch(ctx, run, complete, r.planned, r.serverDate) {
			return nil
		}
		if complete {
			d.close()
			r.done = true
		}
	}
	return nil
}

// contiguousData returns the held batches from next on without gaps, cut once target values or the request
// byte limit are reached.
func (r *stepRun) contiguousData(target int) (run []*held, values, size int, complete bool) {
	for seq := r.next; ; seq++ {
		h, ok := r.held[seq]
		if !ok {
			return run, values, size, false
		}
		run = append(run, h)
		values += int(h.batch.GetItemCount())
		size += len(h.batch.GetPayload()) * dataGzipRatio
		if h.batch.GetLast() || h.batch.GetError() != "" {
			return run, values, size, h.batch.GetLast() && h.batch.GetError() == ""
		}
		if values >= target || size >= r.l.opts.MaxRequestBytes {
			return run, values, size, false
		}
	}
}

// dispatch starts the import of a run once a slot is free. It returns false when the step is stopping (the
// run's batches went back to JetStream).
func (d *dataPipe) dispatch(ctx context.Context, run []*held, last bool, planned int64, serverDate string) bool {
	q := &dataRequest{run: run, last: last, planned: planned, serverDate: serverDate, done: make(chan struct{}),
		stopKeep: d.r.keepAlive(run)}
	select {
	case d.inFlight <- struct{}{}:
	case <-ctx.Done():
		q.stopKeep()
		nakAll(run)
		return false
	}
	go func() {
		defer close(q.done)
		defer func() { <-d.inFlight }()
		q.res, q.err = d.importRun(ctx, run)
	}()
	select {
	case d.queue <- q:
		return true
	case <-ctx.Done():
		<-q.done
		q.stopKeep()
		nakAll(run)
		return false
	}
}

// close waits until every dispatched request is committed.
func (d *dataPipe) close() {
	if d.queue == nil {
		return
	}
	close(d.queue)
	d.queue = nil
	d.idle.Wait()
}

func (d *dataPipe) hasFailed() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.failed
}

// commit publishes Results and acknowledges batches in dispatch order. After a failure, the step is closed
// with the error and every later request's batches go back to JetStream: a retried job starts from the last
// acknowledged batch, and values are keyed, so a re-import duplicates nothing.
func (d *dataPipe) commit(ctx context.Context, queue <-chan *dataRequest) {
	defer d.idle.Done()
	var acked int64
	for q := range queue {
		<-q.done
		q.stopKeep()
		if d.hasFailed() {
			nakAll(q.run)
			continue
		}
		if q.err == nil && q.last {
			q.err = d.finishDeletions(ctx, q.res)
		}
		if q.err != nil {
			nakAll(q.run)
			d.mu.Lock()
			d.failed = true
			d.mu.Unlock()
			msg := q.err.Error()
			if ctx.Err() == nil && !errors.Is(q.err, context.Canceled) {
				d.r.log.Warn("data import failed; step closed", slog.String("error", msg))
				res := &batchv1.Result{Last: true, Error: msg, Status: "ERROR", AckedThrough: acked}
				if err := d.r.publishResultOf(ctx, res, q.planned, q.serverDate); err != nil {
					d.r.log.Error("could not publish the step's closing result", slog.String("error", err.Error()))
				}
			}
			continue
		}
		q.res.Last = q.last
		if !q.last {
			q.res.AckedThrough = d.deletions.ackLimit(q.res.GetAckedThrough())
		}
		if err := d.r.publishResultOf(ctx, q.res, q.planned, q.serverDate); err != nil {
			d.r.log.Error("result not published; the batches will be redelivered", slog.String("error", err.Error()))
			nakAll(q.run)
			d.mu.Lock()
			d.failed = true
			d.mu.Unlock()
			continue
		}
		for _, h := range q.run {
			if err := h.msg.DoubleAck(ctx); err != nil {
				d.r.log.Warn("ack failed; the batch will be redelivered and skipped", slog.Int64("sequence", h.batch.GetSequence()))
			}
		}
		acked = q.res.GetAckedThrough()
		if q.last {
			d.r.log.Info("data step loaded")
		}
	}
}

func nakAll(run []*held) {
	for _, h := range run {
		_ = h.msg.Nak()
	}
}

// importRun posts a run's live values with the step's import strategy; its deleted values go to the step's
// deletions, which the guard judges once the step's extraction has ended (datadeletions.go). Strategies that
// only create or update leave deletions out, as DHIS2 would.
func (d *dataPipe) importRun(ctx context.Context, run []*held) (*batchv1.Result, error) {
	res := &batchv1.Result{Status: string(dhis2.StatusOK), AckedThrough: run[len(run)-1].batch.GetSequence()}
	var live bodyBuilder
	deletes := d.params.ImportStrategy != "CREATE" && d.params.ImportStrategy != "UPDATE"
	for _, h := range run {
		res.Sequences = append(res.Sequences, h.batch.GetSequence())
		res.Items += int64(h.batch.GetItemCount())
		items, err := batch.Decode(h.batch.GetEncoding(), h.batch.GetPayload())
		if err != nil {
			return nil, fmt.Errorf("batch %d cannot be read (%v): the step cannot be completed; run the job again", h.batch.GetSequence(), err)
		}
		var deleted [][]byte
		for _, it := range items {
			if isDeletedValue(it) {
				deleted = append(deleted, bytes.Clone(it))
			} else {
				live.add(it)
			}
		}
		if deletes {
			d.deletions.take(d.r.cfg.GetDeletion().GetPropagate(), h.batch.GetSequence(), deleted)
		}
	}
	sum := newConflictSet()
	if live.n > 0 {
		ir, err := d.post(ctx, live.bytes(), d.params)
		if err != nil {
			return nil, err
		}
		account(res, ir, sum)
	}
	res.Conflicts = sum.list
	if missing := sum.missingSummary(); missing != "" {
		d.r.log.Warn("values refused: "+missing, slog.Int64("errors", res.GetErrors()))
	}
	return res, nil
}

// isDeletedValue reports whether an exported value is a deletion; the extractor writes "deleted" only when true.
func isDeletedValue(item []byte) bool {
	return bytes.Contains(item, []byte(`"deleted":true`))
}

// bodyBuilder writes {"dataValues":[…]} from the batches' JSON without decoding the values.
type bodyBuilder struct {
	buf bytes.Buffer
	n   int
}

func (b *bodyBuilder) add(item []byte) {
	if b.n == 0 {
		b.buf.WriteString(`{"dataValues":[`)
	} else {
		b.buf.WriteByte(',')
	}
	b.buf.Write(item)
	b.n++
}

func (b *bodyBuilder) bytes() []byte {
	b.buf.WriteString("]}")
	return b.buf.Bytes()
}

// post sends one request, retrying transient failures in place with backoff (on top of the client's own
// retries). It returns an error when the destination keeps failing or refuses the request.
func (d *dataPipe) post(ctx context.Context, body []byte, p dhis2.DataValueImportParams) (*dhis2.ImportResult, error) {
	opts := d.r.l.opts
	var err error
	for attempt := 1; attempt <= opts.Attempts*2; attempt++ {
		var ir *dhis2.ImportResult
		ir, err = d.r.client.ImportDataValues(ctx, body, p)
		if err == nil {
			return ir, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if !transient(err) {
			return nil, fmt.Errorf("the destination refused the data value import: %w", err)
		}
		d.r.log.Warn("data value import failed, retrying", slog.Int("attempt", attempt), slog.String("error", err.Error()))
		if serr := sleep(ctx, backoff(opts.RetryBase, opts.RetryMax, attempt)); serr != nil {
			return nil, serr
		}
	}
	return nil, fmt.Errorf("the destination kept failing (%d attempts): %w; nothing after the last acknowledged batch "+
		"was recorded as imported, run the job again when the destination is back", opts.Attempts*2, err)
}

// conflictSet merges the conflicts of a Result: DHIS2 reports one conflict per (code, object) with the rows
// it covers, the client one error per row; the Result keeps one Conflict per (code, uid, value, message).
type conflictSet struct {
	seen    map[string]bool
	list    []*batchv1.Conflict
	missing map[string][]string // kind → UIDs missing on the destination
}

func newConflictSet() *conflictSet {
	return &conflictSet{seen: map[string]bool{}, missing: map[string][]string{}}
}

func (c *conflictSet) add(e dhis2.ObjectError) {
	msg := e.Message
	if kind, ok := missingMetadataCodes[e.Code]; ok {
		msg = fmt.Sprintf("sync metadata first: %s %s does not exist on the destination (%s)", kind, e.UID, e.Message)
	}
	key := e.Code + "\x00" + e.UID + "\x00" + e.Value + "\x00" + msg
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	if kind, ok := missingMetadataCodes[e.Code]; ok && !slices.Contains(c.missing[kind], e.UID) {
		c.missing[kind] = append(c.missing[kind], e.UID)
	}
	c.list = append(c.list, &batchv1.Conflict{Code: e.Code, ObjectType: e.ObjectType, Uid: e.UID, Property: e.Property,
		Value: e.Value, Message: msg})
}

// missingSummary says which metadata the destination lacks, e.g. "sync metadata first: missing data element
// a1, b2; org unit c3", or "" when nothing is missing.
func (c *conflictSet) missingSummary() string {
	var parts []string
	for _, kind := range []string{"data set", "data element", "org unit", "category option combo", "attribute option combo"} {
		if ids := c.missing[kind]; len(ids) > 0 {
			parts = append(parts, kind+" "+strings.Join(ids, ", "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "sync metadata first: missing " + strings.Join(parts, "; ")
}

// account adds one import summary to a Result. Rejected values count as errors (one per rejected row); the
// rest of DHIS2's ignored count stays ignored.
func account(res *batchv1.Result, ir *dhis2.ImportResult, c *conflictSet) {
	res.Created += int64(ir.Created)
	res.Updated += int64(ir.Updated)
	res.Deleted += int64(ir.Deleted)
	if ir.Status != dhis2.StatusOK && res.Status == string(dhis2.StatusOK) {
		res.Status = string(ir.Status)
	}
	rows := map[int]bool{}
	for _, i := range ir.RejectedIndexes {
		rows[i] = true
	}
	unindexed := 0
	for _, e := range ir.Errors {
		c.add(e)
		if e.Index >= 0 {
			rows[e.Index] = true
		} else {
			unindexed++
		}
	}
	rejected := max(len(rows), unindexed)
	res.Errors += int64(rejected)
	res.Ignored += max(int64(ir.Ignored-rejected), 0)
}

// closeData waits for a data step's requests in flight when the consumer stops.
func (r *stepRun) closeData() {
	if r.data != nil {
		r.data.close()
	}
}
