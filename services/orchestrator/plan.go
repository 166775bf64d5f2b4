package orchestrator

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// subJobKinds are the sub-jobs of each sync type, in the order they run: metadata first (critical), then
// tracker, events and aggregate data (docs/architecture.md).
var subJobKinds = map[configv1.SyncType][]string{
	configv1.SyncType_SYNC_TYPE_METADATA: {kindMetadata},
	configv1.SyncType_SYNC_TYPE_DATA:     {kindAggregate},
	configv1.SyncType_SYNC_TYPE_EVENTS:   {kindEvents},
	configv1.SyncType_SYNC_TYPE_TRACKER:  {kindTracker},
	configv1.SyncType_SYNC_TYPE_BOTH:     {kindMetadata, kindAggregate},
	configv1.SyncType_SYNC_TYPE_ALL_DATA: {kindTracker, kindEvents, kindAggregate},
	configv1.SyncType_SYNC_TYPE_COMPLETE: {kindMetadata, kindTracker, kindEvents, kindAggregate},
}

// jobTypeKinds are the sub-jobs each job type stands for; the first type covering a set of sub-jobs names a
// job made of them.
var jobTypeKinds = []struct {
	typ   orchestratorv1.JobType
	kinds []string
}{
	{orchestratorv1.JobType_JOB_TYPE_METADATA, []string{kindMetadata}},
	{orchestratorv1.JobType_JOB_TYPE_AGGREGATE, []string{kindAggregate}},
	{orchestratorv1.JobType_JOB_TYPE_EVENTS, []string{kindEvents}},
	{orchestratorv1.JobType_JOB_TYPE_TRACKER, []string{kindTracker}},
	{orchestratorv1.JobType_JOB_TYPE_DATA, []string{kindMetadata, kindAggregate}},
	{orchestratorv1.JobType_JOB_TYPE_ALL_DATA, []string{kindTracker, kindEvents, kindAggregate}},
	{orchestratorv1.JobType_JOB_TYPE_COMPLETE, []string{kindMetadata, kindTracker, kindEvents, kindAggregate}},
}

var kindJobType = map[string]orchestratorv1.JobType{
	kindMetadata: orchestratorv1.JobType_JOB_TYPE_METADATA, kindAggregate: orchestratorv1.JobType_JOB_TYPE_AGGREGATE,
	kindEvents: orchestratorv1.JobType_JOB_TYPE_EVENTS, kindTracker: orchestratorv1.JobType_JOB_TYPE_TRACKER,
}

// dataResources are the single step of each data sub-job until their own planning (chunks) exists.
var dataResources = map[string][]string{
	kindAggregate: {resource.DataValues},
	kindEvents:    {resource.Events},
	kindTracker:   resource.Tracker,
}

// launch is what a new job is made from.
type launch struct {
	cfg        *configv1.Config
	dryRun     bool
	families   []string
	types      []orchestratorv1.JobType
	trigger    string
	launchedBy string
	retryOf    *jobRow
	// note is logged first, before the launch line (automatic mode: what was detected at the source).
	note string
}

// jobTree is a new top-level job with its sub-jobs and their steps, ready to insert.
type jobTree struct {
	root  *jobRow
	subs  []*jobRow
	steps []*stepRow
}

// planJob turns a configuration and launch options into a job tree.
func planJob(l launch) (*jobTree, error) {
	cfg := l.cfg
	kinds, ok := subJobKinds[cfg.GetSyncType()]
	if !ok {
		return nil, invalidf("configuration %s has no sync type", cfg.GetId())
	}
	kinds, err := narrowKinds(kinds, l.types)
	if err != nil {
		return nil, err
	}
	families := l.families
	if len(families) == 0 {
		for _, f := range cfg.GetMetadataFamilies() {
			families = append(families, f.String())
		}
	}
	cfgJSON, err := protojson.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	root := &jobRow{
		ID: uuid.Must(uuid.NewV7()).String(), Attempt: 1, ConfigID: cfg.GetId(), ConfigName: cfg.GetName(),
		ConfigJSON: string(cfgJSON), Type: jobTypeName(typeFor(kinds)), Status: statusPending, Trigger: l.trigger,
		DryRun: l.dryRun, SourceInstanceID: cfg.GetSourceInstanceId(),
		DestinationInstanceIDs: cfg.GetDestinationInstanceIds(), MetadataFamilies: families,
		LaunchedBy: l.launchedBy,
	}
	for _, t := range l.types {
		root.LaunchTypes = append(root.LaunchTypes, jobTypeName(t))
	}
	if l.retryOf != nil {
		root.RetryOfJobID.String, root.RetryOfJobID.Valid = l.retryOf.ID, true
		root.Attempt = l.retryOf.Attempt + 1
	}
	root.RootJobID = root.ID
	tree := &jobTree{root: root}
	for i, kind := range kinds {
		sub := &jobRow{
			ID: uuid.Must(uuid.NewV7()).String(), RootJobID: root.ID, Position: i + 1, Attempt: root.Attempt,
			ConfigID: root.ConfigID, ConfigName: root.ConfigName, Type: jobTypeName(kindJobType[kind]), Kind: kind,
			Status: statusPending, Trigger: root.Trigger, DryRun: root.DryRun, Critical: kind == kindMetadata,
			SourceInstanceID: root.SourceInstanceID, DestinationInstanceIDs: root.DestinationInstanceIDs,
			LaunchedBy: root.LaunchedBy,
		}
		sub.ParentJobID.String, sub.ParentJobID.Valid = root.ID, true
		tree.subs = append(tree.subs, sub)
		steps, err := planSteps(cfg, kind, families)
		if err != nil {
			return nil, err
		}
		for j, st := range steps {
			st.ID, st.JobID, st.RootJobID, st.Position, st.Status = uuid.Must(uuid.NewV7()).String(), sub.ID, root.ID, j+1, statusPending
			tree.steps = append(tree.steps, st)
		}
	}
	return tree, nil
}

