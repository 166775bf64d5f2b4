package dhis2

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// notification is one entry of /api/system/tasks and /api/tracker/jobs.
type notification struct {
	UID       string `json:"uid"`
	Level     string `json:"level"`
	Category  string `json:"category"`
	Time      string `json:"time"`
	Message   string `json:"message"`
	Completed bool   `json:"completed"`
}

// jobDone reports whether a notification list (newest first) says the job
// finished, and whether it failed.
func jobDone(ns []notification) (done, failed bool, last string) {
	for i, n := range ns {
		if i == 0 {
			last = n.Message
		}
		if n.Completed {
			return true, strings.EqualFold(ns[0].Level, "ERROR"), last
		}
	}
	return false, false, last
}

// waitTask polls /api/system/tasks/{type}/{id} until the job completed,
// then reads /api/system/taskSummaries/{type}/{id} (docs.dhis2.org maintenance.md, system tasks).
func (c *Client) waitTask(ctx context.Context, op string, job asyncJob) (*ImportResult, error) {
	tasks := "system/tasks/" + url.PathEscape(job.JobType) + "/" + url.PathEscape(job.ID)
	if err := c.pollUntilDone(ctx, op, tasks, job); err != nil {
		return nil, err
	}
	summary := "system/taskSummaries/" + url.PathEscape(job.JobType) + "/" + url.PathEscape(job.ID)
	return c.fetchReport(ctx, op, summary, nil, job)
}

// waitTrackerJob polls /api/tracker/jobs/{id} until done, then reads
// /api/tracker/jobs/{id}/report (docs.dhis2.org tracker.md; dhis2-core TrackerImportController).
func (c *Client) waitTrackerJob(ctx context.Context, op string, job asyncJob, reportMode string) (*ImportResult, error) {
	path := "tracker/jobs/" + url.PathEscape(job.ID)
	if err := c.pollUntilDone(ctx, op, path, job); err != nil {
		return nil, err
	}
	q := url.Values{}
	if reportMode != "" {
		q.Set("reportMode", reportMode)
	}
	return c.fetchReport(ctx, op, path+"/report", q, job)
}

// maxEarlyNotFound tolerates a job that is not registered yet.
const maxEarlyNotFound = 5

func (c *Client) pollUntilDone(ctx context.Context, op, path string, job asyncJob) error {
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeouts.AsyncJob, errCallTimeout)
	defer cancel()
	delay := c.timeouts.PollInterval
	notFound := 0
	for {
		var ns []notification
		r := &request{op: op + ": poll job " + job.ID, method: "GET", path: path, class: classShort, idempotent: true}
		err := c.getJSON(ctx, r, &ns)
		switch {
		case err == nil:
			if done, failed, last := jobDone(ns); done {
				if failed {
					c.log.WarnContext(ctx, "dhis2 import job ended with an error", "job_id", job.ID, "message", last)
				}
				return nil
			}
		case isKind(err, KindNotFound) && notFound < maxEarlyNotFound:
			notFound++
		default:
			if ctx.Err() != nil && context.Cause(ctx) == errCallTimeout {
				return c.jobTimeout(op, job, err)
			}
			return err
		}
		if err := c.sleep(ctx, delay); err != nil {
			if context.Cause(ctx) == errCallTimeout {
				return c.jobTimeout(op, job, err)
			}
			return c.ctxError(ctx, r, "", err)
		}
		delay = min(2*delay, 10*time.Second)
	}
}

func (c *Client) jobTimeout(op string, job asyncJob, err error) error {
	return &Error{Kind: KindTimeout, Op: op, Message: fmt.Sprintf("job %s did not finish within %s", job.ID, c.timeouts.AsyncJob),
		Hint: "the import job may still be running on the server: check Data Administration > Scheduler on the DHIS2 server before retrying", Err: err}
}

func (c *Client) fetchReport(ctx context.Context, op, path string, q url.Values, job asyncJob) (*ImportResult, error) {
	r := &request{op: op + ": read job report " + job.ID, method: "GET", path: path, query: q, class: classShort, idempotent: true}
	resp, data, err := c.doRead(ctx, r)
	if err != nil {
		return nil, err
	}
	trimmed := strings.TrimSpace(string(data))
	if trimmed == "" || trimmed == "null" || trimmed == "{}" {
		return nil, &Error{Kind: KindImportFailed, Op: op, URL: redactURL(resp.url), Message: "job " + job.ID + " finished without an import report",
			Hint: hints[KindImportFailed]}
	}
	res, err := c.resultFromBody(r, resp, data)
	if err != nil {
		return nil, err
	}
	res.JobID = job.ID
	return res, nil
}

func isKind(err error, k Kind) bool {
	e, ok := err.(*Error)
	return ok && e.Kind == k
}
