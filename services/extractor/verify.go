package extractor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Difference kinds.
const (
	MissingOnDestination = "MISSING_ON_DESTINATION"
	ExtraOnDestination   = "EXTRA_ON_DESTINATION"
	Changed              = "CHANGED"
	// Skipped marks a source object deliberately not copied (a superuser role or account, see Policies). It is
	// listed with the differences for the administrator to see, but is not one: it neither fails verification
	// nor counts in difference_count.
	Skipped = "SKIPPED"
)

const defaultMaxDifferences = 100

// verifyPageSize is large: verification reads whole collections.
const verifyPageSize = 1000

// VerifyStep compares the source with every destination (see the rpc's documentation in extractor.proto).
func (x *Extractor) VerifyStep(ctx context.Context, req *extractorv1.VerifyStepRequest) (*extractorv1.VerifyStepResponse, error) {
	resp, err := x.verifyStep(ctx, req)
	if err != nil {
		return nil, x.toStatus(ctx, "VerifyStep", req, err)
	}
	return resp, nil
}

func (x *Extractor) verifyStep(ctx context.Context, req *extractorv1.VerifyStepRequest) (*extractorv1.VerifyStepResponse, error) {
	switch req.GetKind() {
	case stepv1.StepKind_STEP_KIND_VERIFY:
	case stepv1.StepKind_STEP_KIND_UNSPECIFIED:
		return nil, classed(ErrUnknownKind, nil, "kind is required: VerifyStep compares a step of kind %s", stepv1.StepKind_STEP_KIND_VERIFY)
	default:
		return nil, classed(ErrUnknownKind, nil, "VerifyStep compares steps of kind %s, not %s", stepv1.StepKind_STEP_KIND_VERIFY, req.GetKind())
	}
	if req.GetSourceInstanceId() == "" || len(req.GetDestinationInstanceIds()) == 0 {
		return nil, invalidf("source_instance_id and destination_instance_ids are required")
	}
	cfg := req.GetConfig()
	resources, err := verifyResources(req.GetResources(), cfg)
	if err != nil {
		return nil, classed(ErrInvalidArgument, err, "%v", err)
	}
	dataValues := dataValueResources(req.GetResources())
	tracked := slices.ContainsFunc(req.GetResources(), func(r string) bool { return r == resource.Events || slices.Contains(resource.Tracker, r) })
	if len(req.GetResources()) > 0 && len(resources) == 0 && len(dataValues) == 0 && !tracked {
		// An empty comparison proves nothing.
		return nil, classed(ErrNotVerifiable, nil, "verification of %s is not available", strings.Join(req.GetResources(), ", "))
	}
	v := &verification{pol: PoliciesOf(cfg), max: int(req.GetMaxDifferences()), log: x.log.With(slog.String("job_id", req.GetJobId()))}
	if v.max <= 0 {
		v.max = defaultMaxDifferences
	}
	src, err := x.clients.Get(ctx, req.GetSourceInstanceId())
	if err != nil {
		return nil, classed(ErrInstance, err, "%v", err)
	}
	srcV, err := src.Version(ctx)
	if err != nil {
		return nil, classed(ErrUnreachable, err, "source: %v", err)
	}
	resp := &extractorv1.VerifyStepResponse{Passed: true}
	for _, destID := range req.GetDestinationInstanceIds() {
		dst, err := x.clients.Get(ctx, destID)
		if err != nil {
			return nil, classed(ErrInstance, err, "%v", err)
		}
		dstV, err := dst.Version(ctx)
		if err != nil {
			return nil, classed(ErrUnreachable, err, "destination %s: %v", destID, err)
		}
		// Each server has its own superusers: both sides leave theirs out, each remembered separately.
		v.src, v.dst = v.pol.forServer(), v.pol.forServer()
		for _, r := range resources {
			if err := v.resource(ctx, resp, r, src, srcV, dst, dstV, destID); err != nil {
				return nil, classed(ErrUnreachable, err, "%v", err)
			}
		}
	}
	if len(dataValues) > 0 {
		if err := x.verifyDataStep(ctx, req, dataValues, v.max, resp); err != nil {
			return nil, err
		}
	}
	if tracked {
		if err := x.verifyTrackerStep(ctx, req, src, v.max, resp); err != nil {
			return nil, err
		}
	}
	resp.Time = timestamppb.Now()
	return resp, nil
}

