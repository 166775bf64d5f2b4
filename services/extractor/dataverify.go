package extractor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// VerifyDataValues compares aggregate data values of the source with every destination, per data set and period:
// counts and a SHA-256 over the sorted (data element, period, org unit, category option combo, attribute option
// combo, value, comment, follow-up) lines of the live values on each side, and the differences value by value.
// It covers exactly the periods the data steps read (every period when the configuration names none). A deleted
// value counts as absent, so a deletion the destination never had to make is no difference. The request's
// resources name the data sets ("dataValues:<uid>"; "dataValues" alone means every data set of the source);
// org units and the period window come from the configuration's filters, as the orchestrator plans them.
// Memory holds one data set's values of one side at a time.
func (x *Extractor) VerifyDataValues(ctx context.Context, req *extractorv1.VerifyStepRequest) (*extractorv1.VerifyStepResponse, error) {
	cfg := req.GetConfig()
	src, err := x.clients.Get(ctx, req.GetSourceInstanceId())
	if err != nil {
		return nil, err
	}
	f := cfg.GetFilters()
	p := dataParams{orgUnits: f.GetOrgUnitIds(), periods: f.GetPeriods(), start: f.GetStartDate(), end: f.GetEndDate()}
	p.dataSets = parseDataParams(req.GetResources(), nil).dataSets
	if len(p.dataSets) == 0 {
		p.dataSets = f.GetDataSetIds()
	}
	e := &extraction{req: &extractorv1.ExtractStepRequest{}, client: src, log: x.log}
	if p.dataSets, err = e.orAll(ctx, p.dataSets, "dataSets", nil); err != nil {
		return nil, err
	}
	if p.orgUnits, err = e.orAll(ctx, p.orgUnits, "organisationUnits", []string{"level:eq:1"}); err != nil {
		return nil, err
	}
	limit := int(req.GetMaxDifferences())
	if limit <= 0 {
		limit = 100
	}
	out := newVerifyResponse()
	for _, ds := range p.dataSets {
		source, err := liveValues(ctx, src, p, ds)
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		for _, dest := range req.GetDestinationInstanceIds() {
			dc, err := x.clients.Get(ctx, dest)
			if err != nil {
				return nil, err
			}
			target, err := liveValues(ctx, dc, p, ds)
			if err != nil {
				return nil, fmt.Errorf("destination %s: %w", dest, err)
			}
			compareValues(out, ds, dest, source, target, limit)
		}
	}
	out.Time = timestamppb.Now()
	return out, nil
}

// storedValue is what verification compares of a data value besides its key.
type storedValue struct {
	value, comment string
	followUp       bool
}

func (v storedValue) line() string {
	return fmt.Sprintf("%s|%s|%t", v.value, v.comment, v.followUp)
}

// differences says field by field how the destination's value differs from the source's.
func (v storedValue) differences(w storedValue) string {
	var parts []string
	if v.value != w.value {
		parts = append(parts, fmt.Sprintf("value: %q on the source, %q on the destination", v.value, w.value))
	}
	if v.comment != w.comment {
		parts = append(parts, fmt.Sprintf("comment: %q on the source, %q on the destination", v.comment, w.comment))
	}
	if v.followUp != w.followUp {
		parts = append(parts, fmt.Sprintf("follow-up: %t on the source, %t on the destination", v.followUp, w.followUp))
	}
	return strings.Join(parts, "; ")
}

// liveValues reads one data set's live values: key → what is stored.
func liveValues(ctx context.Context, c *dhis2.Client, p dataParams, ds string) (map[string]storedValue, error) {
	out := map[string]storedValue{}
	q := p.query(dataChunk{dataSets: []string{ds}, orgUnit: p.orgUnits[0], children: true})
	q.OrgUnits = p.orgUnits
	err := c.ExportDataValues(ctx, q, func(dv dhis2.DataValue) error {
		if !dv.Deleted {
			out[valueKey(dv)] = storedValue{value: dv.Value, comment: dv.Comment, followUp: dv.FollowUp}
		}
		return nil
	})
	return out, err
}

// valueKey is DHIS2's key of a data value; the period is second so that keys group by period.
func valueKey(dv dhis2.DataValue) string {
	return dv.DataElement + "|" + dv.Period + "|" + dv.OrgUnit + "|" + dv.CategoryOptionCombo + "|" + dv.AttributeOptionCombo
}

func periodOf(key string) string {
	parts := strings.SplitN(key, "|", 3)
	if len(parts) < 2 {
		return ""
	}
	return parts[1]
}

// compareValues adds one check per (data set, period, destination) and the differences to out.
func compareValues(out *extractorv1.VerifyStepResponse, ds, dest string, source, target map[string]storedValue, limit int) {
	type side struct{ src, dst []string }
	periods := map[string]*side{}
	at := func(k string) *side {
		pe := periodOf(k)
		if periods[pe] == nil {
			periods[pe] = &side{}
		}
		return periods[pe]
	}
	diff := func(kind, key, detail string) {
		out.DifferenceCount++
		out.Passed = false
		if len(out.Differences) < limit {
			out.Differences = append(out.Differences, &extractorv1.Difference{Resource: resource.DataValuesOf(ds), Uid: key,
				Kind: kind, DestinationInstanceId: dest, Detail: detail})
		}
	}
	for k, v := range source {
		s := at(k)
		s.src = append(s.src, k+"|"+v.line())
		w, ok := target[k]
		switch {
		case !ok:
			diff("MISSING_ON_DESTINATION", k, "value "+v.value)
		case w != v:
			diff("CHANGED", k, v.differences(w))
		}
	}
	for k, w := range target {
		at(k).dst = append(at(k).dst, k+"|"+w.line())
		if _, ok := source[k]; !ok {
			diff("EXTRA_ON_DESTINATION", k, "value "+w.value)
		}
	}
	names := make([]string, 0, len(periods))
	for pe := range periods {
		names = append(names, pe)
	}
	slices.Sort(names)
	for _, pe := range names {
		s := periods[pe]
		check := &extractorv1.ResourceCheck{Resource: resource.DataValuesOf(ds) + ":" + pe, DestinationInstanceId: dest,
			SourceCount: int64(len(s.src)), DestinationCount: int64(len(s.dst)), SourceHash: linesHash(s.src),
			DestinationHash: linesHash(s.dst)}
		check.Equal = check.SourceCount == check.DestinationCount && check.SourceHash == check.DestinationHash
		out.Resources = append(out.Resources, check)
	}
}

func linesHash(lines []string) string {
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// newVerifyResponse is an empty comparison: it passes until a difference is found.
func newVerifyResponse() *extractorv1.VerifyStepResponse {
	return &extractorv1.VerifyStepResponse{Passed: true}
}
