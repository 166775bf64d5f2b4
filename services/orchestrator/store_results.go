package orchestrator

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// errUnknownStep marks a result for a step this orchestrator never planned (another deployment sharing the
// broker, or a job whose rows were removed): it is acknowledged and dropped.
var errUnknownStep = errors.New("result for an unknown step")

// maxConflictLines bounds the log lines one result adds; the rest are summarised in one line.
const maxConflictLines = 50

// applied is what recording a result changed.
type applied struct {
	duplicate bool
	rootID    string
	stepID    string
	lines     []*orchestratorv1.LogLine
}

// resultKey identifies a result among its step's and destination's results, so a redelivery is recognised.
func resultKey(r *batchv1.Result) string {
	parts := make([]string, len(r.GetSequences()))
	for i, s := range r.GetSequences() {
		parts[i] = strconv.FormatInt(s, 10)
	}
	key := strings.Join(parts, ",")
	if r.GetLast() {
		key += "|last"
	}
	if r.GetError() != "" {
		key += "|error"
	}
	if key == "" {
		key = "acked:" + strconv.FormatInt(r.GetAckedThrough(), 10)
	}
	return key
}

// processedOf is how far a result moves its step's progress, in the unit of the step's planned total: the source
// items it covered. Results without item counts (an error that covered no batch) count what DHIS2 reported.
func processedOf(r *batchv1.Result) int64 {
	if r.GetItems() > 0 {
		return r.GetItems()
	}
	return r.GetCreated() + r.GetUpdated() + r.GetDeleted() + r.GetIgnored() + r.GetErrors()
}

// warningsOf counts a result's warnings: conflicts that did not make items fail, or a WARNING status alone.
func warningsOf(r *batchv1.Result) int64 {
	if r.GetErrors() > 0 {
		return 0
	}
	if n := int64(len(r.GetConflicts())); n > 0 {
		return n
	}
	if strings.EqualFold(r.GetStatus(), "WARNING") {
		return 1
	}
	return 0
}

