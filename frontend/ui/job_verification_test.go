package ui

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"

	"github.com/dhis2sync/dhis2sync/frontend/gateway/gatewaytest"
)

// aggregateChecks builds one check per data set and period, as the data verification reports them; the
// checks at the indexes in differ are unequal.
func aggregateChecks(n int, dest string, differ ...int) []*orchestratorv1.ResourceCheck {
	checks := make([]*orchestratorv1.ResourceCheck, n)
	for i := range checks {
		c := &orchestratorv1.ResourceCheck{Resource: fmt.Sprintf("dataValues:ds%03d:2024%02d", i/12, i%12+1),
			SourceCount: int64(100 + i), DestinationCount: int64(100 + i), Equal: true, DestinationInstanceId: dest}
		checks[i] = c
	}
	for _, i := range differ {
		checks[i].Equal, checks[i].DestinationCount = false, checks[i].SourceCount-7
	}
	return checks
}

func superuserSkips(dest string) []*orchestratorv1.Difference {
	return []*orchestratorv1.Difference{
		{Resource: "users", Uid: "M5zQapPyTZI", Kind: kindSkipped, DestinationInstanceId: dest, Detail: "superuser account admin"},
		{Resource: "userRoles", Uid: "yrB6vc5Ip3r", Kind: kindSkipped, DestinationInstanceId: dest, Detail: "superuser role Superuser"},
	}
}

// between returns the part of page from the element with the given id up to the first end after it.
func between(t *testing.T, page, id, end string) string {
	t.Helper()
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(page[i:], end)
	if j < 0 {
		t.Fatalf("element %s is not closed by %s", id, end)
	}
	return page[i : i+j]
}

func TestVerificationSetsSkippedObjectsApart(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin", gatewaytest.AdminPassword)
	tests := []struct {
		name            string
		verification    *orchestratorv1.Verification
		wantHeadline    string
		wantDifferences []string // uids listed under Differences; none means no such section
	}{
		{
			name: "only skipped objects: passed, no differences",
			verification: &orchestratorv1.Verification{Passed: true, Time: timestamppb.Now(),
				Resources: aggregateChecks(3, "dst"), Differences: superuserSkips("dst")},
			wantHeadline: "Verification passed",
		},
		{
			name: "skipped objects beside a real difference",
			verification: &orchestratorv1.Verification{Passed: false, DifferenceCount: 1, Time: timestamppb.Now(),
				Resources: aggregateChecks(3, "dst", 1),
				Differences: append(superuserSkips("dst"), &orchestratorv1.Difference{
					Resource: "dataElements", Uid: "fbfJHSPpUQD", Kind: "CHANGED", DestinationInstanceId: "dst", Detail: "name"})},
			wantHeadline:    "Verification found 1 differences.",
			wantDifferences: []string{"fbfJHSPpUQD"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := e.gw.AddJob(&orchestratorv1.Job{ConfigName: "Nightly complete", Type: orchestratorv1.JobType_JOB_TYPE_COMPLETE,
				Status: orchestratorv1.JobStatus_JOB_STATUS_COMPLETED, DestinationInstanceIds: []string{"dst"}, Verification: tc.verification})
			_, page := b.get("/jobs/" + id)
			if head := between(t, page, "verification", "</p>"); !strings.Contains(head, tc.wantHeadline) {
				t.Errorf("headline %q, want %q", head, tc.wantHeadline)
			}
			skipped := between(t, page, "verification-skipped", "</ul>")
			for _, want := range []string{"users", "M5zQapPyTZI", "superuser account admin", "userRoles", "yrB6vc5Ip3r", "superuser role Superuser"} {
				if !strings.Contains(skipped, want) {
					t.Errorf("skipped section lacks %q:\n%s", want, skipped)
				}
			}
			if !strings.Contains(page, "Skipped by policy") {
				t.Error("the skipped section has no heading")
			}
			diffs := between(t, page, "verification-differences", "</ul>")
			if strings.Contains(diffs, "M5zQapPyTZI") || strings.Contains(diffs, "yrB6vc5Ip3r") {
				t.Errorf("skipped objects listed as differences:\n%s", diffs)
			}
			if len(tc.wantDifferences) == 0 && (diffs != "" || strings.Contains(page, ">Differences<")) {
				t.Errorf("a Differences section is shown with nothing but skipped objects:\n%s", diffs)
			}
			for _, uid := range tc.wantDifferences {
				if !strings.Contains(diffs, uid) || !strings.Contains(diffs, "Changed") {
					t.Errorf("difference %s missing or its kind unlabelled:\n%s", uid, diffs)
				}
			}
		})
	}
}

