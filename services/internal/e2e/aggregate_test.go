package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// dataValue is one aggregate data value as /api/dataValueSets carries it.
type dataValue struct {
	DataElement          string `json:"dataElement"`
	Period               string `json:"period"`
	OrgUnit              string `json:"orgUnit"`
	CategoryOptionCombo  string `json:"categoryOptionCombo"`
	AttributeOptionCombo string `json:"attributeOptionCombo"`
	Value                string `json:"value"`
}

func (dv dataValue) key() string {
	return strings.Join([]string{dv.DataElement, dv.Period, dv.OrgUnit, dv.CategoryOptionCombo, dv.AttributeOptionCombo}, "|")
}

// dataValues exports every live data value of every data set of a simulated DHIS2, whatever its period (DHIS2
// selects by lastUpdated when no period is given): the test's own view, independent of dhis2sync's.
func (s *Sim) dataValues() []dataValue {
	s.t.Helper()
	ids := func(path string) []string {
		var out map[string][]struct {
			ID string `json:"id"`
		}
		if code := s.Do(http.MethodGet, path, nil, &out); code != http.StatusOK {
			s.t.Fatalf("GET %s: HTTP %d", path, code)
		}
		var list []string
		for _, items := range out {
			for _, o := range items {
				list = append(list, o.ID)
			}
		}
		return list
	}
	q := url.Values{"children": {"true"}, "lastUpdated": {"1970-01-01"}}
	q["dataSet"] = ids("/api/dataSets?fields=id&paging=false")
	q["orgUnit"] = ids("/api/organisationUnits?fields=id&paging=false&filter=level:eq:1")
	var set struct {
		DataValues []dataValue `json:"dataValues"`
	}
	if code := s.Do(http.MethodGet, "/api/dataValueSets?"+q.Encode(), nil, &set); code != http.StatusOK {
		s.t.Fatalf("export data values: HTTP %d", code)
	}
	return set.DataValues
}

// importValues posts data values to a simulated DHIS2 with an import strategy; the summary's status is at the
// top level before 2.38 and under "response" since.
func (s *Sim) importValues(strategy string, values []dataValue) {
	s.t.Helper()
	var summary struct {
		Status   string `json:"status"`
		Response struct {
			Status string `json:"status"`
		} `json:"response"`
	}
	code := s.Do(http.MethodPost, "/api/dataValueSets?importStrategy="+strategy, map[string]any{"dataValues": values}, &summary)
	if code != http.StatusOK || summary.Status+summary.Response.Status != "SUCCESS" && summary.Response.Status != "SUCCESS" {
		s.t.Fatalf("import %s: HTTP %d, status %q %q", strategy, code, summary.Status, summary.Response.Status)
	}
}