// narrowKinds keeps the sub-jobs the launch asks for; asking for one the configuration does not copy is an error.
func narrowKinds(kinds []string, types []orchestratorv1.JobType) ([]string, error) {
	if len(types) == 0 {
		return kinds, nil
	}
	want := map[string]bool{}
	for _, t := range types {
		found := false
		for _, jt := range jobTypeKinds {
			if jt.typ == t {
				for _, k := range jt.kinds {
					want[k] = true
				}
				found = true
			}
		}
		if !found {
			return nil, invalidf("unknown job type %s", t)
		}
	}
	var out []string
	for _, k := range kinds {
		if want[k] {
			out = append(out, k)
			delete(want, k)
		}
	}
	if len(want) > 0 || len(out) == 0 {
		return nil, invalidf("the configuration's sync type does not include the requested job types %v", types)
	}
	return out, nil
}

func typeFor(kinds []string) orchestratorv1.JobType {
	for _, jt := range jobTypeKinds {
		if !slices.ContainsFunc(kinds, func(k string) bool { return !slices.Contains(jt.kinds, k) }) {
			return jt.typ
		}
	}
	return orchestratorv1.JobType_JOB_TYPE_COMPLETE
}

// planSteps lists a sub-job's steps. Metadata runs one step per packed run of consecutive plan groups
// (metadataplan.Steps): each step is dependency-closed and imported as one request, so the sub-job pays DHIS2's
// per-request base cost a few times rather than once per group.
func planSteps(cfg *configv1.Config, kind string, families []string) ([]*stepRow, error) {
	var out []*stepRow
	add := func(name, stepKind string, resources []string, params map[string]string) {
		p, _ := json.Marshal(params)
		out = append(out, &stepRow{Name: name, Kind: stepKind, Resources: resources, Params: p})
	}
	if kind != kindMetadata {
		return planDataSteps(cfg, kind), nil
	}
	groups, err := metadataplan.Steps(families, metadataplan.DefaultStepObjects)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	var all []string
	for _, g := range groups {
		add(g.Name, kindMetadata, g.Resources, g.Params)
		all = append(all, g.Resources...)
	}
	if d := cfg.GetDeletion(); d.GetPropagate() {
		share := d.GetMaxSharePercent()
		if share <= 0 {
			share = 10
		}
		add("deletions", kindDeletions, all, map[string]string{"maxSharePercent": strconv.Itoa(int(share))})
	}
	add("verify", kindVerify, all, nil)
	return out, nil
}

// filterParams passes the configuration's filters to the extractor as query-like parameters.
func filterParams(f *configv1.Filters) map[string]string {
	p := map[string]string{}
	set := func(k string, v []string) {
		if len(v) > 0 {
			p[k] = strings.Join(v, ",")
		}
	}
	set("orgUnits", f.GetOrgUnitIds())
	set("programs", f.GetProgramIds())
	set("dataSets", f.GetDataSetIds())
	set("periods", f.GetPeriods())
	if f.GetStartDate() != "" {
		p["startDate"] = f.GetStartDate()
	}
	if f.GetEndDate() != "" {
		p["endDate"] = f.GetEndDate()
	}
	return p
}

// importParams are the DHIS2 import parameters the loader applies for a step.
func importParams(cfg *configv1.Config, dryRun bool) map[string]string {
	p := map[string]string{
		"importStrategy": strings.TrimPrefix(cfg.GetImportStrategy().String(), "IMPORT_STRATEGY_"),
		"mergeMode":      strings.TrimPrefix(cfg.GetMergeMode().String(), "MERGE_MODE_"),
		"atomicMode":     strings.TrimPrefix(cfg.GetAtomicMode().String(), "ATOMIC_MODE_"),
		"importMode":     "COMMIT",
	}
	defaults := map[string]string{"importStrategy": "CREATE_AND_UPDATE", "mergeMode": "REPLACE", "atomicMode": "ALL"}
	for k, v := range defaults {
		if p[k] == "UNSPECIFIED" {
			p[k] = v
		}
	}
	if dryRun {
		p["importMode"] = "VALIDATE"
		p["dryRun"] = "true"
	}
	if cfg.GetPolicies().GetSharing() == configv1.ReferencePolicy_REFERENCE_POLICY_STRIP {
		p["skipSharing"] = "true"
	}
	return p
}
