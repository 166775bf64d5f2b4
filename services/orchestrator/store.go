package orchestrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// store is the orchestrator's PostgreSQL state (schema "orchestrator").
type store struct{ db *sqlx.DB }

const jobColumns = `id, root_job_id, parent_job_id, retry_of_job_id, position, attempt, config_id, config_name,
	config_json, type, kind, status, trigger, dry_run, critical, source_instance_id, destination_instance_ids,
	metadata_families, launch_types, launched_by, message, planned, processed, created, updated, deleted, ignored,
	errors, warnings, verification, cancel_requested, owner, heartbeat_time, create_time, start_time, end_time,
	next_retry_time`

const stepColumns = `id, job_id, root_job_id, position, name, kind, resources, params, status, message, planned,
	processed, created, updated, deleted, ignored, errors, warnings, attempts, activity_time, start_time, end_time`

func (s *store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// insertTree stores a new job with its sub-jobs, steps and per-destination step rows. The owner is the process
// that will run it.
func (s *store) insertTree(ctx context.Context, tx *sqlx.Tx, t *jobTree, owner string) error {
	for _, j := range append([]*jobRow{t.root}, t.subs...) {
		j.Owner = owner
		for _, a := range []*pq.StringArray{&j.DestinationInstanceIDs, &j.MetadataFamilies, &j.LaunchTypes} {
			if *a == nil {
				*a = pq.StringArray{}
			}
		}
		_, err := tx.NamedExecContext(ctx, `INSERT INTO jobs (id, root_job_id, parent_job_id, retry_of_job_id,
			position, attempt, config_id, config_name, config_json, type, kind, status, trigger, dry_run, critical,
			source_instance_id, destination_instance_ids, metadata_families, launch_types, launched_by, owner)
			VALUES (:id, :root_job_id, :parent_job_id, :retry_of_job_id, :position, :attempt, :config_id,
			:config_name, :config_json, :type, :kind, :status, :trigger, :dry_run, :critical, :source_instance_id,
			:destination_instance_ids, :metadata_families, :launch_types, :launched_by, :owner)`, j)
		if err != nil {
			var pqErr *pq.Error
			if errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "jobs_one_active_per_config" {
				var id string
				if gerr := s.db.GetContext(ctx, &id, `SELECT id FROM jobs WHERE config_id = $1 AND parent_job_id IS NULL
					AND status = ANY($2) LIMIT 1`, j.ConfigID, activeStatuses()); gerr != nil {
					id = "unknown"
				}
				return &AlreadyRunningError{JobID: id}
			}
			return fmt.Errorf("insert job: %w", err)
		}
	}
	for _, st := range t.steps {
		if _, err := tx.NamedExecContext(ctx, `INSERT INTO steps (id, job_id, root_job_id, position, name, kind,
			resources, params, status) VALUES (:id, :job_id, :root_job_id, :position, :name, :kind, :resources,
			:params, :status)`, st); err != nil {
			return fmt.Errorf("insert step: %w", err)
		}
		for _, d := range t.root.DestinationInstanceIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO step_destinations (step_id, destination_id) VALUES ($1, $2)`,
				st.ID, d); err != nil {
				return fmt.Errorf("insert step destination: %w", err)
			}
		}
	}
	return nil
}

func (s *store) job(ctx context.Context, q sqlx.QueryerContext, id string) (*jobRow, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, fmt.Errorf("%w: %q", ErrJobNotFound, id)
	}
	var j jobRow
	err := sqlx.GetContext(ctx, q, &j, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrJobNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("get job: %w", err)
	}
	return &j, nil
}

func (s *store) subJobs(ctx context.Context, rootID string) ([]*jobRow, error) {
	var out []*jobRow
	err := s.db.SelectContext(ctx, &out, `SELECT `+jobColumns+` FROM jobs WHERE root_job_id = $1
		AND parent_job_id IS NOT NULL ORDER BY position`, rootID)
	if err != nil {
		return nil, fmt.Errorf("list sub-jobs: %w", err)
	}
	return out, nil
}

func (s *store) steps(ctx context.Context, col, id string) ([]*stepRow, error) {
	var out []*stepRow
	err := s.db.SelectContext(ctx, &out, `SELECT `+stepColumns+` FROM steps WHERE `+col+` = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("list steps: %w", err)
	}
	return out, nil
}

func (s *store) step(ctx context.Context, id string) (*stepRow, error) {
	var st stepRow
	if err := s.db.GetContext(ctx, &st, `SELECT `+stepColumns+` FROM steps WHERE id = $1`, id); err != nil {
		return nil, fmt.Errorf("get step: %w", err)
	}
	return &st, nil
}

// tree returns a top-level job with its sub-jobs and their steps.
func (s *store) tree(ctx context.Context, rootID string) (*orchestratorv1.Job, error) {
	root, err := s.job(ctx, s.db, rootID)
	if err != nil {
		return nil, err
	}
	subs, err := s.subJobs(ctx, root.RootJobID)
	if err != nil {
		return nil, err
	}
	steps, err := s.steps(ctx, "root_job_id", root.RootJobID)
	if err != nil {
		return nil, err
	}
	byJob := map[string][]*orchestratorv1.Step{}
	for _, st := range steps {
		byJob[st.JobID] = append(byJob[st.JobID], st.proto())
	}
	out := root.proto()
	out.Steps = byJob[root.ID]
	if root.topLevel() {
		for _, sub := range subs {
			p := sub.proto()
			p.Steps = byJob[sub.ID]
			out.SubJobs = append(out.SubJobs, p)
		}
	}
	return out, nil
}

// moveJob moves a job from one status to another: only a move the state machine allows (jobTransitions), and
// only if the row is still in from (another process may have moved it). It reports whether the row moved, and
// stamps the start time on RUNNING and the end time on a final status.
func (s *store) moveJob(ctx context.Context, q sqlx.ExecerContext, id string, from, to Status, message string) (bool, error) {
	if err := checkMove(jobTransitions, "job", id, from, to); err != nil {
		return false, err
	}
	res, err := q.ExecContext(ctx, `UPDATE jobs SET status = $3, message = $4,
		start_time = CASE WHEN $5 THEN coalesce(start_time, now()) ELSE start_time END,
		end_time = CASE WHEN $6 THEN coalesce(end_time, now()) ELSE end_time END
		WHERE id = $1 AND status = $2`, id, from, to, message, to == statusRunning, to.final())
	return moved(res, err, "job", id, from)
}

// mustMoveJob is moveJob for a runner that owns the job: a row that had already moved is an error.
func (s *store) mustMoveJob(ctx context.Context, id string, from, to Status, message string) error {
	ok, err := s.moveJob(ctx, s.db, id, from, to, message)
	if err == nil && !ok {
		err = fmt.Errorf("%w: job %s is no longer %s", errStatusChanged, id, from)
	}
	return err
}

// moveStep moves a step from one status to another, like moveJob (stepTransitions).
func (s *store) moveStep(ctx context.Context, q sqlx.ExecerContext, id string, from, to Status, message string) (bool, error) {
	if err := checkMove(stepTransitions, "step", id, from, to); err != nil {
		return false, err
	}
	res, err := q.ExecContext(ctx, `UPDATE steps SET status = $3, message = $4,
		end_time = CASE WHEN $5 THEN coalesce(end_time, now()) ELSE end_time END
		WHERE id = $1 AND status = $2`, id, from, to, message, to.final())
	return moved(res, err, "step", id, from)
}

// mustMoveStep is moveStep for a runner that owns the step: a row that had already moved is an error.
func (s *store) mustMoveStep(ctx context.Context, id string, from, to Status, message string) error {
	ok, err := s.moveStep(ctx, s.db, id, from, to, message)
	if err == nil && !ok {
		err = fmt.Errorf("%w: step %s is no longer %s", errStatusChanged, id, from)
	}
	return err
}

func moved(res sql.Result, err error, what, id string, from Status) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("update %s %s from %s: %w", what, id, from, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("update %s %s from %s: %w", what, id, from, err)
	}
	return n == 1, nil
}

