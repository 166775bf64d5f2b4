package ui

import (
	"net/http"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// jobTypesOf lists the job types a sync type runs, which a launch may narrow.
func jobTypesOf(t configv1.SyncType) []orchestratorv1.JobType {
	switch t {
	case configv1.SyncType_SYNC_TYPE_METADATA:
		return []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_METADATA}
	case configv1.SyncType_SYNC_TYPE_DATA:
		return []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_AGGREGATE}
	case configv1.SyncType_SYNC_TYPE_EVENTS:
		return []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_EVENTS}
	case configv1.SyncType_SYNC_TYPE_TRACKER:
		return []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_TRACKER}
	case configv1.SyncType_SYNC_TYPE_BOTH:
		return []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_METADATA, orchestratorv1.JobType_JOB_TYPE_AGGREGATE}
	case configv1.SyncType_SYNC_TYPE_ALL_DATA:
		return []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_AGGREGATE, orchestratorv1.JobType_JOB_TYPE_EVENTS, orchestratorv1.JobType_JOB_TYPE_TRACKER}
	case configv1.SyncType_SYNC_TYPE_COMPLETE:
		return []orchestratorv1.JobType{orchestratorv1.JobType_JOB_TYPE_METADATA, orchestratorv1.JobType_JOB_TYPE_AGGREGATE,
			orchestratorv1.JobType_JOB_TYPE_EVENTS, orchestratorv1.JobType_JOB_TYPE_TRACKER}
	}
	return nil
}

type launchData struct {
	Config   *configv1.Config
	Types    []orchestratorv1.JobType
	Families []configv1.MetadataFamily
	// WithMetadata says whether the sync type copies metadata, so families can be chosen.
	WithMetadata bool
}

func newLaunchData(c *configv1.Config) launchData {
	d := launchData{Config: c, Types: jobTypesOf(c.GetSyncType())}
	for _, t := range d.Types {
		if t == orchestratorv1.JobType_JOB_TYPE_METADATA {
			d.WithMetadata = true
		}
	}
	if d.WithMetadata {
		d.Families = c.GetMetadataFamilies()
		if len(d.Families) == 0 {
			d.Families = enumValues[configv1.MetadataFamily](configv1.MetadataFamily_name)
		}
	}
	return d
}

func (s *Server) launchForm(w http.ResponseWriter, r *http.Request) {
	c, err := s.client(r).GetConfig(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "launch", s.newPage(r, "Launch a synchronisation", "configs", newLaunchData(c)))
}

// launch starts the job with the chosen families and types and lands on the job page.
func (s *Server) launch(w http.ResponseWriter, r *http.Request) {
	gw := s.client(r)
	c, err := gw.GetConfig(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := newLaunchData(c)
	req := &orchestratorv1.LaunchConfigRequest{ConfigId: c.GetId(), DryRun: r.PostFormValue("dry_run") == "on"}
	if d.WithMetadata {
		chosen := r.PostForm["metadata_families"]
		// Every family checked is the configuration's own choice: send nothing rather than a copy.
		if len(chosen) < len(d.Families) {
			for _, name := range chosen {
				if v, ok := configv1.MetadataFamily_value[name]; ok && v != 0 {
					req.MetadataFamilies = append(req.MetadataFamilies, name)
				}
			}
		}
	}
	if len(d.Types) > 1 {
		chosen := r.PostForm["types"]
		if len(chosen) < len(d.Types) {
			for _, name := range chosen {
				if v, ok := orchestratorv1.JobType_value[name]; ok && v != 0 {
					req.Types = append(req.Types, orchestratorv1.JobType(v))
				}
			}
		}
	}
	if (d.WithMetadata && len(r.PostForm["metadata_families"]) == 0) || (len(d.Types) > 1 && len(r.PostForm["types"]) == 0) {
		p := s.newPage(r, "Launch a synchronisation", "configs", d)
		p.Status = http.StatusUnprocessableEntity
		p.Alert = translate(p.Lang, "Choose at least one metadata family and one data type.")
		s.render(w, r, "launch", p)
		return
	}
	job, err := gw.LaunchConfig(r.Context(), req)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	redirect(w, r, "/jobs/"+job.GetId())
}
