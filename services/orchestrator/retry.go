package orchestrator

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"google.golang.org/protobuf/encoding/protojson"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// retryAfter launches the automatic retry when it is due; the periodic scan does it too, after a restart.
func (s *Service) retryAfter(rootID string, d time.Duration) {
	time.AfterFunc(d, func() {
		if s.base.Err() != nil {
			return
		}
		if _, err := s.retry(s.base, rootID, true, ""); err != nil {
			s.log.Warn("automatic retry not launched yet", slog.String("job_id", rootID), slog.String("error", err.Error()))
		}
	})
}

// retry starts a new job retrying a failed one: automatically for a RETRYING job, on request for a FAILED,
// FAILED_PERMANENTLY or CANCELLED one. The configuration is read again (an administrator may have fixed it);
// if the config service does not answer, the failed job's snapshot is used.
func (s *Service) retry(ctx context.Context, parentID string, automatic bool, user string) (*orchestratorv1.Job, error) {
	parent, err := s.st.job(ctx, s.st.db, parentID)
	if err != nil {
		return nil, err
	}
	if !parent.topLevel() {
		return nil, fmt.Errorf("%w: retry the top-level job %s", ErrNotRetryable, parent.RootJobID)
	}
	allowed := map[Status]bool{statusFailed: true, statusFailedPermanently: true, statusCancelled: true}
	if automatic {
		allowed = map[Status]bool{statusRetrying: true}
	}
	if !allowed[parent.Status] {
		if automatic {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: it is %s (only failed or cancelled jobs can be retried)", ErrNotRetryable, parent.Status.human())
	}
	cfg, err := s.fetchConfig(ctx, parent.ConfigID)
	if err != nil {
		if !errors.Is(err, ErrConfigUnavailable) {
			return nil, err
		}
		cfg = &configv1.Config{}
		if uerr := protojson.Unmarshal([]byte(parent.ConfigJSON), cfg); uerr != nil {
			return nil, err
		}
	}
	var types []orchestratorv1.JobType
	for _, t := range parent.LaunchTypes {
		types = append(types, jobTypeProto(t))
	}
	if user == "" {
		user = parent.LaunchedBy
	}
	tree, err := planJob(launch{
		cfg: cfg, dryRun: parent.DryRun, families: parent.MetadataFamilies, types: types, trigger: "RETRY",
		launchedBy: user, retryOf: parent,
	})
	if err != nil {
		return nil, err
	}
	child := tree.root
	err = s.st.inTx(ctx, func(tx *sqlx.Tx) error {
		var status Status
		if err := tx.GetContext(ctx, &status, `SELECT status FROM jobs WHERE id = $1 FOR UPDATE`, parent.ID); err != nil {
			return err
		}
		if !allowed[status] {
			return sql.ErrNoRows
		}
		if status == statusRetrying {
			// The retry starts: the waiting job becomes the failure it was.
			if _, err := s.st.moveJob(ctx, tx, parent.ID, statusRetrying, statusFailed, parent.Message+"; retried as job "+child.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET next_retry_time = NULL WHERE id = $1`, parent.ID); err != nil {
				return err
			}
		}
		return s.st.insertTree(ctx, tx, tree, s.owner)
	})
	if errors.Is(err, sql.ErrNoRows) {
		if automatic {
			return nil, nil // another process launched it
		}
		return nil, fmt.Errorf("%w: its status changed", ErrNotRetryable)
	}
	if err != nil {
		return nil, err
	}
	how := "manually by " + user
	if automatic {
		how = "automatically"
	}
	s.info(ctx, parent, "", "retried %s as job %s (attempt %d)", how, child.ID, child.Attempt)
	s.info(ctx, child, "", "retry of job %s (attempt %d)", parent.ID, child.Attempt)
	s.publishJob(ctx, parent.ID, eventState)
	s.publishJob(ctx, child.ID, eventState)
	s.startJob(child.ID, false)
	return s.st.tree(ctx, child.ID)
}