// TestAggregateSyncThroughREST copies the medium demo's aggregate data values from a 2.40 to a 2.41 DHIS2
// through the real services, proves the copy value by value, then moves exactly a handful of changes made on
// the source: updated, added and deleted values.
func TestAggregateSyncThroughREST(t *testing.T) {
	st := Start(t)
	src := StartSim(t, "2.40.1", "--seed", "demo", "--scale", "medium", "--events", "0", "--tracked-entities", "0")
	dst := StartSim(t, "2.41.0")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	c := st.Client(ctx)

	meta := syncSetup(ctx, t, c, src, dst, &configv1.Config{Name: "Demo metadata", SyncType: configv1.SyncType_SYNC_TYPE_METADATA})
	requireFaithful(ctx, t, c, runJob(ctx, t, c, meta.GetId(), false))

	data, err := c.CreateConfig(ctx, &configv1.Config{Name: "Demo data values", SyncType: configv1.SyncType_SYNC_TYPE_DATA,
		SourceInstanceId: meta.GetSourceInstanceId(), DestinationInstanceIds: meta.GetDestinationInstanceIds(),
		Deletion: &configv1.Deletion{Propagate: true, MaxSharePercent: 10}})
	if err != nil {
		t.Fatalf("create data configuration: %v", err)
	}
	// History back to 2010: with no period filter, every period is synced and verified.
	var old []dataValue
	for _, dv := range src.dataValues() {
		if _, err := strconv.Atoi(dv.Period); err != nil || len(dv.Period) != 6 || len(old) == 24 {
			continue // monthly values only, so that the old periods fit their data sets
		}
		dv.Period = fmt.Sprintf("%d%02d", 2010+len(old)/12, len(old)%12+1)
		old = append(old, dv)
	}
	src.importValues("CREATE_AND_UPDATE", old)
	values := src.dataValues()
	if len(values) < 10_000 {
		t.Fatalf("the source holds %d data values, want the medium demo's", len(values))
	}
	first := runJob(ctx, t, c, data.GetId(), false)
	requireFaithful(ctx, t, c, first)
	requireCounters(t, "first run", first, int64(len(values)), 0, 0)
	requireValuesChecked(t, first, len(values))
	onDst := map[string]string{}
	for _, dv := range dst.dataValues() {
		onDst[dv.key()] = dv.Value
	}
	if len(onDst) != len(values) {
		t.Errorf("the destination holds %d values, want %d", len(onDst), len(values))
	}
	for _, dv := range old {
		if onDst[dv.key()] != dv.Value {
			t.Errorf("value of %s missing on the destination", dv.Period)
		}
	}
	requirePeriodsChecked(t, first, "201001", "201012", "201101", "201112")

	changed, added, deleted := pickChanges(t, values)
	src.importValues("CREATE_AND_UPDATE", append(append([]dataValue(nil), changed...), added...))
	src.importValues("DELETE", deleted)
	want := len(values) + len(added) - len(deleted)
	if got := len(src.dataValues()); got != want {
		t.Fatalf("after the changes the source holds %d values, want %d", got, want)
	}

	second := runJob(ctx, t, c, data.GetId(), false)
	requireFaithful(ctx, t, c, second)
	requireCounters(t, "delta run", second, int64(len(added)), int64(len(changed)), int64(len(deleted)))
	requireValuesChecked(t, second, want)
	onDst = map[string]string{}
	for _, dv := range dst.dataValues() {
		onDst[dv.key()] = dv.Value
	}
	for _, dv := range append(append([]dataValue(nil), changed...), added...) {
		if onDst[dv.key()] != dv.Value {
			t.Errorf("destination %s = %q, want %q", dv.key(), onDst[dv.key()], dv.Value)
		}
	}
	for _, dv := range deleted {
		if v, ok := onDst[dv.key()]; ok {
			t.Errorf("destination still holds deleted %s = %q", dv.key(), v)
		}
	}

	// A mass deletion at the source (a fifth of the values, above the 10% guard) deletes nothing: the job
	// completes with warnings and its log says how to allow it.
	current := src.dataValues()
	src.importValues("DELETE", current[:len(current)/5])
	third := runJob(ctx, t, c, data.GetId(), false)
	if third.GetStatus() != orchestratorv1.JobStatus_JOB_STATUS_COMPLETED_WITH_WARNINGS || third.GetCounters().GetDeleted() != 0 {
		t.Errorf("mass deletion: status %s, %d deleted; want COMPLETED_WITH_WARNINGS and none deleted", third.GetStatus(), third.GetCounters().GetDeleted())
	}
	if got := len(dst.dataValues()); got != len(current) {
		t.Errorf("the destination holds %d values after a held-back mass deletion, want %d", got, len(current))
	}
	lines, err := c.JobLogs(ctx, third.GetId(), apiclient.LogQuery{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	said := false
	for _, l := range lines {
		said = said || strings.Contains(l.GetMessage(), "deletion.maxSharePercent")
	}
	if !said {
		t.Errorf("the job's log does not say why deletions were held back nor how to allow them")
	}
}

// requirePeriodsChecked checks that the job's verification compared each period.
func requirePeriodsChecked(t *testing.T, job *orchestratorv1.Job, periods ...string) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range job.GetVerification().GetResources() {
		if parts := strings.Split(r.GetResource(), ":"); len(parts) == 3 && parts[0] == "dataValues" {
			seen[parts[2]] = true
		}
	}
	for _, pe := range periods {
		if !seen[pe] {
			t.Errorf("verification has no check for period %s", pe)
		}
	}
}

// pickChanges chooses 3 numeric values to change, 2 new values (existing cells in old months the source leaves
// empty) and 2 values to delete, all distinct.
func pickChanges(t *testing.T, values []dataValue) (changed, added, deleted []dataValue) {
	t.Helper()
	used := map[string]bool{}
	for _, dv := range values {
		used[dv.Period] = true
	}
	month := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC) // old months: the delta reaches far into the history
	var free []string
	for ; len(free) < 2 && month.Year() <= time.Now().Year(); month = month.AddDate(0, 1, 0) {
		if pe := month.Format("200601"); !used[pe] {
			free = append(free, pe)
		}
	}
	if len(free) < 2 {
		t.Fatalf("no free month in the window: %v", used)
	}
	for _, dv := range values {
		n, err := strconv.Atoi(dv.Value)
		if err != nil {
			continue
		}
		switch {
		case len(changed) < 3:
			dv.Value = strconv.Itoa(n + 1)
			changed = append(changed, dv)
		case len(added) < 2:
			dv.Period = free[len(added)]
			added = append(added, dv)
		case len(deleted) < 2:
			deleted = append(deleted, dv)
		}
	}
	if len(deleted) < 2 {
		t.Fatalf("the source has too few numeric values to change")
	}
	return changed, added, deleted
}

func requireCounters(t *testing.T, run string, job *orchestratorv1.Job, created, updated, deleted int64) {
	t.Helper()
	c := job.GetCounters()
	if c.GetCreated() != created || c.GetUpdated() != updated || c.GetDeleted() != deleted || c.GetErrors() != 0 {
		t.Errorf("%s: created %d, updated %d, deleted %d, errors %d; want %d, %d, %d, 0",
			run, c.GetCreated(), c.GetUpdated(), c.GetDeleted(), c.GetErrors(), created, updated, deleted)
	}
}

// requireValuesChecked checks that the job's verification compared data values per data set and period, and
// that its checks cover exactly n values on each side (each demo data element belongs to one data set).
func requireValuesChecked(t *testing.T, job *orchestratorv1.Job, n int) {
	t.Helper()
	var src, dst int64
	checks := 0
	for _, r := range job.GetVerification().GetResources() {
		if parts := strings.Split(r.GetResource(), ":"); parts[0] != "dataValues" || len(parts) != 3 {
			t.Errorf("check %s is not per data set and period", r.GetResource())
			continue
		}
		checks++
		src += r.GetSourceCount()
		dst += r.GetDestinationCount()
	}
	t.Logf("verification: %d data set periods, %d values on each side", checks, src)
	if checks == 0 || src != int64(n) || dst != int64(n) {
		t.Errorf("verification: %d checks over %d source and %d destination values, want %d values each", checks, src, dst, n)
	}
}
