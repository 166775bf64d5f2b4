package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/pgdb"
	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
)

// The transition tables, move by move: every pair of statuses is either listed here as allowed or refused.
func TestTransitionTable(t *testing.T) {
	P, R, C, W, F, X, RT, FP := statusPending, statusRunning, statusCompleted, statusCompletedWarnings, statusFailed,
		statusCancelled, statusRetrying, statusFailedPermanently
	allowedJob := [][2]Status{
		{P, R}, {P, X},
		{R, C}, {R, W}, {R, F}, {R, X}, {R, RT}, {R, FP},
		{RT, F}, {RT, X},
	}
	allowedStep := [][2]Status{
		{P, R}, {P, F}, {P, X},
		{R, R}, {R, C}, {R, W}, {R, F}, {R, X},
	}
	for _, c := range []struct {
		name     string
		table    map[Status][]Status
		statuses []Status
		allowed  [][2]Status
	}{{"job", jobTransitions, jobStatuses, allowedJob}, {"step", stepTransitions, stepStatuses, allowedStep}} {
		for _, from := range c.statuses {
			for _, to := range c.statuses {
				want := slices.Contains(c.allowed, [2]Status{from, to})
				if got := canMove(c.table, from, to); got != want {
					t.Errorf("%s %s → %s: allowed %v, want %v", c.name, from, to, got, want)
				}
			}
			// A final status has no way out, and a status with no way out is final.
			if out := len(c.table[from]) > 0; out == from.final() {
				t.Errorf("%s %s: final %v but %d moves out", c.name, from, from.final(), len(c.table[from]))
			}
		}
		for from, tos := range c.table {
			for _, to := range append([]Status{from}, tos...) {
				if !slices.Contains(c.statuses, to) {
					t.Errorf("%s table names %s, which a %s cannot hold", c.name, to, c.name)
				}
			}
		}
	}
	for _, s := range jobStatuses {
		if statusOf(s.proto()) != s {
			t.Errorf("%s does not round-trip through JobStatus", s)
		}
	}
}

// onFailure: a failed step always fails its sub-job and cancels the rest of it; only a critical sub-job stops
// the job; the job is retried unless it is a dry run, retries are off or used up.
func TestOnFailure(t *testing.T) {
	o := Options{RetryMax: 2, RetryBase: time.Minute}
	critical, other := &jobRow{Critical: true}, &jobRow{}
	for _, c := range []struct {
		name    string
		opts    Options
		root    jobRow
		sub     *jobRow
		stop    bool
		job     Status
		retryIn time.Duration
	}{
		{"critical, first attempt", o, jobRow{Attempt: 1}, critical, true, statusRetrying, time.Minute},
		{"not critical", o, jobRow{Attempt: 1}, other, false, statusRetrying, time.Minute},
		{"second attempt", o, jobRow{Attempt: 2}, critical, true, statusRetrying, 2 * time.Minute},
		{"retries used up", o, jobRow{Attempt: 3}, critical, true, statusFailedPermanently, 0},
		{"dry run", o, jobRow{Attempt: 1, DryRun: true}, other, false, statusFailed, 0},
		{"retries off", Options{}, jobRow{Attempt: 1}, critical, true, statusFailed, 0},
		{"the job alone", o, jobRow{Attempt: 1}, nil, false, statusRetrying, time.Minute},
	} {
		e := c.opts.onFailure(&c.root, c.sub)
		if e.subJob != statusFailed || !e.cancelRest || e.stopJob != c.stop || e.job != c.job || e.retryIn != c.retryIn {
			t.Errorf("%s: %+v, want stop %v, job %s, retry in %s", c.name, e, c.stop, c.job, c.retryIn)
		}
	}
}

