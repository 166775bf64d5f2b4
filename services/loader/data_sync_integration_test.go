package loader_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/loader"
)

// The small demo's 10,000 values go from 2.40 to 2.41; then values are changed, added and deleted on the
// source and a delta run moves exactly those.
func TestDataSyncFullThenDelta(t *testing.T) {
	t.Parallel()
	r := newDataRig(t, dataRigOptions{srcVersion: "2.40.0", dstVersions: map[string]string{"dst": "2.41.0"}, scale: demodata.Small})
	first := r.run("full", dataStep{name: "dv", pageSize: 1000})
	s, conflicts := summed(t, first["dst"])
	for _, c := range conflicts {
		t.Errorf("conflict %s %s: %s", c.GetCode(), c.GetUid(), c.GetMessage())
	}
	if s.created != int64(r.src.DataValueCount()) || r.src.DataValueCount() != 10_000 {
		t.Fatalf("created %d of %d source values", s.created, r.src.DataValueCount())
	}
	if got := r.dsts["dst"].DataValueCount(); got != 10_000 {
		t.Fatalf("destination holds %d values", got)
	}
	last := first["dst"][len(first["dst"])-1]
	if last.GetPlannedTotal() != 10_000 || last.GetServerDate() == "" {
		t.Fatalf("last result: planned %d, serverDate %q", last.GetPlannedTotal(), last.GetServerDate())
	}
	dataSets, ous := uids(r.src.Objects("dataSets")), roots(r.src)
	before := values(t, r.srcC, dataSets, ous)
	if v := r.verify(); !v.GetPassed() || len(v.GetResources()) == 0 {
		t.Fatalf("verification after the full run: passed %v, %d checks, %d differences, e.g. %v", v.GetPassed(),
			len(v.GetResources()), v.GetDifferenceCount(), v.GetDifferences())
	}

	// Three changed (to another value their data element has elsewhere), two added (an existing value in a
	// period its org unit did not report), two deleted on the source.
	var existing []dhis2.DataValue
	otherValue := map[string]map[string]bool{}
	for _, dv := range before {
		existing = append(existing, dv)
		if otherValue[dv.DataElement] == nil {
			otherValue[dv.DataElement] = map[string]bool{}
		}
		otherValue[dv.DataElement][dv.Value] = true
	}
	var upserts, deleted []dhis2.DataValue
	for _, dv := range existing {
		if len(upserts) == 3 {
			break
		}
		for v := range otherValue[dv.DataElement] {
			if v != dv.Value {
				dv.Value = v
				upserts = append(upserts, dv)
				break
			}
		}
	}
	for _, dv := range existing {
		if len(deleted) < 2 && !containsKey(upserts, dv) {
			deleted = append(deleted, dv)
		}
	}
	var added []dhis2.DataValue
	for _, dv := range existing[10:] {
		for _, p := range r.gen.Periods() {
			nv := dv
			nv.Period = p
			if _, ok := before[key(nv)]; !ok && len(added) < 2 && !containsKey(added, nv) {
				added = append(added, nv)
			}
		}
		if len(added) == 2 {
			break
		}
	}
	if len(upserts) != 3 || len(added) != 2 {
		t.Fatalf("test data: %d changes, %d additions", len(upserts), len(added))
	}
	upserts = append(upserts, added...)
	for i := range upserts {
		// An edit on the source carries no timestamps: DHIS2 keeps a payload's lastUpdated, which would hide
		// the change from a delta by lastUpdated.
		upserts[i].LastUpdated, upserts[i].Created = "", ""
	}
	post(t, r.srcC, upserts, "CREATE_AND_UPDATE")
	post(t, r.srcC, deleted, "DELETE")
	v := r.verify()
	kinds := map[string]int{}
	for _, d := range v.GetDifferences() {
		kinds[d.GetKind()]++
	}
	if want := map[string]int{"CHANGED": 3, "MISSING_ON_DESTINATION": 2, "EXTRA_ON_DESTINATION": 2}; v.GetPassed() || fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Errorf("verification before the delta: passed %v, differences %v, want %v", v.GetPassed(), kinds, want)
	}

	delta := r.run("delta", dataStep{name: "dv", params: map[string]string{"since": last.GetServerDate()}})
	d, conflicts := summed(t, delta["dst"])
	for _, c := range conflicts {
		t.Errorf("delta conflict %s %s: %s", c.GetCode(), c.GetUid(), c.GetMessage())
	}
	if d.created != 2 || d.updated != 3 || d.deleted != 2 || d.errors != 0 {
		t.Errorf("delta moved %+v, want 2 created, 3 updated, 2 deleted", d)
	}
	if planned := delta["dst"][len(delta["dst"])-1].GetPlannedTotal(); planned != 7 {
		t.Errorf("delta read %d values, want exactly the 7 that changed", planned)
	}
	if v := r.verify(); !v.GetPassed() {
		t.Errorf("verification after the delta: %d differences, e.g. %v", v.GetDifferenceCount(), v.GetDifferences())
	}
	if diff := sameLiveValues(values(t, r.srcC, dataSets, ous), values(t, r.dstCs["dst"], dataSets, ous)); len(diff) > 0 {
		t.Errorf("%d values differ after the delta, e.g. %v", len(diff), diff[:min(len(diff), 5)])
	}
}

// Values deleted at the source stay on the destination unless the configuration propagates deletions, and a
// run that would delete more than deletion.maxSharePercent of the destination's values deletes none of them:
// the step ends with a warning that says how to allow it.
func TestDataDeletionsFollowTheConfiguration(t *testing.T) {
	t.Parallel()
	r := newDataRig(t, dataRigOptions{srcVersion: "2.40.0", dstVersions: map[string]string{"dst": "2.41.0"}, scale: demodata.Small})
	first := r.run("full", dataStep{name: "dv", pageSize: 1000})
	since := first["dst"][len(first["dst"])-1].GetServerDate()
	dataSets, ous := uids(r.src.Objects("dataSets")), roots(r.src)
	var all []dhis2.DataValue
	for _, dv := range values(t, r.srcC, dataSets, ous) {
		all = append(all, dv)
	}
	if len(all) != 10_000 {
		t.Fatalf("the source holds %d values", len(all))
	}

	post(t, r.srcC, all[:2], "DELETE")
	kept := r.run("kept", dataStep{name: "dv", params: map[string]string{"since": since},
		config: `{"deletion":{"propagate":false}}`})
	s, conflicts := summed(t, kept["dst"])
	if s.deleted != 0 || s.ignored != 2 || len(conflicts) != 0 {
		t.Errorf("without deletion.propagate: %+v, conflicts %v; want nothing deleted and 2 ignored", s, conflicts)
	}
	if got := r.dsts["dst"].DataValueCount(); got != 10_000 {
		t.Errorf("the destination holds %d values, want all 10,000", got)
	}

	post(t, r.srcC, all[2:2000], "DELETE") // 20% of the values: above the 10% guard
	guarded := r.run("guarded", dataStep{name: "dv", params: map[string]string{"since": since}})
	s, conflicts = summed(t, guarded["dst"])
	last := guarded["dst"][len(guarded["dst"])-1]
	if s.deleted != 0 || s.ignored != 2000 || last.GetStatus() != "WARNING" || last.GetError() != "" {
		t.Errorf("beyond the guard: %+v, status %q, error %q; want nothing deleted, 2000 held back, a warning", s, last.GetStatus(), last.GetError())
	}
	if len(conflicts) != 1 || conflicts[0].GetCode() != loader.DeletionGuardCode ||
		!strings.Contains(conflicts[0].GetMessage(), "held back 2000 deletions") || !strings.Contains(conflicts[0].GetMessage(), "deletion.maxSharePercent") {
		t.Errorf("conflicts %v, want one deletion-guard warning that says how to allow it", conflicts)
	}
	if got := r.dsts["dst"].DataValueCount(); got != 10_000 {
		t.Errorf("the destination holds %d values after a held-back mass deletion, want 10,000", got)
	}

	allowed := r.run("allowed", dataStep{name: "dv", params: map[string]string{"since": since},
		config: `{"deletion":{"propagate":true,"maxSharePercent":25}}`})
	if s, _ = summed(t, allowed["dst"]); s.deleted != 2000 {
		t.Errorf("with the guard raised to 25%%: %+v, want 2000 deleted", s)
	}
	if got := r.dsts["dst"].DataValueCount(); got != 8_000 {
		t.Errorf("the destination holds %d values, want 8,000", got)
	}
}

func containsKey(list []dhis2.DataValue, dv dhis2.DataValue) bool {
	for _, v := range list {
		if key(v) == key(dv) {
			return true
		}
	}
	return false
}

func post(t *testing.T, c *dhis2.Client, list []dhis2.DataValue, strategy string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"dataValues": list})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ImportDataValues(context.Background(), body, dhis2.DataValueImportParams{ImportStrategy: strategy})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("source %s: %v", strategy, res.Errors[0])
	}
}

// A destination without one data element and one org unit refuses their values with clear conflicts and
// imports the rest.
func TestDataSyncMissingMetadataIsReportedAndTheRestImported(t *testing.T) {
	t.Parallel()
	r := newDataRig(t, dataRigOptions{srcVersion: "2.40.0", dstVersions: map[string]string{"dst": "2.41.0"}, scale: demodata.Small})
	all := values(t, r.srcC, uids(r.src.Objects("dataSets")), roots(r.src))
	var de, ou string
	for _, dv := range all {
		de = dv.DataElement
		break
	}
	// A leaf org unit with values of other data elements.
	for _, dv := range all {
		if dv.DataElement != de {
			ou = dv.OrgUnit
			break
		}
	}
	dst := r.dsts["dst"]
	dropDataElement(t, dst, de)
	dropOrgUnit(t, dst, ou)
	refused := 0
	for _, dv := range all {
		if dv.DataElement == de || dv.OrgUnit == ou {
			refused++
		}
	}
	res := r.run("missing", dataStep{name: "dv"})
	s, conflicts := summed(t, res["dst"])
	if s.created != int64(len(all)-refused) || s.errors != int64(refused) {
		t.Errorf("created %d and refused %d, want %d and %d", s.created, s.errors, len(all)-refused, refused)
	}
	found := map[string]bool{}
	for _, c := range conflicts {
		if !strings.Contains(c.GetMessage(), "sync metadata first") {
			t.Errorf("conflict %s %s does not say what to do: %s", c.GetCode(), c.GetUid(), c.GetMessage())
		}
		found[c.GetCode()+" "+c.GetUid()] = true
	}
	for _, want := range []string{"E7610 " + de, "E7612 " + ou} {
		if !found[want] && !found[strings.Replace(want, "E7612", "E7603", 1)] {
			t.Errorf("no conflict %s among %v", want, found)
		}
	}
	if got := dst.DataValueCount(); got != len(all)-refused {
		t.Errorf("destination holds %d values, want %d", got, len(all)-refused)
	}
}