// applyResult records one loader result in one transaction: step and job counters, the destination's resume
// point and end, and the conflicts as log lines. A result already recorded changes nothing.
func (s *store) applyResult(ctx context.Context, r *batchv1.Result) (*applied, error) {
	out := &applied{stepID: r.GetStepId()}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var st struct {
			JobID     string `db:"job_id"`
			RootJobID string `db:"root_job_id"`
			Planned   int64  `db:"planned"`
		}
		if _, perr := uuid.Parse(r.GetStepId()); perr != nil {
			return errUnknownStep
		}
		err := tx.GetContext(ctx, &st, `SELECT job_id, root_job_id, planned FROM steps WHERE id = $1 FOR UPDATE`,
			r.GetStepId())
		if errors.Is(err, sql.ErrNoRows) {
			return errUnknownStep
		}
		if err != nil {
			return fmt.Errorf("lock step: %w", err)
		}
		out.rootID = st.RootJobID
		res, err := tx.ExecContext(ctx, `INSERT INTO processed_results (step_id, destination_id, result_key)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, r.GetStepId(), r.GetDestinationInstanceId(), resultKey(r))
		if err != nil {
			return fmt.Errorf("record result: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			out.duplicate = true
			return nil
		}
		c := counters{
			Created: r.GetCreated(), Updated: r.GetUpdated(), Deleted: r.GetDeleted(), Ignored: r.GetIgnored(),
			Errors: r.GetErrors(), Warnings: warningsOf(r),
		}
		c.Processed = processedOf(r)
		_, err = tx.ExecContext(ctx, `INSERT INTO step_destinations AS d (step_id, destination_id, acked_through,
				planned_total, processed, server_date, done, error)
			VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 AND $8 = '' THEN $7 ELSE '' END, $6 OR $8 <> '', $8)
			ON CONFLICT (step_id, destination_id) DO UPDATE SET
				acked_through = greatest(d.acked_through, excluded.acked_through),
				planned_total = CASE WHEN $4 > 0 THEN $4 ELSE d.planned_total END,
				processed = d.processed + $5,
				server_date = CASE WHEN $6 AND $8 = '' AND $7 <> '' THEN $7 ELSE d.server_date END,
				done = d.done OR excluded.done,
				error = CASE WHEN $8 <> '' THEN $8 ELSE d.error END`,
			r.GetStepId(), r.GetDestinationInstanceId(), r.GetAckedThrough(), r.GetPlannedTotal(), c.Processed,
			r.GetLast(), r.GetServerDate(), r.GetError())
		if err != nil {
			return fmt.Errorf("update step destination: %w", err)
		}
		var planned int64
		if err := tx.GetContext(ctx, &planned, `SELECT coalesce(sum(planned_total), 0) FROM step_destinations
			WHERE step_id = $1`, r.GetStepId()); err != nil {
			return fmt.Errorf("step planned: %w", err)
		}
		c.Planned = planned - st.Planned
		if _, err := tx.ExecContext(ctx, `UPDATE steps SET planned = planned + $2, processed = processed + $3,
			created = created + $4, updated = updated + $5, deleted = deleted + $6, ignored = ignored + $7,
			errors = errors + $8, warnings = warnings + $9, activity_time = now() WHERE id = $1`,
			r.GetStepId(), c.Planned, c.Processed, c.Created, c.Updated, c.Deleted, c.Ignored, c.Errors, c.Warnings); err != nil {
			return fmt.Errorf("update step counters: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET planned = planned + $2, processed = processed + $3,
			created = created + $4, updated = updated + $5, deleted = deleted + $6, ignored = ignored + $7,
			errors = errors + $8, warnings = warnings + $9 WHERE id = ANY($1)`,
			pq.StringArray{st.JobID, st.RootJobID}, c.Planned, c.Processed, c.Created, c.Updated, c.Deleted,
			c.Ignored, c.Errors, c.Warnings); err != nil {
			return fmt.Errorf("update job counters: %w", err)
		}
		for _, l := range resultLogLines(r) {
			l.JobId = st.JobID
			if err := s.insertLog(ctx, tx, st.RootJobID, l); err != nil {
				return err
			}
			out.lines = append(out.lines, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// resultLogLines turns a result's conflicts, version adaptations and error into log lines.
func resultLogLines(r *batchv1.Result) []*orchestratorv1.LogLine {
	var out []*orchestratorv1.LogLine
	dest := r.GetDestinationInstanceId()
	level := orchestratorv1.LogLevel_LOG_LEVEL_WARNING
	if r.GetErrors() > 0 || strings.EqualFold(r.GetStatus(), "ERROR") {
		level = orchestratorv1.LogLevel_LOG_LEVEL_ERROR
	}
	for i, c := range r.GetConflicts() {
		if i == maxConflictLines {
			out = append(out, &orchestratorv1.LogLine{
				Level: level, StepId: r.GetStepId(),
				Message:    fmt.Sprintf("%d more conflicts in this import request not listed", len(r.GetConflicts())-maxConflictLines),
				Attributes: map[string]string{"destination": dest},
			})
			break
		}
		msg := c.GetMessage()
		if msg == "" {
			msg = "conflict " + c.GetCode()
		}
		attrs := map[string]string{"destination": dest}
		for k, v := range map[string]string{"code": c.GetCode(), "uid": c.GetUid(), "type": c.GetObjectType(),
			"property": c.GetProperty(), "value": c.GetValue()} {
			if v != "" {
				attrs[k] = v
			}
		}
		out = append(out, &orchestratorv1.LogLine{Level: level, StepId: r.GetStepId(), Message: msg, Attributes: attrs})
	}
	for _, a := range r.GetAdaptations() {
		msg := fmt.Sprintf("version adaptation: %s (%d objects", a.GetRule(), a.GetCount())
		if len(a.GetExamples()) > 0 {
			msg += ", e.g. " + strings.Join(a.GetExamples(), ", ")
		}
		out = append(out, &orchestratorv1.LogLine{Level: orchestratorv1.LogLevel_LOG_LEVEL_INFO, StepId: r.GetStepId(),
			Message: msg + ")", Attributes: map[string]string{"destination": dest, "rule": a.GetRule()}})
	}
	if r.GetError() != "" {
		out = append(out, &orchestratorv1.LogLine{
			Level: orchestratorv1.LogLevel_LOG_LEVEL_ERROR, StepId: r.GetStepId(),
			Message:    "destination " + dest + ": " + r.GetError(),
			Attributes: map[string]string{"destination": dest},
		})
	}
	return out
}

// insertLog stores a log line and fills in its sequence and time.
func (s *store) insertLog(ctx context.Context, q sqlx.QueryerContext, rootID string, l *orchestratorv1.LogLine) error {
	attrs, _ := json.Marshal(l.GetAttributes())
	if l.Attributes == nil {
		attrs = []byte("{}")
	}
	var row struct {
		Sequence int64        `db:"sequence"`
		Time     sql.NullTime `db:"time"`
	}
	err := sqlx.GetContext(ctx, q, &row, `INSERT INTO log_lines (job_id, root_job_id, level, message, step_id,
		attributes) VALUES ($1, $2, $3, $4, $5, $6) RETURNING sequence, time`, l.GetJobId(), rootID,
		int(l.GetLevel()), l.GetMessage(), l.GetStepId(), attrs)
	if err != nil {
		return fmt.Errorf("insert log line: %w", err)
	}
	l.Sequence, l.Time = row.Sequence, ts(row.Time)
	return nil
}
