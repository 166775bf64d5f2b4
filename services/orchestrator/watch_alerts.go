package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"google.golang.org/protobuf/encoding/protojson"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/alert"
)

// Alerts follow the public event subjects: a top-level job's final state on dhis2sync.event.job.<id> and an
// instance's health on dhis2sync.event.instance.<id>. Each alert is claimed in alerts_sent first, so that
// orchestrator replicas and repeated events send it once.

const (
	jobEventsWildcard      = "dhis2sync.event.job.*"
	instanceEventsWildcard = "dhis2sync.event.instance.*"
)

// instanceEvent is the registry's health event (instanceregistry.InstanceEvent).
type instanceEvent struct {
	InstanceID string `json:"instanceId"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Message    string `json:"message"`
}

func (s *Service) subscribeAlerts(ctx context.Context) error {
	ch := make(chan *nats.Msg, 4096)
	jobs, err := s.deps.NATS.ChanSubscribe(jobEventsWildcard, ch)
	if err != nil {
		return fmt.Errorf("subscribe to job events for alerts: %w", err)
	}
	insts, err := s.deps.NATS.ChanSubscribe(instanceEventsWildcard, ch)
	if err != nil {
		_ = jobs.Unsubscribe()
		return fmt.Errorf("subscribe to instance events for alerts: %w", err)
	}
	s.goBackground(func() {
		defer func() { _ = jobs.Unsubscribe(); _ = insts.Unsubscribe() }()
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-ch:
				if strings.HasPrefix(m.Subject, "dhis2sync.event.instance.") {
					s.instanceAlert(ctx, m.Data)
				} else {
					s.jobAlert(ctx, m.Data)
				}
			}
		}
	})
	return nil
}

// jobAlert alerts on a top-level job's failure, permanent failure, failed verification and (opt-in) warnings.
func (s *Service) jobAlert(ctx context.Context, data []byte) {
	// Progress and log events are the majority: skip them before decoding the whole job.
	if !strings.Contains(string(data[:min(len(data), 64)]), `"state"`) {
		return
	}
	ev := &orchestratorv1.WatchJobResponse{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(data, ev); err != nil || ev.GetKind() != eventState {
		return
	}
	j := ev.GetJob()
	if j == nil || j.GetParentJobId() != "" {
		return
	}
	var kind alert.Kind
	var subject, text string
	name := j.GetConfigName()
	switch j.GetStatus() {
	case orchestratorv1.JobStatus_JOB_STATUS_FAILED, orchestratorv1.JobStatus_JOB_STATUS_RETRYING:
		kind, subject = alert.JobFailed, "job failed: "+name
		text = "The job failed: " + j.GetMessage()
	case orchestratorv1.JobStatus_JOB_STATUS_FAILED_PERMANENTLY:
		kind, subject = alert.JobFailedPermanently, "job failed permanently: "+name
		text = "The job failed and no automatic retry is left: " + j.GetMessage()
	case orchestratorv1.JobStatus_JOB_STATUS_COMPLETED_WITH_WARNINGS:
		if v := j.GetVerification(); v != nil && !v.GetPassed() {
			kind, subject = alert.VerificationFailed, "verification failed: "+name
			text = "The job completed but the destination differs from the source: " + j.GetMessage()
		} else {
			kind, subject = alert.JobWarnings, "job completed with warnings: "+name
			text = "The job completed with warnings: " + j.GetMessage()
		}
	default:
		return
	}
	cfg := s.alertConfig(ctx, j.GetConfigId())
	global := true
	if kind == alert.JobWarnings && !s.deps.Alerts.Settings.OnWarnings {
		if !cfg.GetAlerts().GetOnWarnings() {
			return
		}
		global = false // only the configuration asked for warnings
	}
	a := alert.Alert{Kind: kind, Subject: subject, Text: text, ConfigID: j.GetConfigId(), ConfigName: name, JobID: j.GetId()}
	if u := s.deps.Alerts.Settings.DashboardURL; u != "" {
		a.Link = u + "/jobs/" + j.GetId()
	}
	s.alertOnceTo(ctx, "job:"+j.GetId()+":"+string(kind), a, recipientsOf(cfg), global)
}

// instanceAlert alerts when an instance becomes unreachable and when it is back.
func (s *Service) instanceAlert(ctx context.Context, data []byte) {
	var ev instanceEvent
	if err := json.Unmarshal(data, &ev); err != nil || ev.InstanceID == "" {
		return
	}
	state := "DOWN"
	if ev.Status == "CONNECTION_STATUS_OK" {
		state = "OK"
	}
	prev, err := s.swapInstanceHealth(ctx, ev.InstanceID, state)
	if err != nil || prev == state || (prev == "" && state == "OK") {
		return
	}
	a := alert.Alert{InstanceID: ev.InstanceID}
	if state == "DOWN" {
		a.Kind, a.Subject = alert.InstanceUnreachable, "DHIS2 instance unreachable: "+ev.Name
		a.Text = fmt.Sprintf("The connection test of %s failed (%s): %s. Jobs reading from or writing to it will fail until it is back.",
			ev.Name, strings.TrimPrefix(ev.Status, "CONNECTION_STATUS_"), ev.Message)
	} else {
		a.Kind, a.Subject = alert.InstanceBack, "DHIS2 instance reachable again: "+ev.Name
		a.Text = fmt.Sprintf("The connection test of %s succeeds again.", ev.Name)
	}
	// The configurations reading from or writing to the instance add their recipients.
	var extra alert.Recipients
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	resp, err := s.deps.Config.ListConfigs(cctx, &configv1.ListConfigsRequest{InstanceId: ev.InstanceID})
	cancel()
	if err == nil {
		for _, c := range resp.GetConfigs() {
			r := recipientsOf(c)
			extra.Emails, extra.Webhooks = append(extra.Emails, r.Emails...), append(extra.Webhooks, r.Webhooks...)
		}
	}
	s.alertOnceTo(ctx, fmt.Sprintf("instance:%s:%s:%d", ev.InstanceID, state, time.Now().UnixNano()), a, extra, true)
}

func (s *Service) alertConfig(ctx context.Context, id string) *configv1.Config {
	if id == "" {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	resp, err := s.deps.Config.GetConfig(cctx, &configv1.GetConfigRequest{Id: id})
	if err != nil {
		return nil // the global recipients still hear of it
	}
	return resp.GetConfig()
}

func recipientsOf(cfg *configv1.Config) alert.Recipients {
	return alert.Recipients{Emails: cfg.GetAlerts().GetEmails(), Webhooks: cfg.GetAlerts().GetWebhookUrls()}
}

// alertOnce sends a to the global recipients and the configuration's, once per key.
func (s *Service) alertOnce(ctx context.Context, key string, a alert.Alert, cfg *configv1.Config) {
	s.alertOnceTo(ctx, key, a, recipientsOf(cfg), true)
}

// alertOnceTo claims key and sends a in the background to extra, plus the global recipients when global.
func (s *Service) alertOnceTo(ctx context.Context, key string, a alert.Alert, extra alert.Recipients, global bool) {
	if s.deps.Alerts == nil {
		return
	}
	sender := s.deps.Alerts
	if !global {
		cp := *sender
		cp.Settings.Recipients = alert.Recipients{}
		sender = &cp
	}
	if !sender.Enabled(extra) {
		return
	}
	if ok, err := s.claimAlert(ctx, key); err != nil || !ok {
		return
	}
	s.goBackground(func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		defer cancel()
		sender.Send(sctx, a, extra) // the sender logs each delivery
	})
}
