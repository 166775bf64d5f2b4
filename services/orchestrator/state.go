package orchestrator

import (
	"errors"
	"fmt"
	"slices"
	"time"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// This file is the job and step state machine: the statuses, the transitions allowed between them (every
// status update in store.go is checked against them and guarded by the status it moves from), and the one
// decision of what a failure does to a sub-job and its job.

// Status is the state of a job, a sub-job or a step, as stored: the JobStatus enum name without its prefix.
type Status string

const (
	statusPending           Status = "PENDING"
	statusRunning           Status = "RUNNING"
	statusCompleted         Status = "COMPLETED"
	statusCompletedWarnings Status = "COMPLETED_WITH_WARNINGS"
	statusFailed            Status = "FAILED"
	statusCancelled         Status = "CANCELLED"
	// statusRetrying is a failed top-level job waiting for its automatic retry; it becomes FAILED when the
	// retry starts, or CANCELLED.
	statusRetrying Status = "RETRYING"
	// statusFailedPermanently is a failed top-level job whose automatic retries are used up.
	statusFailedPermanently Status = "FAILED_PERMANENTLY"
)

// jobTransitions are the moves a job (top-level or sub-job) may make. A resumed job keeps its status: RUNNING
// is never entered twice.
var jobTransitions = map[Status][]Status{
	statusPending:  {statusRunning, statusCancelled},
	statusRunning:  {statusCompleted, statusCompletedWarnings, statusFailed, statusCancelled, statusRetrying, statusFailedPermanently},
	statusRetrying: {statusFailed, statusCancelled},
}

// stepTransitions are the moves a step may make. RUNNING → RUNNING is a step restarted from its checkpoint
// after a restart; PENDING → FAILED a step that could not start.
var stepTransitions = map[Status][]Status{
	statusPending: {statusRunning, statusFailed, statusCancelled},
	statusRunning: {statusRunning, statusCompleted, statusCompletedWarnings, statusFailed, statusCancelled},
}

// jobStatuses and stepStatuses are every status each may hold (the schema's CHECK constraints list the same).
var (
	jobStatuses = []Status{statusPending, statusRunning, statusCompleted, statusCompletedWarnings, statusFailed,
		statusCancelled, statusRetrying, statusFailedPermanently}
	stepStatuses = []Status{statusPending, statusRunning, statusCompleted, statusCompletedWarnings, statusFailed, statusCancelled}
)

// errIllegalTransition is a status update the state machine does not allow; errStatusChanged is a guarded
// update whose row was no longer in the status it was to move from (another process moved it).
var (
	errIllegalTransition = errors.New("illegal status transition")
	errStatusChanged     = errors.New("status changed meanwhile")
)

func canMove(table map[Status][]Status, from, to Status) bool {
	return slices.Contains(table[from], to)
}

func checkMove(table map[Status][]Status, what, id string, from, to Status) error {
	if !canMove(table, from, to) {
		return fmt.Errorf("%w: %s %s cannot go from %s to %s", errIllegalTransition, what, id, from, to)
	}
	return nil
}

// final reports whether a status never changes again (RETRYING does: it becomes FAILED when the retry starts).
func (s Status) final() bool {
	return !slices.Contains([]Status{statusPending, statusRunning, statusRetrying}, s)
}

// active reports a top-level job that holds its configuration: no other job of it may start.
func (s Status) active() bool {
	return s == statusPending || s == statusRunning || s == statusRetrying
}

func (s Status) succeeded() bool { return s == statusCompleted || s == statusCompletedWarnings }

func (s Status) proto() orchestratorv1.JobStatus {
	return orchestratorv1.JobStatus(orchestratorv1.JobStatus_value["JOB_STATUS_"+string(s)])
}

func (s Status) human() string {
	switch s {
	case statusCompleted:
		return "completed"
	case statusCompletedWarnings:
		return "completed with warnings"
	case statusFailed:
		return "failed"
	case statusCancelled:
		return "cancelled"
	case statusRetrying:
		return "failed, retry scheduled"
	case statusFailedPermanently:
		return "failed permanently"
	}
	return string(s)
}

// statusOf is a JobStatus as stored.
func statusOf(s orchestratorv1.JobStatus) Status {
	return Status(statusName(s))
}

// stepOutcome is how running a step ended: a final status with its message, or interrupted when the job's
// context ended first (the step stays RUNNING and a resumed job restarts it from its checkpoint).
type stepOutcome struct {
	status      Status
	message     string
	interrupted bool
}

func ended(s Status, message string) stepOutcome { return stepOutcome{status: s, message: message} }

func failedWith(message string) stepOutcome { return ended(statusFailed, message) }

var interrupted = stepOutcome{interrupted: true}

// failureEffect is what a failure does to the rest of the job.
type failureEffect struct {
	// subJob is the failed step's sub-job's new status, and cancelRest says its later steps are not run.
	subJob     Status
	cancelRest bool
	// stopJob: the sub-job is critical (metadata: data would reference what is missing), so the job's later
	// sub-jobs are not started and the job fails.
	stopJob bool
	// job is the status a failed job ends with: RETRYING after retryIn, FAILED (dry run, retries off) or
	// FAILED_PERMANENTLY (retries used up); note says which for the job's message.
	job     Status
	retryIn time.Duration
	note    string
}

// onFailure is the one decision of what failing does. A failed step fails its sub-job, whose later steps are
// not run; a failed critical sub-job also stops the job (later sub-jobs are not started) and fails it. A job
// that fails is retried automatically after a growing delay unless it is a dry run or retries are off; once
// its retries are used up it fails permanently. root is the top-level job, sub the failed step's sub-job (nil
// when deciding for the job alone).
func (o Options) onFailure(root, sub *jobRow) failureEffect {
	e := failureEffect{subJob: statusFailed, cancelRest: true, stopJob: sub != nil && sub.Critical, job: statusFailed}
	if root.DryRun || o.RetryMax <= 0 {
		return e
	}
	retries := root.Attempt - 1
	if retries >= o.RetryMax {
		e.job, e.note = statusFailedPermanently, fmt.Sprintf("failed %d times, no retries left", root.Attempt)
		return e
	}
	e.job, e.retryIn = statusRetrying, o.retryDelay(retries+1)
	e.note = fmt.Sprintf("automatic retry %d of %d in %s", retries+1, o.RetryMax, e.retryIn)
	return e
}