// activeStatuses are the statuses of a job that holds its configuration.
func activeStatuses() pq.StringArray {
	var out pq.StringArray
	for _, st := range jobStatuses {
		if st.active() {
			out = append(out, string(st))
		}
	}
	return out
}

// runnableStatuses are the statuses of a top-level job a process runs (and another may take over).
var runnableStatuses = pq.StringArray{string(statusPending), string(statusRunning)}

// startStep marks a step running (from PENDING, or RUNNING again when it restarts from its checkpoint) and
// resets its inactivity clock.
func (s *store) startStep(ctx context.Context, id string, from Status) error {
	if err := checkMove(stepTransitions, "step", id, from, statusRunning); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE steps SET status = $3, attempts = attempts + 1,
		activity_time = now(), start_time = coalesce(start_time, now()) WHERE id = $1 AND status = $2`, id, from, statusRunning)
	ok, err := moved(res, err, "step", id, from)
	if err == nil && !ok {
		err = fmt.Errorf("%w: step %s is no longer %s", errStatusChanged, id, from)
	}
	return err
}

type destRow struct {
	StepID        string `db:"step_id"`
	DestinationID string `db:"destination_id"`
	AckedThrough  int64  `db:"acked_through"`
	PlannedTotal  int64  `db:"planned_total"`
	Processed     int64  `db:"processed"`
	ServerDate    string `db:"server_date"`
	Done          bool   `db:"done"`
	Error         string `db:"error"`
}

// stepState returns a step's destinations and how long it has gone without a result.
func (s *store) stepState(ctx context.Context, stepID string) ([]destRow, float64, error) {
	var dests []destRow
	if err := s.db.SelectContext(ctx, &dests, `SELECT step_id, destination_id, acked_through, planned_total,
		processed, server_date, done, error FROM step_destinations WHERE step_id = $1 ORDER BY destination_id`, stepID); err != nil {
		return nil, 0, fmt.Errorf("step destinations: %w", err)
	}
	var idle float64
	if err := s.db.GetContext(ctx, &idle, `SELECT coalesce(extract(epoch FROM now() - activity_time), 0)::float8
		FROM steps WHERE id = $1`, stepID); err != nil {
		return nil, 0, fmt.Errorf("step activity: %w", err)
	}
	return dests, idle, nil
}

// finishStep ends a step and, for a successful step of a real run, moves the watermarks of its resources to
// the source serverDate each destination's last result carried.
func (s *store) finishStep(ctx context.Context, st *stepRow, configID string, from, to Status, message string, moveWatermarks bool) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		ok, err := s.moveStep(ctx, tx, st.ID, from, to, message)
		if err == nil && !ok {
			err = fmt.Errorf("%w: step %s is no longer %s", errStatusChanged, st.ID, from)
		}
		if err != nil {
			return fmt.Errorf("finish step: %w", err)
		}
		if !moveWatermarks {
			return nil
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO watermarks (config_id, destination_id, resource, server_date)
			SELECT $1, d.destination_id, r, d.server_date FROM step_destinations d, unnest($3::text[]) r
			WHERE d.step_id = $2 AND d.server_date <> '' AND d.error = ''
			ON CONFLICT (config_id, destination_id, resource) DO UPDATE SET server_date = excluded.server_date,
				update_time = now()`, configID, st.ID, pq.StringArray(watermarkResources(st)))
		if err != nil {
			return fmt.Errorf("store watermarks: %w", err)
		}
		return nil
	})
}

