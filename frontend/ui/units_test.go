package ui

import (
	"io/fs"
	"maps"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// TestFrenchIsComplete finds every message the templates and handlers translate and checks French has it.
func TestFrenchIsComplete(t *testing.T) {
	var keys []string
	tmplKey := regexp.MustCompile(`\bt[f]? "([^"]+)"`)
	_ = fs.WalkDir(assets, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := assets.ReadFile(path)
		for _, m := range tmplKey.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
		return nil
	})
	goKey := regexp.MustCompile(`(?:translate\([a-zA-Z.]+, |renderForbidden\(w, r, |http\.Status\w+, |errs\[[^\]]+\] = |Errors\["\w+"\] = )"([^"]+)"`)
	files, _ := fs.Glob(os.DirFS("."), "*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, _ := os.ReadFile(f)
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	for f := range flashes {
		keys = append(keys, f)
	}
	for _, l := range jobStatusLabels {
		keys = append(keys, l)
	}
	for _, l := range connLabels {
		keys = append(keys, l)
	}
	for _, l := range familyLabels {
		keys = append(keys, l)
	}
	for _, l := range policyLabels {
		keys = append(keys, l)
	}
	for _, l := range differenceKindLabels {
		keys = append(keys, l)
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d messages; the scan is broken", len(keys))
	}
	for _, k := range keys {
		if _, ok := french[k]; !ok {
			t.Errorf("no French for %q", k)
		}
	}
}

func TestNegotiate(t *testing.T) {
	tests := map[string]string{
		"":                               "en",
		"fr":                             "fr",
		"fr-FR,fr;q=0.9,en;q=0.8":        "fr",
		"en-GB;q=0.8,en;q=0.9,fr;q=0.95": "fr",
		"de-DE,de;q=0.9":                 "en",
		"de,fr;q=0.5":                    "fr",
		"fr;q=0,en;q=0.1":                "en",
		"FR-ca":                          "fr",
		"en-US,en;q=0.9,fr-FR;q=.8":      "en",
	}
	for header, want := range tests {
		if got := negotiate(header); got != want {
			t.Errorf("negotiate(%q) = %q, want %q", header, got, want)
		}
	}
}

func TestNextRun(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		cron, tz string
		want     time.Time
		wantErr  bool
	}{
		{"0 2 * * *", "", time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC), false},
		{"0 2 * * *", "Africa/Abidjan", time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC), false},
		{"30 13 * * *", "Europe/Paris", time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC), false},
		{"0 0 1 * *", "UTC", time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), false},
		{"nonsense", "UTC", time.Time{}, true},
		{"0 2 * * *", "Mars/Olympus", time.Time{}, true},
		{"", "UTC", time.Time{}, true},
	}
	for _, tc := range tests {
		c := &configv1.Config{Schedule: &configv1.Schedule{Cron: tc.cron, TimeZone: tc.tz}}
		got, err := nextRun(c, now)
		if (err != nil) != tc.wantErr || !got.Equal(tc.want) {
			t.Errorf("nextRun(%q, %q) = %v, %v; want %v, error %v", tc.cron, tc.tz, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := map[time.Duration]string{
		0: "0 s", 42 * time.Second: "42 s", 61 * time.Second: "1 min 01 s", 3*time.Hour + 5*time.Minute: "3 h 05 min", -time.Second: "0 s",
	}
	for d, want := range tests {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestFormatNumber(t *testing.T) {
	tests := map[int64]string{0: "0", 999: "999", 1000: "1\u202f000", 1234567: "1\u202f234\u202f567", -4500: "-4\u202f500"}
	for n, want := range tests {
		if got := formatNumber(n); got != want {
			t.Errorf("formatNumber(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestActivityCountsByDayAndType(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 3, 4, 0, 0, 0, 0, loc)
	job := func(day, hour int, typ orchestratorv1.JobType) *orchestratorv1.Job {
		return &orchestratorv1.Job{Type: typ, CreateTime: timestamppb.New(start.AddDate(0, 0, day).Add(time.Duration(hour) * time.Hour))}
	}
	jobs := []*orchestratorv1.Job{
		job(0, 1, orchestratorv1.JobType_JOB_TYPE_METADATA), job(0, 23, orchestratorv1.JobType_JOB_TYPE_METADATA),
		job(6, 12, orchestratorv1.JobType_JOB_TYPE_EVENTS), job(7, 1, orchestratorv1.JobType_JOB_TYPE_EVENTS), // day 7 is outside
		job(3, 5, orchestratorv1.JobType_JOB_TYPE_COMPLETE),
	}
	ch := activity(jobs, start, loc, "en")
	if len(ch.Labels) != 7 || ch.Labels[0] != "03-04" {
		t.Fatalf("labels %v", ch.Labels)
	}
	got := map[string][]int{}
	for _, d := range ch.Datasets {
		got[d.Label] = d.Data
	}
	want := map[string][]int{"Complete": {0, 0, 0, 1, 0, 0, 0}, "Metadata": {2, 0, 0, 0, 0, 0, 0}, "Events": {0, 0, 0, 0, 0, 0, 1}}
	for label, w := range want {
		if fmtInts(got[label]) != fmtInts(w) {
			t.Errorf("%s: %v, want %v", label, got[label], w)
		}
	}
	if len(ch.Datasets) != 3 {
		t.Errorf("%d datasets, want 3", len(ch.Datasets))
	}
}

func fmtInts(v []int) string {
	var b strings.Builder
	for _, n := range v {
		b.WriteString(" ")
		b.WriteString(string(rune('0' + n)))
	}
	return b.String()
}

func TestSafeNext(t *testing.T) {
	tests := map[string]string{"/jobs?x=1": "/jobs?x=1", "": "/", "//evil": "/", "https://evil": "/", "/\\evil": "/", "jobs": "/"}
	for in, want := range tests {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormErrors(t *testing.T) {
	got := formErrors(map[string]string{
		"name":                        "is required",
		"destination_instance_ids[0]": "is the source instance",
		"destination_instance_ids[2]": "repeats destinationInstanceIds[0]",
		`policies.user_mapping["x"]`:  "not a UID",
	})
	want := map[string]string{
		"name":                     "is required",
		"destination_instance_ids": "[0] is the source instance [2] repeats destinationInstanceIds[0]",
		"policies.user_mapping":    `["x"] not a UID`,
	}
	if !maps.Equal(got, want) {
		t.Errorf("formErrors = %q, want %q", got, want)
	}
	if formErrors(nil) != nil {
		t.Error("no violations should give no errors")
	}
}
