package gatewaytest

import (
	"net/http"

	"google.golang.org/protobuf/proto"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// automationState is what the fake orchestrator reports for a configuration.
type automationState = orchestratorv1.AutomationState

// SetAutomationState records what the orchestrator would report for a configuration.
func (s *Server) SetAutomationState(st *orchestratorv1.AutomationState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.automatic == nil {
		s.automatic = map[string]*automationState{}
	}
	s.automatic[st.GetConfigId()] = proto.CloneOf(st)
}

func (s *Server) listAutomation(w http.ResponseWriter, _ *http.Request, _ *authv1.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &orchestratorv1.ListAutomationStatesResponse{}
	for _, st := range s.automatic {
		out.States = append(out.States, proto.CloneOf(st))
	}
	writeJSON(w, out)
}