func dropDataElement(t *testing.T, s *dhis2sim.Server, uid string) {
	t.Helper()
	for _, ds := range s.Objects("dataSets") {
		var keep []any
		for _, e := range ds["dataSetElements"].([]any) {
			if m, _ := e.(map[string]any); m != nil {
				if ref, _ := m["dataElement"].(map[string]any); ref != nil && ref["id"] == uid {
					continue
				}
			}
			keep = append(keep, e)
		}
		ds["dataSetElements"] = keep
		if err := s.PutObject("dataSets", ds); err != nil {
			t.Fatal(err)
		}
	}
	dropFromGroups(t, s, "dataElementGroups", "dataElements", uid)
	if err := s.DeleteObject("dataElements", uid); err != nil {
		t.Fatalf("delete data element %s: %v", uid, err)
	}
}

func dropOrgUnit(t *testing.T, s *dhis2sim.Server, uid string) {
	t.Helper()
	for _, ds := range s.Objects("dataSets") {
		ds["organisationUnits"] = without(ds["organisationUnits"], uid)
		if err := s.PutObject("dataSets", ds); err != nil {
			t.Fatal(err)
		}
	}
	dropFromGroups(t, s, "organisationUnitGroups", "organisationUnits", uid)
	if err := s.DeleteObject("organisationUnits", uid); err != nil {
		t.Fatalf("delete org unit %s: %v", uid, err)
	}
}

func dropFromGroups(t *testing.T, s *dhis2sim.Server, groups, member, uid string) {
	t.Helper()
	for _, g := range s.Objects(groups) {
		before := fmt.Sprint(g[member])
		g[member] = without(g[member], uid)
		if fmt.Sprint(g[member]) == before {
			continue
		}
		if err := s.PutObject(groups, g); err != nil {
			t.Fatal(err)
		}
	}
}

func without(list any, uid string) []any {
	var keep []any
	for _, e := range asList(list) {
		if m, _ := e.(map[string]any); m != nil && m["id"] == uid {
			continue
		}
		keep = append(keep, e)
	}
	return keep
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// A destination that answers 503 for a while: the loader retries, then everything arrives once.
func TestDataSyncRetriesATemporarilyUnavailableDestination(t *testing.T) {
	t.Parallel()
	r := newDataRig(t, dataRigOptions{srcVersion: "2.40.0", dstVersions: map[string]string{"dst": "2.41.0"}, scale: demodata.Small})
	faults, err := dhis2sim.ParseFaults("status=503@POST /api/dataValueSets,times=6")
	if err != nil {
		t.Fatal(err)
	}
	r.dsts["dst"].SetFaults(faults)
	res := r.run("flaky", dataStep{name: "dv", pageSize: 1000, batchSize: 2000, maxInFlight: 3})
	s, conflicts := summed(t, res["dst"])
	if len(conflicts) > 0 || s.errors != 0 {
		t.Errorf("%d errors, conflicts %v", s.errors, conflicts)
	}
	if s.created != 10_000 || s.updated != 0 {
		t.Errorf("created %d, updated %d: want every value created exactly once", s.created, s.updated)
	}
	if got := r.dsts["dst"].DataValueCount(); got != 10_000 {
		t.Errorf("destination holds %d values", got)
	}
	if st := r.dsts["dst"].Stats(); st.FaultsFired < 6 {
		t.Errorf("only %d faults were injected", st.FaultsFired)
	}
}

// One extraction feeds two destinations of different versions; each gets every value and its own results.
func TestDataSyncFeedsTwoDestinations(t *testing.T) {
	t.Parallel()
	r := newDataRig(t, dataRigOptions{srcVersion: "2.40.0", scale: demodata.Small,
		dstVersions: map[string]string{"a": "2.41.0", "b": "2.38.1"}})
	res := r.run("two", dataStep{name: "dv"})
	for _, id := range []string{"a", "b"} {
		s, conflicts := summed(t, res[id])
		if s.created != 10_000 || len(conflicts) > 0 {
			t.Errorf("destination %s: created %d, conflicts %v", id, s.created, conflicts)
		}
		if got := r.dsts[id].DataValueCount(); got != 10_000 {
			t.Errorf("destination %s holds %d values", id, got)
		}
	}
}
