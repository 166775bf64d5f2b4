package ui

import (
	"net/http"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

type jobData struct {
	Job           *orchestratorv1.Job
	Logs          []*orchestratorv1.LogLine
	LastSequence  int64
	InstanceNames map[string]string
}

func (s *Server) jobShow(w http.ResponseWriter, r *http.Request) {
	gw, id := s.client(r), r.PathValue("id")
	job, err := gw.GetJob(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := jobData{Job: job, InstanceNames: map[string]string{}}
	p := s.newPage(r, "Job", "jobs", nil)
	d.Logs, err = gw.JobLogs(r.Context(), id, apiclient.LogQuery{MinLevel: orchestratorv1.LogLevel_LOG_LEVEL_DEBUG, Limit: 1000})
	if err != nil {
		_, p.Alert = describe(p.Lang, err)
	}
	if n := len(d.Logs); n > 0 {
		d.LastSequence = d.Logs[n-1].GetSequence()
	}
	if instances, err := gw.ListInstances(r.Context()); err == nil {
		for _, in := range instances {
			d.InstanceNames[in.GetId()] = in.GetName()
		}
	}
	p.Data = d
	s.render(w, r, "job", p)
}

func (s *Server) jobCancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.client(r).CancelJob(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/jobs/"+id)
}

func (s *Server) jobRetry(w http.ResponseWriter, r *http.Request) {
	job, err := s.client(r).RetryJob(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/jobs/"+job.GetId())
}
