package ui

import (
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// kindSkipped marks an object deliberately not copied by policy (superuser accounts and roles). The
// extractor lists it beside the differences so it stays visible, but it is not one: it neither fails the
// verification nor counts in difference_count (see services/extractor/verify.go).
const kindSkipped = "SKIPPED"

var differenceKindLabels = map[string]string{
	"MISSING_ON_DESTINATION": "Missing on destination",
	"EXTRA_ON_DESTINATION":   "Extra on destination",
	"CHANGED":                "Changed",
	kindSkipped:              "Skipped by policy",
}

// verificationReport splits a verification for reading: the checks that differ come first and the equal
// ones, which may be hundreds (one per data set and period), are kept apart so the page can fold them away.
type verificationReport struct {
	Checks      int
	Differing   []*orchestratorv1.ResourceCheck
	Equal       []*orchestratorv1.ResourceCheck
	Differences []*orchestratorv1.Difference
	Skipped     []*orchestratorv1.Difference
	// ManyDestinations says whether checks name their destination: with one, it goes without saying.
	ManyDestinations bool
}

func newVerificationReport(v *orchestratorv1.Verification) verificationReport {
	r := verificationReport{Checks: len(v.GetResources())}
	dests := map[string]bool{}
	for _, c := range v.GetResources() {
		dests[c.GetDestinationInstanceId()] = true
		if c.GetEqual() {
			r.Equal = append(r.Equal, c)
		} else {
			r.Differing = append(r.Differing, c)
		}
	}
	r.ManyDestinations = len(dests) > 1
	for _, d := range v.GetDifferences() {
		if d.GetKind() == kindSkipped {
			r.Skipped = append(r.Skipped, d)
		} else {
			r.Differences = append(r.Differences, d)
		}
	}
	return r
}

// differenceKind labels a difference kind; an unknown kind (from a newer service) is shown as sent.
func differenceKind(kind string) string {
	if l, ok := differenceKindLabels[kind]; ok {
		return l
	}
	return kind
}
