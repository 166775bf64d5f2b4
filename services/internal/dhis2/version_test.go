package dhis2

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

func TestParseVersion(t *testing.T) {
	cases := []struct {
		in   string
		want Version
		str  string
	}{
		{"2.40", Version{Major: 2, Minor: 40}, "2.40.0"},
		{"2.40.3", Version{Major: 2, Minor: 40, Patch: 3}, "2.40.3"},
		{"2.41-SNAPSHOT", Version{Major: 2, Minor: 41, Snapshot: true}, "2.41.0-SNAPSHOT"},
		{"2.39.1.1", Version{Major: 2, Minor: 39, Patch: 1, Hotfix: 1}, "2.39.1.1"},
		{" v2.42.0-rc1 ", Version{Major: 2, Minor: 42}, "2.42.0"},
		{"2.36.13-EMBARGOED", Version{Major: 2, Minor: 36, Patch: 13}, "2.36.13"},
	}
	for _, tc := range cases {
		got, err := ParseVersion(tc.in)
		if err != nil || got != tc.want || got.String() != tc.str {
			t.Errorf("ParseVersion(%q) = %v (%s), %v; want %v", tc.in, got, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "two", "2", "abc.def", "99999999999999999999.1"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) succeeded", bad)
		}
	}
}

func TestVersionCompare(t *testing.T) {
	order := []string{"2.35.9", "2.36.0", "2.36.1", "2.39.1", "2.39.1.1", "2.40-SNAPSHOT", "2.40.0", "2.40.10", "2.41.0", "2.42.3"}
	for i := range order {
		for j := range order {
			a, b := MustParseVersion(order[i]), MustParseVersion(order[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := a.Compare(b); got != want {
				t.Errorf("%s vs %s = %d, want %d", a, b, got, want)
			}
		}
	}
	if !MustParseVersion("2.36.0").Supported() || !MustParseVersion("2.42.9").Supported() ||
		MustParseVersion("2.35.0").Supported() || MustParseVersion("2.43.0").Supported() {
		t.Error("supported range is 2.36–2.42")
	}
	b, _ := json.Marshal(MustParseVersion("2.41.2"))
	var v Version
	if err := json.Unmarshal(b, &v); err != nil || v != MustParseVersion("2.41.2") {
		t.Errorf("JSON round trip: %s %v %v", b, v, err)
	}
}

func TestParseSystemInfoSamples(t *testing.T) {
	cases := []struct {
		file    string
		version string
		date    time.Time
		name    string
	}{
		{"system_info_2.34.0_recorded_nonsuperuser.json", "2.34.0", time.Date(2020, 6, 25, 16, 23, 50, 756e6, time.UTC), "DHIS 2 Demo - Sierra Leone"},
		{"system_info_android_sdk_fixture.json", "2.35.0", time.Date(2017, 11, 29, 11, 27, 46, 935e6, time.UTC), "DHIS 2 Demo - Sierra Leone"},
		// The docs sample repeats serverDate; the last one wins, as in Jackson.
		{"system_info_docs_example.json", "2.13.0-SNAPSHOT", time.Date(2013, 9, 2, 12, 35, 54, 311e6, time.UTC), ""},
	}
	for _, tc := range cases {
		var raw map[string]json.RawMessage
		b, err := os.ReadFile("testdata/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		info, err := ParseSystemInfo(raw)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if info.Version.String() != tc.version || !info.ServerDate.Equal(tc.date) || info.SystemName != tc.name {
			t.Errorf("%s: %s %v %q", tc.file, info.Version, info.ServerDate, info.SystemName)
		}
	}
}

func TestFormatTimeRoundTrip(t *testing.T) {
	tm := time.Date(2024, 2, 29, 23, 59, 58, 123e6, time.UTC)
	s := FormatTime(tm, nil)
	back, err := ParseTime(s, time.UTC)
	if s != "2024-02-29T23:59:58.123" || err != nil || !back.Equal(tm) {
		t.Fatalf("%q %v %v", s, back, err)
	}
}