// dataValueResources is the aggregate data resources among a request's resources.
func dataValueResources(requested []string) []string {
	var out []string
	for _, r := range requested {
		if resource.IsDataValues(r) {
			out = append(out, r)
		}
	}
	return out
}

// verifyDataStep compares the data values of a data step's data sets and adds its checks and differences to
// resp. A data step always reports at least one check per destination: when neither side holds a value in the
// step's window, the check says so (0 and 0) instead of a pass that compared nothing.
func (x *Extractor) verifyDataStep(ctx context.Context, req *extractorv1.VerifyStepRequest, resources []string, limit int, resp *extractorv1.VerifyStepResponse) error {
	dreq := proto.CloneOf(req)
	dreq.Resources, dreq.MaxDifferences = resources, int32(limit)
	data, err := x.VerifyDataValues(ctx, dreq)
	if err != nil {
		return classed(ErrUnreachable, err, "data values: %v", err)
	}
	resp.Passed = resp.Passed && data.GetPassed()
	resp.DifferenceCount += data.GetDifferenceCount()
	room := max(limit-len(resp.GetDifferences()), 0)
	resp.Differences = append(resp.Differences, data.GetDifferences()[:min(room, len(data.GetDifferences()))]...)
	checked := map[string]bool{}
	for _, c := range data.GetResources() {
		checked[c.GetDestinationInstanceId()] = true
	}
	resp.Resources = append(resp.Resources, data.GetResources()...)
	empty := linesHash(nil)
	for _, dest := range req.GetDestinationInstanceIds() {
		if !checked[dest] {
			resp.Resources = append(resp.Resources, &extractorv1.ResourceCheck{Resource: strings.Join(resources, ","),
				DestinationInstanceId: dest, SourceHash: empty, DestinationHash: empty, Equal: true})
		}
	}
	return nil
}

// verifyResources is the request's metadata resources, or every metadata resource of the configuration's plan
// when the request names none.
func verifyResources(requested []string, cfg *configv1.Config) ([]string, error) {
	if len(requested) == 0 {
		var families []string
		for _, f := range cfg.GetMetadataFamilies() {
			families = append(families, f.String())
		}
		groups, err := metadataplan.Plan(families)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			requested = append(requested, g.Resources...)
		}
	}
	var out []string
	for _, r := range requested {
		if resource.IsData(r) {
			continue // data values are compared by verifyDataStep, events and tracker data by verifyTrackerStep
		}
		out = append(out, r)
	}
	return out, nil
}

type verification struct {
	pol      Policies
	src, dst Policies // pol with each server's own memory of superusers
	max      int
	log      *slog.Logger
}

// resource compares one resource between the source and one destination.
func (v *verification) resource(ctx context.Context, resp *extractorv1.VerifyStepResponse, plural string,
	src *dhis2.Client, srcV dhis2.Version, dst *dhis2.Client, dstV dhis2.Version, destID string) error {
	if !dhis2.CapabilitiesFor(srcV).ResourceExists(plural) {
		return nil
	}
	// From 2.38 event charts and reports are views of eventVisualizations (same UIDs): on such a side they are
	// compared through eventVisualizations only, never twice.
	folded := plural == "eventCharts" || plural == "eventReports"
	if folded && dhis2.CapabilitiesFor(srcV).Has(dhis2.FeatureEventVisualizationsOnly) {
		return nil
	}
	// Source objects, transformed to what the destination version holds, grouped by destination collection, in
	// the version-independent form both sides are compared in.
	srcSets := map[string]map[string]digest{}
	var skips []*extractorv1.Difference
	err := readAll(ctx, src, plural, func(obj map[string]any) {
		if why := v.src.SkipReason(plural, obj); why != "" {
			v.skipped(resp, plural, obj, destID, "not copied from the source: "+why)
			return
		}
		if !v.src.Normalize(plural, obj) {
			return
		}
		id, _ := obj["id"].(string)
		var dropped []string
		last := ""
		target, out, keep := dhis2.TransformMetadataNoting(plural, obj, srcV, dstV, func(rule string) {
			last = rule
			if strings.HasSuffix(rule, ": dropped") {
				dropped = append(dropped, rule) // a property the destination version does not have
			}
		})
		if !keep {
			dropped = []string{last} // the rule that left the whole object out
		}
		if len(dropped) > 0 {
			// What the destination version cannot hold: listed, not a difference.
			skips = append(skips, &extractorv1.Difference{Resource: plural, Uid: id, Kind: Skipped,
				DestinationInstanceId: destID, Detail: "DHIS2 " + dstV.String() + " cannot hold it: " + strings.Join(dropped, "; ")})
		}
		if !keep {
			return
		}
		dhis2.VersionIndependent(target, out)
		if srcSets[target] == nil {
			srcSets[target] = map[string]digest{}
		}
		srcSets[target][id] = digestOf(target, out)
	})
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	defer func() {
		for _, d := range skips {
			if len(resp.Differences) < v.max {
				resp.Differences = append(resp.Differences, d)
			}
		}
	}()
	targets := []string{plural}
	if folded && dhis2.CapabilitiesFor(dstV).Has(dhis2.FeatureEventVisualizationsOnly) {
		targets = nil
	}
	for t := range srcSets {
		if t != plural {
			targets = append(targets, t)
		}
	}
	for _, target := range targets {
		if !dhis2.CapabilitiesFor(dstV).ResourceExists(target) {
			continue
		}
		dstSet := map[string]digest{}
		err := readAll(ctx, dst, target, func(obj map[string]any) {
			if v.dst.SkipReason(target, obj) != "" {
				return // the destination's own superusers: never written, never compared
			}
			if !v.dst.NormalizeDestination(target, obj) {
				return
			}
			dhis2.VersionIndependent(target, obj)
			id, _ := obj["id"].(string)
			dstSet[id] = digestOf(target, obj)
		})
		if err != nil {
			return fmt.Errorf("destination %s: %w", destID, err)
		}
		v.compare(resp, target, srcSets[target], dstSet, destID)
	}
	return nil
}

