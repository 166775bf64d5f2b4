package extractor

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// Probe limits: a probe only needs to know that something changed and roughly how much, so the counted pages
// stay small whatever happened at the source.
const (
	probeDataValueLimit = 1000
	probeTrackerLimit   = 100
)

// probeDeletedResource names metadata deletions in a probe's answer.
const probeDeletedResource = resource.DeletedObjects

// Prober serves ChangeProbeService: the orchestrator's watcher asks it whether a source changed.
type Prober struct {
	extractorv1.UnimplementedChangeProbeServiceServer
	Clients *Clients
}

// ProbeChanges counts what changed at the source since req.since, for what the configuration copies.
func (p *Prober) ProbeChanges(ctx context.Context, req *extractorv1.ProbeChangesRequest) (*extractorv1.ProbeChangesResponse, error) {
	if req.GetSourceInstanceId() == "" {
		return nil, status.Error(codes.InvalidArgument, "source_instance_id is required")
	}
	cfg := &configv1.Config{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal([]byte(req.GetConfigJson()), cfg); err != nil {
		return nil, status.Error(codes.InvalidArgument, "config_json is not a dhis2sync.config.v1.Config in protojson: "+err.Error())
	}
	client, err := p.Clients.Get(ctx, req.GetSourceInstanceId())
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	pr := &probe{client: &countingClient{Client: client}, cfg: cfg, since: req.GetSince(), only: req.GetResources()}
	if err := pr.run(ctx); err != nil {
		return nil, status.Error(codes.Unavailable, "source: "+err.Error())
	}
	return &extractorv1.ProbeChangesResponse{ServerDate: pr.serverDate, Changes: pr.changes, Requests: int32(pr.client.requests),
		SourceVersion: pr.version}, nil
}

type probe struct {
	client     *countingClient
	cfg        *configv1.Config
	since      string
	only       []string
	serverDate string
	version    string
	changes    []*extractorv1.ResourceChange
}

// countingClient counts the requests a probe makes, for its cost report.
type countingClient struct {
	*dhis2.Client
	requests int
}

func (p *probe) wants(resource string) bool {
	return len(p.only) == 0 || slices.Contains(p.only, resource)
}

func (p *probe) add(resource string, n int, atLeast bool, detail string) {
	if n > 0 {
		p.changes = append(p.changes, &extractorv1.ResourceChange{Resource: resource, Changed: int64(n), AtLeast: atLeast, Detail: detail})
	}
}

func (p *probe) run(ctx context.Context) error {
	info, err := p.client.SystemInfo(ctx)
	p.client.requests++
	if err != nil {
		return err
	}
	p.serverDate, p.version = serverDate(info), info.Version.String()
	if p.since == "" {
		return nil // first probe: only the clock is read
	}
	caps := dhis2.CapabilitiesFor(info.Version)
	st := p.cfg.GetSyncType()
	has := func(types ...configv1.SyncType) bool { return slices.Contains(types, st) }
	if has(configv1.SyncType_SYNC_TYPE_METADATA, configv1.SyncType_SYNC_TYPE_BOTH, configv1.SyncType_SYNC_TYPE_COMPLETE) {
		if err := p.metadata(ctx, caps); err != nil {
			return err
		}
	}
	if has(configv1.SyncType_SYNC_TYPE_DATA, configv1.SyncType_SYNC_TYPE_BOTH, configv1.SyncType_SYNC_TYPE_ALL_DATA, configv1.SyncType_SYNC_TYPE_COMPLETE) &&
		p.wants(resource.DataValues) {
		if err := p.dataValues(ctx); err != nil {
			return err
		}
	}
	events := has(configv1.SyncType_SYNC_TYPE_EVENTS, configv1.SyncType_SYNC_TYPE_ALL_DATA, configv1.SyncType_SYNC_TYPE_COMPLETE) && p.wants(resource.Events)
	tracker := has(configv1.SyncType_SYNC_TYPE_TRACKER, configv1.SyncType_SYNC_TYPE_ALL_DATA, configv1.SyncType_SYNC_TYPE_COMPLETE) && p.wants(resource.TrackedEntities)
	if events || tracker {
		return p.tracker(ctx, events, tracker)
	}
	return nil
}

// metadata counts changed objects per type of the configuration's families, and deleted ones when the
// configuration propagates deletions.
func (p *probe) metadata(ctx context.Context, caps dhis2.Capabilities) error {
	var families []string
	for _, f := range p.cfg.GetMetadataFamilies() {
		families = append(families, f.String())
	}
	groups, err := metadataplan.Plan(families)
	if err != nil {
		return err
	}
	var klass []string
	classOf := map[string]string{}
	for _, t := range metadataplan.Order() {
		classOf[t.Resource] = t.Class
	}
	for _, g := range groups {
		for _, r := range g.Resources {
			if !caps.ResourceExists(r) {
				continue
			}
			klass = append(klass, classOf[r])
			if !p.wants(r) {
				continue
			}
			n, err := p.client.ChangedObjects(ctx, r, p.since)
			p.client.requests++
			if err != nil {
				return fmt.Errorf("%s changed since %s: %w", r, p.since, err)
			}
			p.add(r, n, false, "")
		}
	}
	if !p.cfg.GetDeletion().GetPropagate() || !p.wants(probeDeletedResource) || len(klass) == 0 {
		return nil
	}
	n, err := p.client.DeletedSince(ctx, klass, p.since)
	p.client.requests++
	if err != nil {
		return fmt.Errorf("deleted objects since %s: %w", p.since, err)
	}
	p.add(probeDeletedResource, n, false, "")
	return nil
}

// dataValues counts changed values (deletions included) per data set of the configuration, or of the source.
func (p *probe) dataValues(ctx context.Context) error {
	dataSets := p.cfg.GetFilters().GetDataSetIds()
	if len(dataSets) == 0 {
		var err error
		if dataSets, err = p.uids(ctx, "dataSets", nil); err != nil {
			return err
		}
	}
	roots := p.cfg.GetFilters().GetOrgUnitIds()
	if len(roots) == 0 {
		var err error
		if roots, err = p.uids(ctx, "organisationUnits", []string{"level:eq:1"}); err != nil {
			return err
		}
	}
	if len(dataSets) == 0 || len(roots) == 0 {
		return nil
	}
	total, sets, atLeast := 0, 0, false
	for _, ds := range dataSets {
		n, capped, err := p.client.ChangedDataValues(ctx, dhis2.DataValueQuery{DataSets: []string{ds}, OrgUnits: roots, Children: true,
			LastUpdated: p.since}, probeDataValueLimit)
		p.client.requests++
		if err != nil {
			return fmt.Errorf("data values of data set %s changed since %s: %w", ds, p.since, err)
		}
		if n > 0 {
			total, sets = total+n, sets+1
			atLeast = atLeast || capped
		}
	}
	detail := fmt.Sprintf("in %d data sets", sets)
	if sets == 1 {
		detail = "in 1 data set"
	}
	p.add(resource.DataValues, total, atLeast, detail)
	return nil
}

// tracker counts changed events of event programs and changed tracked entities of tracker programs (a tracked
// entity's updatedAt moves with its enrollments and events).
func (p *probe) tracker(ctx context.Context, events, tracker bool) error {
	wanted := p.cfg.GetFilters().GetProgramIds()
	var eventPrograms, trackerPrograms []string
	p.client.requests++
	for raw, err := range p.client.ListObjects(ctx, "programs", dhis2.ListQuery{Fields: "id,programType", PageSize: 1000}) {
		if err != nil {
			return fmt.Errorf("programs: %w", err)
		}
		var prg struct {
			ID          string `json:"id"`
			ProgramType string `json:"programType"`
		}
		if err := json.Unmarshal(raw, &prg); err != nil {
			return fmt.Errorf("programs: a program is not JSON: %w", err)
		}
		if len(wanted) > 0 && !slices.Contains(wanted, prg.ID) {
			continue
		}
		if prg.ProgramType == "WITH_REGISTRATION" {
			trackerPrograms = append(trackerPrograms, prg.ID)
		} else {
			eventPrograms = append(eventPrograms, prg.ID)
		}
	}
	orgUnits := p.cfg.GetFilters().GetOrgUnitIds()
	count := func(kind dhis2.TrackerKind, programs []string) (int, int, bool, error) {
		total, with, atLeast := 0, 0, false
		for _, prg := range programs {
			n, capped, err := p.client.ChangedTracker(ctx, kind, programQuery(prg, orgUnits, p.since), probeTrackerLimit)
			p.client.requests++
			if err != nil {
				return 0, 0, false, fmt.Errorf("%s of program %s changed since %s: %w", kind, prg, p.since, err)
			}
			if n > 0 {
				total, with = total+n, with+1
				atLeast = atLeast || capped
			}
		}
		return total, with, atLeast, nil
	}
	if events {
		n, with, atLeast, err := count(dhis2.Events, eventPrograms)
		if err != nil {
			return err
		}
		p.add(resource.Events, n, atLeast, programsDetail(with))
	}
	if tracker {
		n, with, atLeast, err := count(dhis2.TrackedEntities, trackerPrograms)
		if err != nil {
			return err
		}
		p.add(resource.TrackedEntities, n, atLeast, programsDetail(with))
	}
	return nil
}

func programsDetail(n int) string {
	if n == 1 {
		return "in 1 program"
	}
	return fmt.Sprintf("in %d programs", n)
}

func (p *probe) uids(ctx context.Context, plural string, filters []string) ([]string, error) {
	p.client.requests++
	ids, err := p.client.ListIDs(ctx, plural, filters...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", plural, err)
	}
	return ids, nil
}
