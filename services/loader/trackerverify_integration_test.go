package loader_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// verifyTracker runs the extractor's verification over events or tracker resources.
func (r *dataRig) verifyTracker(resources ...string) *extractorv1.VerifyStepResponse {
	r.tb.Helper()
	var dests []string
	for id := range r.dsts {
		dests = append(dests, id)
	}
	v, err := r.x.VerifyStep(r.ctx, &extractorv1.VerifyStepRequest{JobId: "verify", SourceInstanceId: "src",
		DestinationInstanceIds: dests, Resources: resources, Kind: stepv1.StepKind_STEP_KIND_VERIFY, MaxDifferences: 50})
	if err != nil {
		r.tb.Fatal(err)
	}
	return v
}

// Events and tracker data copied 2.40 → 2.41 are proven record by record; a corrupted destination (a changed
// attribute value, a changed data value, a deleted event) fails verification, naming each record and property.
func TestEventsAndTrackerDataVerified(t *testing.T) {
	t.Parallel()
	r := newDataRig(t, dataRigOptions{srcVersion: "2.40.1", dstVersions: map[string]string{"dst": "2.41.0"}, scale: demodata.Small})
	r.runEvents("ev", nil)
	r.runTracker("tr", nil)

	events := r.verifyTracker(resource.Events)
	tracker := r.verifyTracker(resource.Tracker...)
	for name, v := range map[string]*extractorv1.VerifyStepResponse{"events": events, "tracker": tracker} {
		if !v.GetPassed() || v.GetDifferenceCount() != 0 {
			t.Fatalf("%s after a faithful copy: %d differences, e.g. %v", name, v.GetDifferenceCount(), v.GetDifferences())
		}
	}
	counted := map[string]int64{}
	for _, c := range tracker.GetResources() {
		counted[strings.SplitN(c.GetResource(), ":", 2)[0]] += c.GetSourceCount()
	}
	for _, c := range events.GetResources() {
		counted["event programme events"] += c.GetSourceCount()
	}
	c := r.gen.Counts()
	want := map[string]int64{"trackedEntities": int64(c.TrackedEntities), "enrollments": int64(c.Enrollments),
		"events": int64(c.TrackerEvents), "relationships": int64(c.Relationships), "event programme events": int64(c.Events)}
	for k, n := range want {
		if counted[k] != n || n == 0 {
			t.Errorf("%s compared: %d, want %d", k, counted[k], n)
		}
	}

	// Corrupt the destination: one attribute value and one data value changed, one event deleted.
	ctx := context.Background()
	dst := r.dstCs["dst"]
	var te map[string]any
	for raw, err := range dst.ExportTracker(ctx, dhis2.TrackedEntities, dhis2.TrackerQuery{PageSize: 1, Fields: "*,enrollments[*,events[*]]",
		OrgUnitMode: "ACCESSIBLE", Program: programOfType(t, r, "WITH_REGISTRATION")}) {
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &te); err != nil {
			t.Fatal(err)
		}
		break
	}
	teID := te["trackedEntity"].(string)
	attr := te["attributes"].([]any)[0].(map[string]any)
	attrID := attr["attribute"].(string)
	attr["value"] = "corrupted " + attr["value"].(string)
	en := te["enrollments"].([]any)[0].(map[string]any)
	evs := en["events"].([]any)
	var changedEv, deletedEv, dv map[string]any
	for _, x := range evs {
		ev := x.(map[string]any)
		dvs, _ := ev["dataValues"].([]any)
		for _, y := range dvs {
			if m := y.(map[string]any); dv == nil && isNumber(m["value"]) {
				changedEv, dv = ev, m
			}
		}
		if changedEv == nil || ev["event"] != changedEv["event"] {
			deletedEv = ev
		}
	}
	if dv == nil || deletedEv == nil {
		t.Fatalf("the first enrollment of %s has no event with a numeric data value and another event", te["trackedEntity"])
	}
	deID := dv["dataElement"].(string)
	n, _ := strconv.Atoi(dv["value"].(string))
	dv["value"] = strconv.Itoa(n + 1)
	en["events"] = []any{changedEv}
	post := func(strategy string, payload map[string]any) {
		t.Helper()
		res, err := dst.ImportTracker(ctx, payload, dhis2.TrackerImportParams{ImportStrategy: strategy, AtomicMode: "OBJECT"})
		if err != nil || len(res.Errors) > 0 {
			t.Fatalf("%s on the destination: %v %v", strategy, err, res)
		}
	}
	post("UPDATE", map[string]any{"trackedEntities": []any{map[string]any{"trackedEntity": teID,
		"trackedEntityType": te["trackedEntityType"], "orgUnit": te["orgUnit"], "attributes": te["attributes"]}}})
	post("UPDATE", map[string]any{"events": []any{changedEv}})
	post("DELETE", map[string]any{"events": []any{map[string]any{"event": deletedEv["event"]}}})

	v := r.verifyTracker(resource.Tracker...)
	got := map[string]string{}
	for _, d := range v.GetDifferences() {
		got[d.GetResource()+" "+d.GetUid()+" "+d.GetKind()] = d.GetDetail()
	}
	for k, detail := range map[string]string{
		"trackedEntities " + teID + " CHANGED":                              "properties: attribute " + attrID,
		"events " + changedEv["event"].(string) + " CHANGED":                "properties: data value " + deID,
		"events " + deletedEv["event"].(string) + " MISSING_ON_DESTINATION": "",
	} {
		d, ok := got[k]
		if !ok || (detail != "" && d != detail) {
			t.Errorf("%s: %q (found %v), want %q", k, d, ok, detail)
		}
	}
	if v.GetPassed() || v.GetDifferenceCount() != 3 {
		t.Errorf("corrupted destination: passed %v, %d differences %v", v.GetPassed(), v.GetDifferenceCount(), got)
	}
}

func isNumber(v any) bool {
	s, _ := v.(string)
	_, err := strconv.Atoi(s)
	return err == nil
}

func programOfType(t *testing.T, r *dataRig, programType string) string {
	t.Helper()
	for _, p := range r.src.Objects("programs") {
		if p["programType"] == programType {
			return p["id"].(string)
		}
	}
	t.Fatalf("the demo has no %s programme", programType)
	return ""
}
