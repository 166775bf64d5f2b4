package gatewaytest

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/config"
)

func (s *Server) listConfigs(w http.ResponseWriter, _ *http.Request, _ *authv1.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, &configv1.ListConfigsResponse{Configs: byName(s.configs)})
}

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := lookup(w, s.configs, r.PathValue("id"), "configuration"); ok {
		writeJSON(w, c)
	}
}

// checkConfig validates like the config service does and applies its defaults. Field paths mix
// lowerCamel and snake_case on purpose: the dashboard must accept both.
func (s *Server) checkConfig(c *configv1.Config) []violation {
	var v []violation
	if strings.TrimSpace(c.GetName()) == "" {
		v = append(v, violation{"config.name", "A name is required."})
	}
	if _, ok := s.instances[c.GetSourceInstanceId()]; !ok {
		v = append(v, violation{"sourceInstanceId", "Choose a registered source instance."})
	}
	if len(c.GetDestinationInstanceIds()) == 0 {
		v = append(v, violation{"destination_instance_ids", "Choose at least one destination."})
	}
	for _, d := range c.GetDestinationInstanceIds() {
		if d == c.GetSourceInstanceId() {
			v = append(v, violation{"destinationInstanceIds", "The source cannot also be a destination."})
			break
		}
	}
	if c.GetSyncType() == configv1.SyncType_SYNC_TYPE_UNSPECIFIED {
		v = append(v, violation{"syncType", "Choose what to synchronise."})
	}
	if c.GetExecutionMode() == configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED {
		if _, err := cron.ParseStandard(c.GetSchedule().GetCron()); err != nil {
			v = append(v, violation{"config.schedule.cron", "Not a valid five-field cron expression: " + err.Error()})
		}
	}
	if tz := c.GetSchedule().GetTimeZone(); tz != "" {
		if _, err := time.LoadLocation(tz); err != nil {
			v = append(v, violation{"schedule.timeZone", "Unknown time zone."})
		}
	}
	for field, d := range map[string]string{"filters.startDate": c.GetFilters().GetStartDate(), "filters.endDate": c.GetFilters().GetEndDate()} {
		if d == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			v = append(v, violation{field, "Use the format YYYY-MM-DD."})
		}
	}
	slices.SortFunc(v, func(a, b violation) int { return strings.Compare(a.Field, b.Field) })
	// The config service's own defaults, so the dashboard shows what the real gateway would answer.
	d := config.WithDefaults(c)
	proto.Reset(c)
	proto.Merge(c, d)
	return v
}

// readValidConfig reads a configuration and validates it like the config service; false when it has answered.
func (s *Server) readValidConfig(w http.ResponseWriter, r *http.Request) (*configv1.Config, bool) {
	c := &configv1.Config{}
	if !readBody(w, r, c) {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := s.checkConfig(c); len(v) > 0 {
		writeInvalid(w, v)
		return nil, false
	}
	return c, true
}

func (s *Server) createConfig(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	c, ok := s.readValidConfig(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Id = s.newID("cfg")
	c.CreateTime, c.UpdateTime = timestamppb.Now(), timestamppb.Now()
	s.configs[c.Id] = c
	writeJSON(w, c)
}

func (s *Server) validateConfig(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	if c, ok := s.readValidConfig(w, r); ok {
		writeJSON(w, &configv1.ValidateConfigResponse{Config: c})
	}
}

func (s *Server) updateConfig(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	c := &configv1.Config{}
	if !readBody(w, r, c) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := lookup(w, s.configs, r.PathValue("id"), "configuration")
	if !ok {
		return
	}
	if v := s.checkConfig(c); len(v) > 0 {
		writeInvalid(w, v)
		return
	}
	c.Id, c.CreateTime, c.UpdateTime = cur.Id, cur.CreateTime, timestamppb.Now()
	s.configs[c.Id] = c
	writeJSON(w, c)
}

func (s *Server) deleteConfig(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if _, ok := lookup(w, s.configs, id, "configuration"); !ok {
		return
	}
	delete(s.configs, id)
	writeJSON(w, &configv1.DeleteConfigResponse{})
}