// since returns the oldest watermark of resources over destinations, or "" when any is missing (one
// extraction feeds every destination, so the least advanced one decides).
func (s *store) since(ctx context.Context, configID string, destinations, resources []string) (string, error) {
	var n int
	var oldest sql.NullString
	err := s.db.QueryRowxContext(ctx, `SELECT count(*), min(server_date) FROM watermarks WHERE config_id = $1
		AND destination_id = ANY($2) AND resource = ANY($3)`, configID, pq.StringArray(destinations),
		pq.StringArray(resources)).Scan(&n, &oldest)
	if err != nil {
		return "", fmt.Errorf("watermarks: %w", err)
	}
	if n < len(destinations)*len(resources) {
		return "", nil
	}
	return oldest.String, nil
}

// heartbeat says the owner still runs the job and reports whether its cancellation was requested.
func (s *store) heartbeat(ctx context.Context, rootID, owner string) (bool, error) {
	var cancel bool
	err := s.db.GetContext(ctx, &cancel, `UPDATE jobs SET heartbeat_time = now() WHERE id = $1 AND owner = $2
		RETURNING cancel_requested`, rootID, owner)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return cancel, err
}

// release gives a job up on shutdown so that the next process resumes it at once.
func (s *store) release(ctx context.Context, rootID, owner string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE jobs SET owner = '', heartbeat_time = 'epoch' WHERE id = $1
		AND owner = $2 AND status = ANY($3)`, rootID, owner, runnableStatuses)
	return err
}

// claimStale takes over running jobs whose owner stopped sending heartbeats.
func (s *store) claimStale(ctx context.Context, owner string, staleAfterSeconds float64) ([]string, error) {
	var ids []string
	err := s.db.SelectContext(ctx, &ids, `UPDATE jobs SET owner = $1, heartbeat_time = now()
		WHERE parent_job_id IS NULL AND status = ANY($3) AND owner <> $1
		AND heartbeat_time < now() - make_interval(secs => $2) RETURNING id`, owner, staleAfterSeconds, runnableStatuses)
	return ids, err
}

func (s *store) dueRetries(ctx context.Context) ([]string, error) {
	var ids []string
	err := s.db.SelectContext(ctx, &ids, `SELECT id FROM jobs WHERE status = $1 AND next_retry_time <= now()`, statusRetrying)
	return ids, err
}

func (s *store) requestCancel(ctx context.Context, rootID string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE jobs SET cancel_requested = true WHERE id = $1`, rootID)
	return err
}