func (v *verification) compare(resp *extractorv1.VerifyStepResponse, plural string, src, dst map[string]digest, destID string) {
	check := &extractorv1.ResourceCheck{
		Resource: plural, SourceCount: int64(len(src)), DestinationCount: int64(len(dst)),
		SourceHash: setHash(src), DestinationHash: setHash(dst), DestinationInstanceId: destID,
	}
	check.Equal = check.SourceHash == check.DestinationHash
	resp.Resources = append(resp.Resources, check)
	if check.Equal {
		return
	}
	resp.Passed = false
	// Every unequal collection lists its own differing objects (up to the limit each), so that a hash
	// difference is never reported without the objects and properties behind it.
	listed := 0
	add := func(uid, kind, detail string) {
		resp.DifferenceCount++
		if listed < v.max {
			listed++
			resp.Differences = append(resp.Differences, &extractorv1.Difference{
				Resource: plural, Uid: uid, Kind: kind, DestinationInstanceId: destID, Detail: detail})
		}
	}
	for _, uid := range sortedKeys(src) {
		d, ok := dst[uid]
		switch {
		case !ok:
			add(uid, MissingOnDestination, src[uid].label)
		case d.hash != src[uid].hash:
			add(uid, Changed, "properties: "+strings.Join(changedProps(src[uid], d), ", "))
		}
	}
	for _, uid := range sortedKeys(dst) {
		if _, ok := src[uid]; !ok {
			add(uid, ExtraOnDestination, dst[uid].label)
		}
	}
}

// skipped lists an object that is deliberately neither copied nor compared; it is not a difference.
func (v *verification) skipped(resp *extractorv1.VerifyStepResponse, plural string, obj map[string]any, destID, why string) {
	if len(resp.Differences) >= v.max {
		return
	}
	id, _ := obj["id"].(string)
	resp.Differences = append(resp.Differences, &extractorv1.Difference{
		Resource: plural, Uid: id, Kind: Skipped, DestinationInstanceId: destID, Detail: why})
}

func setHash(set map[string]digest) string {
	h := sha256.New()
	for _, uid := range sortedKeys(set) {
		d := set[uid]
		fmt.Fprintf(h, "%s:%x\n", uid, d.hash)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sortedKeys(m map[string]digest) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// readAll streams a collection with fields=:owner, decoding each object.
func readAll(ctx context.Context, c *dhis2.Client, plural string, fn func(map[string]any)) error {
	for raw, err := range c.ListObjects(ctx, plural, dhis2.ListQuery{Fields: ":owner", PageSize: verifyPageSize}) {
		if err != nil {
			return err
		}
		var obj map[string]any
		if err := json.Unmarshal(raw, &obj); err != nil {
			return fmt.Errorf("%s: an object is not JSON: %w", plural, err)
		}
		fn(obj)
	}
	return nil
}
