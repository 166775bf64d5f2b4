package orchestrator

import (
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/lib/pq"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
)

// Sub-job and step kinds.
const (
	kindMetadata  = "metadata"
	kindAggregate = "aggregate"
	kindEvents    = "events"
	kindTracker   = "tracker"
	kindDeletions = "deletions"
	kindVerify    = "verify"
)

// stepKinds are the step kinds as the orchestrator stores and sends them: the one mapping from a planned
// step to the contract's StepKind.
var stepKinds = map[string]stepv1.StepKind{
	kindMetadata:  stepv1.StepKind_STEP_KIND_METADATA,
	kindDeletions: stepv1.StepKind_STEP_KIND_METADATA_DELETIONS,
	kindAggregate: stepv1.StepKind_STEP_KIND_DATA_VALUES,
	kindEvents:    stepv1.StepKind_STEP_KIND_EVENTS,
	kindTracker:   stepv1.StepKind_STEP_KIND_TRACKER,
	kindVerify:    stepv1.StepKind_STEP_KIND_VERIFY,
}

// kind is the step's kind in the contract (STEP_KIND_UNSPECIFIED for a kind this orchestrator does not plan,
// which the workers refuse).
func (s *stepRow) kind() stepv1.StepKind { return stepKinds[s.Kind] }

type counters struct {
	Planned   int64 `db:"planned"`
	Processed int64 `db:"processed"`
	Created   int64 `db:"created"`
	Updated   int64 `db:"updated"`
	Deleted   int64 `db:"deleted"`
	Ignored   int64 `db:"ignored"`
	Errors    int64 `db:"errors"`
	Warnings  int64 `db:"warnings"`
}

type jobRow struct {
	ID                     string         `db:"id"`
	RootJobID              string         `db:"root_job_id"`
	ParentJobID            sql.NullString `db:"parent_job_id"`
	RetryOfJobID           sql.NullString `db:"retry_of_job_id"`
	Position               int            `db:"position"`
	Attempt                int            `db:"attempt"`
	ConfigID               string         `db:"config_id"`
	ConfigName             string         `db:"config_name"`
	ConfigJSON             string         `db:"config_json"`
	Type                   string         `db:"type"`
	Kind                   string         `db:"kind"`
	Status                 Status         `db:"status"`
	Trigger                string         `db:"trigger"`
	DryRun                 bool           `db:"dry_run"`
	Critical               bool           `db:"critical"`
	SourceInstanceID       string         `db:"source_instance_id"`
	DestinationInstanceIDs pq.StringArray `db:"destination_instance_ids"`
	MetadataFamilies       pq.StringArray `db:"metadata_families"`
	LaunchTypes            pq.StringArray `db:"launch_types"`
	LaunchedBy             string         `db:"launched_by"`
	Message                string         `db:"message"`
	counters
	Verification    string       `db:"verification"`
	CancelRequested bool         `db:"cancel_requested"`
	Owner           string       `db:"owner"`
	HeartbeatTime   time.Time    `db:"heartbeat_time"`
	CreateTime      time.Time    `db:"create_time"`
	StartTime       sql.NullTime `db:"start_time"`
	EndTime         sql.NullTime `db:"end_time"`
	NextRetryTime   sql.NullTime `db:"next_retry_time"`
}

func (j *jobRow) topLevel() bool { return !j.ParentJobID.Valid }

type stepRow struct {
	ID        string         `db:"id"`
	JobID     string         `db:"job_id"`
	RootJobID string         `db:"root_job_id"`
	Position  int            `db:"position"`
	Name      string         `db:"name"`
	Kind      string         `db:"kind"`
	Resources pq.StringArray `db:"resources"`
	Params    []byte         `db:"params"`
	Status    Status         `db:"status"`
	Message   string         `db:"message"`
	counters
	Attempts     int          `db:"attempts"`
	ActivityTime sql.NullTime `db:"activity_time"`
	StartTime    sql.NullTime `db:"start_time"`
	EndTime      sql.NullTime `db:"end_time"`
}

func (s *stepRow) params() map[string]string {
	m := map[string]string{}
	_ = json.Unmarshal(s.Params, &m)
	return m
}

func ts(t sql.NullTime) *timestamppb.Timestamp {
	if !t.Valid {
		return nil
	}
	return timestamppb.New(t.Time)
}

func jobTypeProto(s string) orchestratorv1.JobType {
	return orchestratorv1.JobType(orchestratorv1.JobType_value["JOB_TYPE_"+s])
}

func jobTypeName(t orchestratorv1.JobType) string {
	return strings.TrimPrefix(t.String(), "JOB_TYPE_")
}

func statusName(s orchestratorv1.JobStatus) string {
	return strings.TrimPrefix(s.String(), "JOB_STATUS_")
}

func (c counters) proto() *orchestratorv1.Counters {
	return &orchestratorv1.Counters{
		Total: c.Planned, Processed: c.Processed, Created: c.Created, Updated: c.Updated, Deleted: c.Deleted,
		Ignored: c.Ignored, Errors: c.Errors, Warnings: c.Warnings,
	}
}

func progress(c counters, status Status) *orchestratorv1.Progress {
	p := &orchestratorv1.Progress{Planned: c.Planned, Processed: c.Processed}
	switch {
	case status.succeeded():
		p.Percent = 100
	case c.Planned > 0:
		p.Percent = min(100, float64(c.Processed)*100/float64(c.Planned))
	}
	return p
}

func (j *jobRow) proto() *orchestratorv1.Job {
	out := &orchestratorv1.Job{
		Id: j.ID, ConfigId: j.ConfigID, ConfigName: j.ConfigName, ParentJobId: j.ParentJobID.String,
		RetryOfJobId: j.RetryOfJobID.String, Attempt: int32(j.Attempt), Type: jobTypeProto(j.Type),
		Status: j.Status.proto(), Trigger: orchestratorv1.Trigger(orchestratorv1.Trigger_value["TRIGGER_"+j.Trigger]),
		DryRun: j.DryRun, Critical: j.Critical, SourceInstanceId: j.SourceInstanceID,
		DestinationInstanceIds: append([]string(nil), j.DestinationInstanceIDs...),
		Progress:               progress(j.counters, j.Status), Counters: j.counters.proto(), Message: j.Message,
		CreateTime: timestamppb.New(j.CreateTime), StartTime: ts(j.StartTime), EndTime: ts(j.EndTime),
		NextRetryTime: ts(j.NextRetryTime), LaunchedBy: j.LaunchedBy,
	}
	if j.Verification != "" {
		v := &orchestratorv1.Verification{}
		if protojson.Unmarshal([]byte(j.Verification), v) == nil {
			out.Verification = v
		}
	}
	return out
}

func (s *stepRow) proto() *orchestratorv1.Step {
	return &orchestratorv1.Step{
		Id: s.ID, Position: int32(s.Position), Name: s.Name, Resource: strings.Join(s.Resources, ","),
		Status: s.Status.proto(), Counters: s.counters.proto(), Progress: progress(s.counters, s.Status),
		Message: s.Message, Kind: s.kind(),
	}
}

func tsOf(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }
