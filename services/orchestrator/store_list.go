package orchestrator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// listOrder maps ListJobsRequest.order_by names to columns.
var listOrder = map[string]string{
	"create_time": "create_time", "status": "status", "type": "type", "config_name": "config_name",
}

type jobFilter struct {
	configID      string
	statuses      []string
	typ           string
	after, before time.Time
	orderBy       string
	limit, offset int
}

func parseListRequest(req *orchestratorv1.ListJobsRequest) (jobFilter, error) {
	f := jobFilter{configID: req.GetConfigId(), limit: int(req.GetPageSize())}
	switch {
	case f.limit <= 0:
		f.limit = 50
	case f.limit > 500:
		f.limit = 500
	}
	for _, st := range req.GetStatuses() {
		if st != orchestratorv1.JobStatus_JOB_STATUS_UNSPECIFIED {
			f.statuses = append(f.statuses, statusName(st))
		}
	}
	if req.GetType() != orchestratorv1.JobType_JOB_TYPE_UNSPECIFIED {
		f.typ = jobTypeName(req.GetType())
	}
	if t := req.GetCreatedAfter(); t != nil {
		f.after = t.AsTime()
	}
	if t := req.GetCreatedBefore(); t != nil {
		f.before = t.AsTime()
	}
	order := strings.TrimSpace(req.GetOrderBy())
	if order == "" {
		order = "-create_time"
	}
	desc := strings.HasPrefix(order, "-")
	col, ok := listOrder[strings.TrimPrefix(order, "-")]
	if !ok {
		return f, invalidf("order_by must be create_time, status, type or config_name (prefix - for descending), got %q", order)
	}
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	f.orderBy = col + " " + dir + ", id " + dir
	if tok := req.GetPageToken(); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		n, perr := strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		if err != nil || perr != nil || n < 0 || !strings.HasPrefix(string(b), "o:") {
			return f, invalidf("page_token is not a token this service returned")
		}
		f.offset = n
	}
	return f, nil
}

func pageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

// listJobs returns one page of top-level jobs and the total matching the filter.
func (s *store) listJobs(ctx context.Context, f jobFilter) ([]*jobRow, int64, error) {
	where := []string{"parent_job_id IS NULL"}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.configID != "" {
		where = append(where, "config_id = "+arg(f.configID))
	}
	if len(f.statuses) > 0 {
		where = append(where, "status = ANY("+arg(pq.StringArray(f.statuses))+")")
	}
	if f.typ != "" {
		where = append(where, "type = "+arg(f.typ))
	}
	if !f.after.IsZero() {
		where = append(where, "create_time > "+arg(f.after))
	}
	if !f.before.IsZero() {
		where = append(where, "create_time < "+arg(f.before))
	}
	cond := strings.Join(where, " AND ")
	var total int64
	if err := s.db.GetContext(ctx, &total, `SELECT count(*) FROM jobs WHERE `+cond, args...); err != nil {
		return nil, 0, fmt.Errorf("count jobs: %w", err)
	}
	var rows []*jobRow
	q := `SELECT ` + jobColumns + ` FROM jobs WHERE ` + cond + ` ORDER BY ` + f.orderBy +
		` LIMIT ` + arg(f.limit) + ` OFFSET ` + arg(f.offset)
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	return rows, total, nil
}

// listLogs returns a job's log lines (a top-level job's include its sub-jobs'), oldest first.
func (s *store) listLogs(ctx context.Context, job *jobRow, minLevel orchestratorv1.LogLevel, after int64, limit int) ([]*orchestratorv1.LogLine, error) {
	col := "job_id"
	if job.topLevel() {
		col = "root_job_id"
	}
	var rows []struct {
		Sequence   int64     `db:"sequence"`
		JobID      string    `db:"job_id"`
		Time       time.Time `db:"time"`
		Level      int       `db:"level"`
		Message    string    `db:"message"`
		StepID     string    `db:"step_id"`
		Attributes []byte    `db:"attributes"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT sequence, job_id, time, level, message, step_id, attributes
		FROM log_lines WHERE `+col+` = $1 AND level >= $2 AND sequence > $3 ORDER BY sequence LIMIT $4`,
		job.ID, int(minLevel), after, limit)
	if err != nil {
		return nil, fmt.Errorf("list log lines: %w", err)
	}
	out := make([]*orchestratorv1.LogLine, len(rows))
	for i, r := range rows {
		l := &orchestratorv1.LogLine{
			Sequence: r.Sequence, JobId: r.JobID, Level: orchestratorv1.LogLevel(r.Level), Message: r.Message,
			StepId: r.StepID, Time: tsOf(r.Time),
		}
		_ = json.Unmarshal(r.Attributes, &l.Attributes)
		out[i] = l
	}
	return out, nil
}