func (s *store) setVerification(ctx context.Context, ids []string, v string, warnings int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE jobs SET verification = $2, warnings = warnings + $3
		WHERE id = ANY($1)`, pq.StringArray(ids), v, warnings)
	return err
}

func (s *store) addWarnings(ctx context.Context, stepID string, ids []string, n int64) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE steps SET warnings = warnings + $2 WHERE id = $1`, stepID, n); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET warnings = warnings + $2 WHERE id = ANY($1)`, pq.StringArray(ids), n)
		return err
	})
}

// setRetrying moves a running job to RETRYING, waiting for its automatic retry after delay.
func (s *store) setRetrying(ctx context.Context, id, message string, delay time.Duration) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		ok, err := s.moveJob(ctx, tx, id, statusRunning, statusRetrying, message)
		if err == nil && !ok {
			err = fmt.Errorf("%w: job %s is no longer %s", errStatusChanged, id, statusRunning)
		}
		if err != nil {
			return fmt.Errorf("set retrying: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET end_time = now(), next_retry_time = now() + make_interval(secs => $2)
			WHERE id = $1`, id, delay.Seconds()); err != nil {
			return fmt.Errorf("set retrying: %w", err)
		}
		return nil
	})
}

// cancelRetry cancels a job waiting for its automatic retry; it reports whether the job was still waiting.
func (s *store) cancelRetry(ctx context.Context, id, message string) (bool, error) {
	var ok bool
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		if ok, err = s.moveJob(ctx, tx, id, statusRetrying, statusCancelled, message); err != nil || !ok {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET next_retry_time = NULL WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("cancel retry: %w", err)
	}
	return ok, nil
}

// claim takes over one job if no live process runs it.
func (s *store) claim(ctx context.Context, id, owner string, staleAfter time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE jobs SET owner = $2, heartbeat_time = now() WHERE id = $1
		AND status = ANY($4) AND (owner = '' OR heartbeat_time < now() - make_interval(secs => $3))`,
		id, owner, staleAfter.Seconds(), runnableStatuses)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
