package orchestrator

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// autoRow is a row of orchestrator.automation.
type autoRow struct {
	ConfigID            string       `db:"config_id"`
	ConfigName          string       `db:"config_name"`
	Mode                string       `db:"mode"`
	Phase               string       `db:"phase"`
	Since               string       `db:"since"`
	JobSince            string       `db:"job_since"`
	LastCheckTime       sql.NullTime `db:"last_check_time"`
	LastCheckResult     string       `db:"last_check_result"`
	NextCheckTime       sql.NullTime `db:"next_check_time"`
	Checks              int64        `db:"checks"`
	ConsecutiveFailures int          `db:"consecutive_failures"`
	LastJobID           string       `db:"last_job_id"`
	LaunchedJobID       string       `db:"launched_job_id"`
	CooldownUntil       sql.NullTime `db:"cooldown_until"`
	DisabledReason      string       `db:"disabled_reason"`
	LastRunTime         sql.NullTime `db:"last_run_time"`
	MissedRuns          string       `db:"missed_runs"`
	FastSince           string       `db:"fast_since"`
	FastJobSince        string       `db:"fast_job_since"`
	FastCheckTime       sql.NullTime `db:"fast_check_time"`
	UpdateTime          time.Time    `db:"update_time"`
}

const autoColumns = `config_id, config_name, mode, phase, since, job_since, last_check_time, last_check_result, next_check_time,
	checks, consecutive_failures, last_job_id, launched_job_id, cooldown_until, disabled_reason, last_run_time, missed_runs,
	fast_since, fast_job_since, fast_check_time, update_time`

// autoState reads a configuration's row, or returns a fresh one (not yet stored).
func (s *Service) autoState(ctx context.Context, configID, name, mode string) (*autoRow, error) {
	var r autoRow
	err := s.st.db.GetContext(ctx, &r, `SELECT `+autoColumns+` FROM automation WHERE config_id = $1`, configID)
	if errors.Is(err, sql.ErrNoRows) {
		return &autoRow{ConfigID: configID, ConfigName: name, Mode: mode, Phase: phaseWatching}, nil
	}
	if err != nil {
		return nil, err
	}
	r.ConfigName, r.Mode = name, mode
	return &r, nil
}

func (s *Service) saveAutoState(ctx context.Context, r *autoRow) error {
	_, err := s.st.db.NamedExecContext(ctx, `INSERT INTO automation (`+autoColumns+`) VALUES (:config_id, :config_name,
		:mode, :phase, :since, :job_since, :last_check_time, :last_check_result, :next_check_time, :checks, :consecutive_failures,
		:last_job_id, :launched_job_id, :cooldown_until, :disabled_reason, :last_run_time, :missed_runs, :fast_since, :fast_job_since,
		:fast_check_time, now())
		ON CONFLICT (config_id) DO UPDATE SET config_name = EXCLUDED.config_name, mode = EXCLUDED.mode, phase = EXCLUDED.phase,
		since = EXCLUDED.since, job_since = EXCLUDED.job_since, last_check_time = EXCLUDED.last_check_time,
		last_check_result = EXCLUDED.last_check_result, next_check_time = EXCLUDED.next_check_time,
		checks = EXCLUDED.checks, consecutive_failures = EXCLUDED.consecutive_failures,
		last_job_id = EXCLUDED.last_job_id, launched_job_id = EXCLUDED.launched_job_id,
		cooldown_until = EXCLUDED.cooldown_until, disabled_reason = EXCLUDED.disabled_reason,
		last_run_time = EXCLUDED.last_run_time, missed_runs = EXCLUDED.missed_runs, fast_since = EXCLUDED.fast_since,
		fast_job_since = EXCLUDED.fast_job_since, fast_check_time = EXCLUDED.fast_check_time, update_time = now()`, r)
	return err
}

func (s *Service) listAutoStates(ctx context.Context) ([]*autoRow, error) {
	var rows []*autoRow
	err := s.st.db.SelectContext(ctx, &rows, `SELECT `+autoColumns+` FROM automation ORDER BY config_name, config_id`)
	return rows, err
}

func (s *Service) recordAutomaticLaunch(ctx context.Context, configID, jobID string, at time.Time) error {
	_, err := s.st.db.ExecContext(ctx, `INSERT INTO automatic_launches (config_id, job_id, launch_time) VALUES ($1, $2, $3)`,
		configID, jobID, at)
	return err
}

// launchesSince counts a configuration's automatic launches after t and returns the oldest of them.
func (s *Service) launchesSince(ctx context.Context, configID string, t time.Time) (int, time.Time, error) {
	var r struct {
		N      int          `db:"n"`
		Oldest sql.NullTime `db:"oldest"`
	}
	err := s.st.db.GetContext(ctx, &r, `SELECT count(*) AS n, min(launch_time) AS oldest FROM automatic_launches
		WHERE config_id = $1 AND launch_time > $2`, configID, t)
	return r.N, r.Oldest.Time, err
}

// claimAlert records that an alert keyed key is sent; false when it already was.
func (s *Service) claimAlert(ctx context.Context, key string) (bool, error) {
	res, err := s.st.db.ExecContext(ctx, `INSERT INTO alerts_sent (key) VALUES ($1) ON CONFLICT DO NOTHING`, key)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// swapInstanceHealth stores an instance's status and returns the previous one ("" when first seen).
func (s *Service) swapInstanceHealth(ctx context.Context, id, status string) (string, error) {
	var prev sql.NullString
	err := s.st.db.GetContext(ctx, &prev, `WITH old AS (SELECT status FROM instance_health WHERE instance_id = $1 FOR UPDATE)
		, up AS (INSERT INTO instance_health (instance_id, status) VALUES ($1, $2)
		  ON CONFLICT (instance_id) DO UPDATE SET status = EXCLUDED.status, update_time = now())
		SELECT (SELECT status FROM old)`, id, status)
	return prev.String, err
}

func tsOrNil(t sql.NullTime) *timestamppb.Timestamp {
	if !t.Valid {
		return nil
	}
	return timestamppb.New(t.Time)
}

func (r *autoRow) proto(now time.Time, syncsLastHour int) *orchestratorv1.AutomationState {
	out := &orchestratorv1.AutomationState{
		ConfigId: r.ConfigID, ConfigName: r.ConfigName,
		Phase: orchestratorv1.AutomationPhase(orchestratorv1.AutomationPhase_value["AUTOMATION_PHASE_"+r.Phase]), LastCheckTime: tsOrNil(r.LastCheckTime),
		LastCheckResult: r.LastCheckResult, NextCheckTime: tsOrNil(r.NextCheckTime), Since: r.Since,
		ConsecutiveFailures: int32(r.ConsecutiveFailures), LastJobId: r.LaunchedJobID, SyncsLastHour: int32(syncsLastHour),
		DisabledReason: r.DisabledReason, Checks: r.Checks, MissedRuns: r.MissedRuns,
	}
	if r.CooldownUntil.Valid && r.CooldownUntil.Time.After(now) {
		out.CooldownUntil = timestamppb.New(r.CooldownUntil.Time)
	}
	if r.Mode == modeScheduled {
		out.NextRunTime, out.NextCheckTime = out.GetNextCheckTime(), nil
	}
	return out
}