// stateStore opens a scratch schema with one planned job (a metadata sub-job and its steps).
func stateStore(t *testing.T) (*store, *jobTree) {
	t.Helper()
	dsn := sharedDSN
	if dsn == "" {
		dsn = testenv.Postgres(t)
	}
	db, err := pgdb.Open(context.Background(), dsn, fmt.Sprintf("orchestrator_test_%d", schemaSeq.Add(1)), Migrations(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cfg := &configv1.Config{Id: "c1", Name: "c1", SyncType: configv1.SyncType_SYNC_TYPE_METADATA, SourceInstanceId: "src",
		DestinationInstanceIds: []string{"dst"}}
	tree, err := planJob(launch{cfg: cfg, trigger: "MANUAL"})
	if err != nil {
		t.Fatal(err)
	}
	st := &store{db: db}
	if err := st.inTx(context.Background(), func(tx *sqlx.Tx) error { return st.insertTree(context.Background(), tx, tree, "me") }); err != nil {
		t.Fatal(err)
	}
	return st, tree
}

// Guarded updates move a row only along the table and only from the status it is in; the schema refuses a
// status no table knows.
func TestGuardedUpdates(t *testing.T) {
	st, tree := stateStore(t)
	ctx := context.Background()
	id := tree.root.ID
	status := func() Status {
		j, err := st.job(ctx, st.db, id)
		if err != nil {
			t.Fatal(err)
		}
		return j.Status
	}
	// Illegal: a pending job cannot complete without running.
	if ok, err := st.moveJob(ctx, st.db, id, statusPending, statusCompleted, ""); ok || !errors.Is(err, errIllegalTransition) {
		t.Fatalf("PENDING → COMPLETED: moved %v, %v; want errIllegalTransition", ok, err)
	}
	// Legal, but the row is not in the status the caller believes: nothing moves.
	if ok, err := st.moveJob(ctx, st.db, id, statusRunning, statusCompleted, ""); ok || err != nil {
		t.Fatalf("RUNNING → COMPLETED of a pending job: moved %v, %v", ok, err)
	}
	if s := status(); s != statusPending {
		t.Fatalf("job is %s after refused moves", s)
	}
	if ok, err := st.moveJob(ctx, st.db, id, statusPending, statusRunning, ""); !ok || err != nil {
		t.Fatalf("PENDING → RUNNING: moved %v, %v", ok, err)
	}
	// A second runner that read PENDING too loses: the row moved already.
	if err := st.mustMoveJob(ctx, id, statusPending, statusRunning, ""); !errors.Is(err, errStatusChanged) {
		t.Fatalf("second PENDING → RUNNING: %v, want errStatusChanged", err)
	}
	if ok, err := st.moveJob(ctx, st.db, id, statusRunning, statusCompleted, "done"); !ok || err != nil {
		t.Fatalf("RUNNING → COMPLETED: moved %v, %v", ok, err)
	}
	if j, _ := st.job(ctx, st.db, id); !j.EndTime.Valid || !j.StartTime.Valid {
		t.Errorf("times not stamped: start %v, end %v", j.StartTime, j.EndTime)
	}
	// Final is final.
	if _, err := st.moveJob(ctx, st.db, id, statusCompleted, statusRunning, ""); !errors.Is(err, errIllegalTransition) {
		t.Fatalf("COMPLETED → RUNNING: %v, want errIllegalTransition", err)
	}

	step := tree.steps[0].ID
	if err := st.startStep(ctx, step, statusPending); err != nil {
		t.Fatal(err)
	}
	if err := st.startStep(ctx, step, statusPending); !errors.Is(err, errStatusChanged) {
		t.Fatalf("starting a running step as pending: %v, want errStatusChanged", err)
	}
	if ok, err := st.moveStep(ctx, st.db, step, statusRunning, statusRetrying, ""); ok || !errors.Is(err, errIllegalTransition) {
		t.Fatalf("step RUNNING → RETRYING: moved %v, %v; want errIllegalTransition", ok, err)
	}

	// The schema refuses what no table knows, even written around the store.
	for _, q := range []string{
		`UPDATE jobs SET status = 'DONE' WHERE id = $1`,
		`UPDATE steps SET status = 'RETRYING' WHERE root_job_id = $1`,
		`UPDATE jobs SET status = 'RETRYING' WHERE parent_job_id = $1`,
	} {
		_, err := st.db.ExecContext(ctx, q, id)
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "23514" {
			t.Errorf("%s: %v, want a check violation", q, err)
		}
	}
}