func TestVerificationSummarisesManyChecks(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin", gatewaytest.AdminPassword)
	tests := []struct {
		name    string
		checks  []*orchestratorv1.ResourceCheck
		lang    string
		summary string
		differ  []string // resources that must be listed outside the folded part
	}{
		{name: "all equal", checks: aggregateChecks(120, "dst"), summary: "120 checks, all equal."},
		{name: "three differ", checks: aggregateChecks(125, "dst", 5, 64, 124), summary: "3 of 125 checks differ.",
			differ: []string{"dataValues:ds000:202406", "dataValues:ds005:202405", "dataValues:ds010:202405"}},
		{name: "three differ, in French", lang: "fr", checks: aggregateChecks(125, "dst", 5, 64, 124),
			summary: "Contrôles différents : 3 sur 125.", differ: []string{"dataValues:ds000:202406"}},
		{name: "a single check", checks: aggregateChecks(1, "dst"), summary: "1 check, equal."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b.lang = tc.lang
			defer func() { b.lang = "" }()
			id := e.gw.AddJob(&orchestratorv1.Job{ConfigName: "Nightly complete", Type: orchestratorv1.JobType_JOB_TYPE_AGGREGATE,
				Status: orchestratorv1.JobStatus_JOB_STATUS_COMPLETED, DestinationInstanceIds: []string{"dst"},
				Verification: &orchestratorv1.Verification{Passed: len(tc.differ) == 0, Time: timestamppb.Now(), Resources: tc.checks}})
			_, page := b.get("/jobs/" + id)
			if got := between(t, page, "verification-checks", "</p>"); !strings.Contains(got, tc.summary) {
				t.Errorf("summary %q, want %q", got, tc.summary)
			}
			differing := between(t, page, "verification-differing", "</table>")
			folded := between(t, page, "verification-equal", "</details>")
			if folded != "" && !strings.HasPrefix(folded, `id="verification-equal">`) {
				t.Errorf("the equal checks are not folded away: %.60s", folded)
			}
			equal := 0
			for _, c := range tc.checks {
				if c.Equal {
					equal++
				}
				inDiffering, inFolded := strings.Contains(differing, c.Resource+"<"), strings.Contains(folded, c.Resource+"<")
				if c.Equal != inFolded || c.Equal == inDiffering {
					t.Errorf("check %s (equal %v): listed with differing %v, folded %v", c.Resource, c.Equal, inDiffering, inFolded)
				}
			}
			if got := strings.Count(folded, "<tr>") - 1; equal > 0 && got != equal {
				t.Errorf("%d folded rows, want %d", got, equal)
			}
			if len(tc.differ) == 0 && differing != "" {
				t.Error("a table of differing checks is shown when all are equal")
			}
			for _, r := range tc.differ {
				if !strings.Contains(differing, r) {
					t.Errorf("differing check %s not listed first:\n%s", r, differing)
				}
			}
		})
	}
}

func TestVerificationNamesDestinationsWhenThereAreSeveral(t *testing.T) {
	e := newEnv(t)
	b, _, dst, _ := seed(t, e)
	checks := append(aggregateChecks(2, dst, 1), aggregateChecks(2, "unknown-instance", 0)...)
	id := e.gw.AddJob(&orchestratorv1.Job{ConfigName: "Nightly complete", Type: orchestratorv1.JobType_JOB_TYPE_AGGREGATE,
		Status: orchestratorv1.JobStatus_JOB_STATUS_COMPLETED, DestinationInstanceIds: []string{dst, "unknown-instance"},
		Verification: &orchestratorv1.Verification{Time: timestamppb.Now(), Resources: checks}})
	_, page := b.get("/jobs/" + id)
	differing := between(t, page, "verification-differing", "</table>")
	for _, want := range []string{"Destination instance", "Regional mirror", "unknown-instance"} {
		if !strings.Contains(differing, want) {
			t.Errorf("differing checks lack %q:\n%s", want, differing)
		}
	}
}

// TestVerificationRendersWithoutInstanceNames covers the end of the live stream, which renders the report
// without looking the instances up: destinations then show by id.
func TestVerificationRendersWithoutInstanceNames(t *testing.T) {
	v, err := parseViews()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{views: v}
	job := &orchestratorv1.Job{Status: orchestratorv1.JobStatus_JOB_STATUS_COMPLETED, DestinationInstanceIds: []string{"a", "b"},
		Verification: &orchestratorv1.Verification{Resources: append(aggregateChecks(2, "dest-a", 0), aggregateChecks(2, "dest-b")...)}}
	html, err := s.renderPartial("en", "job_final", &page{Lang: "en", Data: jobData{Job: job}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(between(t, html, "verification-differing", "</table>"), "dest-a") {
		t.Errorf("the differing check does not name its destination:\n%s", html)
	}
}
