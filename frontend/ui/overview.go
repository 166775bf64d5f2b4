package ui

import (
	"net/http"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

type overviewData struct {
	Instances       []*instancev1.Instance
	Connected       int
	ActiveConfigs   int
	RunningJobs     int64
	JobsLastDay     int64
	RecentJobs      []*orchestratorv1.Job
	Planned         []plannedRun
	Activity        activityChart
	InstanceNames   map[string]string
	PartialFailures []string
}

// plannedRun is a configuration in scheduled or automatic mode and when it runs next.
type plannedRun struct {
	Config  *configv1.Config
	Next    *timestamppb.Timestamp
	Problem string
	// State is what the orchestrator's watcher or scheduler reports (nil before it has looked at the
	// configuration, or when the orchestrator does not answer).
	State *orchestratorv1.AutomationState
}

// activityChart is the Chart.js data of job activity by type over the last seven days.
type activityChart struct {
	Labels   []string       `json:"labels"`
	Datasets []chartDataset `json:"datasets"`
}

type chartDataset struct {
	Label string `json:"label"`
	Data  []int  `json:"data"`
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	ctx, gw, ri := r.Context(), s.client(r), info(r)
	now := time.Now()
	var (
		wg                           sync.WaitGroup
		instances                    []*instancev1.Instance
		configs                      []*configv1.Config
		running, lastDay, recent, wk *orchestratorv1.ListJobsResponse
		errs                         [6]error
		states                       []*orchestratorv1.AutomationState
	)
	// The automation state completes the planned runs; without it they are computed here.
	wg.Go(func() { states, _ = gw.ListAutomationStates(ctx) })
	wg.Go(func() { instances, errs[0] = gw.ListInstances(ctx) })
	wg.Go(func() { configs, errs[1] = gw.ListConfigs(ctx) })
	wg.Go(func() {
		running, errs[2] = gw.ListJobs(ctx, apiclient.JobFilter{Statuses: []orchestratorv1.JobStatus{orchestratorv1.JobStatus_JOB_STATUS_RUNNING}, PageSize: 1})
	})
	wg.Go(func() {
		lastDay, errs[3] = gw.ListJobs(ctx, apiclient.JobFilter{CreatedAfter: now.Add(-24 * time.Hour), PageSize: 1})
	})
	wg.Go(func() { recent, errs[4] = gw.ListJobs(ctx, apiclient.JobFilter{PageSize: 8}) })
	weekStart := startOfDay(now.In(ri.loc)).AddDate(0, 0, -6)
	wg.Go(func() { wk, errs[5] = gw.ListJobs(ctx, apiclient.JobFilter{CreatedAfter: weekStart, PageSize: 500}) })
	wg.Wait()

	p := s.newPage(r, "Overview", "overview", nil)
	d := overviewData{Instances: instances, InstanceNames: map[string]string{}}
	for _, err := range errs {
		if err == nil {
			continue
		}
		if apiclient.IsUnauthenticated(err) {
			s.fail(w, r, err)
			return
		}
		if _, msg := describe(p.Lang, err); p.Alert == "" {
			p.Alert = msg
		}
	}
	for _, in := range instances {
		d.InstanceNames[in.GetId()] = in.GetName()
		if in.GetConnectionStatus() == instancev1.ConnectionStatus_CONNECTION_STATUS_OK {
			d.Connected++
		}
	}
	stateOf := map[string]*orchestratorv1.AutomationState{}
	for _, st := range states {
		stateOf[st.GetConfigId()] = st
	}
	for _, c := range configs {
		if c.GetActive() {
			d.ActiveConfigs++
		}
		d.Planned = appendPlanned(d.Planned, c, stateOf[c.GetId()], now)
	}
	d.RunningJobs, d.JobsLastDay = running.GetTotal(), lastDay.GetTotal()
	d.RecentJobs = recent.GetJobs()
	d.Activity = activity(wk.GetJobs(), weekStart, ri.loc, p.Lang)
	p.Data = d
	s.render(w, r, "overview", p)
}

// appendPlanned adds a scheduled or automatic configuration with its next run: the orchestrator's when it
// reports one (the next cron run, or the next check of the source), else computed from the cron expression.
func appendPlanned(out []plannedRun, c *configv1.Config, st *orchestratorv1.AutomationState, now time.Time) []plannedRun {
	pr := plannedRun{Config: c, State: st}
	switch c.GetExecutionMode() {
	case configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED:
		if st.GetNextRunTime() != nil && c.GetActive() {
			pr.Next = st.GetNextRunTime()
		} else if next, err := nextRun(c, now); err != nil {
			pr.Problem = err.Error()
		} else if c.GetActive() {
			pr.Next = timestamppb.New(next)
		}
	case configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC:
		if c.GetActive() && st.GetPhase() != orchestratorv1.AutomationPhase_AUTOMATION_PHASE_DISABLED {
			pr.Next = st.GetNextCheckTime()
		}
	default:
		return out
	}
	return append(out, pr)
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

// chartTypes are the job types shown in the activity chart, in stacking order.
var chartTypes = []orchestratorv1.JobType{
	orchestratorv1.JobType_JOB_TYPE_COMPLETE, orchestratorv1.JobType_JOB_TYPE_METADATA, orchestratorv1.JobType_JOB_TYPE_DATA,
	orchestratorv1.JobType_JOB_TYPE_AGGREGATE, orchestratorv1.JobType_JOB_TYPE_EVENTS, orchestratorv1.JobType_JOB_TYPE_TRACKER,
	orchestratorv1.JobType_JOB_TYPE_ALL_DATA,
}

// activity counts jobs per day (in the user's time zone) and type, over the seven days from start.
func activity(jobs []*orchestratorv1.Job, start time.Time, loc *time.Location, lang string) activityChart {
	ch := activityChart{}
	layout := "01-02"
	if lang == "fr" {
		layout = "02/01"
	}
	for i := range 7 {
		ch.Labels = append(ch.Labels, start.AddDate(0, 0, i).Format(layout))
	}
	counts := map[orchestratorv1.JobType][]int{}
	for _, j := range jobs {
		day := startOfDay(j.GetCreateTime().AsTime().In(loc))
		i := int(day.Sub(start).Hours()+12) / 24 // +12 h absorbs daylight-saving shifts
		if i < 0 || i > 6 {
			continue
		}
		if counts[j.GetType()] == nil {
			counts[j.GetType()] = make([]int, 7)
		}
		counts[j.GetType()][i]++
	}
	for _, t := range chartTypes {
		if c, ok := counts[t]; ok {
			ch.Datasets = append(ch.Datasets, chartDataset{Label: translate(lang, jobTypeLabels[t]), Data: c})
		}
	}
	return ch
}
