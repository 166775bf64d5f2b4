package orchestrator

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/alert"
)

// AutomationServer serves AutomationService: the watcher's and scheduler's state, and test alerts.
type AutomationServer struct {
	orchestratorv1.UnimplementedAutomationServiceServer
	s *Service
}

// Automation returns the AutomationService of the orchestrator.
func (s *Service) Automation() *AutomationServer { return &AutomationServer{s: s} }

// GetAutomationState returns one configuration's state.
func (a *AutomationServer) GetAutomationState(ctx context.Context, req *orchestratorv1.GetAutomationStateRequest) (*orchestratorv1.GetAutomationStateResponse, error) {
	if req.GetConfigId() == "" {
		return nil, status.Error(codes.InvalidArgument, "config_id is required")
	}
	var r autoRow
	err := a.s.st.db.GetContext(ctx, &r, `SELECT `+autoColumns+` FROM automation WHERE config_id = $1`, req.GetConfigId())
	if errors.Is(err, sql.ErrNoRows) {
		return nil, status.Errorf(codes.NotFound, "configuration %s has no automation state: it is not automatic or scheduled and active, or the orchestrator has not looked at it yet (within %s)",
			req.GetConfigId(), a.s.opts.Automation.Tick)
	}
	if err != nil {
		return nil, a.s.toStatus(ctx, req, err)
	}
	st, err := a.s.stateProto(ctx, &r)
	if err != nil {
		return nil, a.s.toStatus(ctx, req, err)
	}
	return &orchestratorv1.GetAutomationStateResponse{State: st}, nil
}

// ListAutomationStates returns every configuration's state.
func (a *AutomationServer) ListAutomationStates(ctx context.Context, req *orchestratorv1.ListAutomationStatesRequest) (*orchestratorv1.ListAutomationStatesResponse, error) {
	rows, err := a.s.listAutoStates(ctx)
	if err != nil {
		return nil, a.s.toStatus(ctx, req, err)
	}
	out := &orchestratorv1.ListAutomationStatesResponse{}
	for _, r := range rows {
		st, err := a.s.stateProto(ctx, r)
		if err != nil {
			return nil, a.s.toStatus(ctx, req, err)
		}
		out.States = append(out.States, st)
	}
	return out, nil
}

func (s *Service) stateProto(ctx context.Context, r *autoRow) (*orchestratorv1.AutomationState, error) {
	now := s.now()
	n := 0
	if r.Mode == modeAutomatic {
		var err error
		if n, _, err = s.launchesSince(ctx, r.ConfigID, now.Add(-time.Hour)); err != nil {
			return nil, err
		}
	}
	return r.proto(now, n), nil
}

// SendTestAlert sends a test alert to the global recipients and, when a configuration is named, to its own.
func (a *AutomationServer) SendTestAlert(ctx context.Context, req *orchestratorv1.SendTestAlertRequest) (*orchestratorv1.SendTestAlertResponse, error) {
	sender := a.s.deps.Alerts
	var extra alert.Recipients
	al := alert.Alert{Kind: alert.Test, Subject: "test alert", Text: "This is a test alert from dhis2sync: alerts reach you."}
	if req.GetConfigId() != "" {
		resp, err := a.s.deps.Config.GetConfig(ctx, &configv1.GetConfigRequest{Id: req.GetConfigId()})
		if err != nil {
			return nil, err
		}
		extra = recipientsOf(resp.GetConfig())
		al.ConfigID, al.ConfigName = resp.GetConfig().GetId(), resp.GetConfig().GetName()
	}
	if sender == nil || !sender.Enabled(extra) {
		return nil, status.Error(codes.FailedPrecondition, "no alert recipient: set DHIS2SYNC_ALERT_EMAILS (with DHIS2SYNC_SMTP_ADDR and DHIS2SYNC_SMTP_FROM) or DHIS2SYNC_ALERT_WEBHOOKS (with DHIS2SYNC_ALERT_WEBHOOK_SECRET) on the orchestrator, or alerts on the configuration")
	}
	out := &orchestratorv1.SendTestAlertResponse{}
	for _, d := range sender.Send(ctx, al, extra) {
		del := &orchestratorv1.AlertDelivery{Channel: d.Channel, Target: d.Target, Ok: d.Err == nil}
		if d.Err != nil {
			del.Error = d.Err.Error()
		}
		out.Deliveries = append(out.Deliveries, del)
	}
	return out, nil
}
