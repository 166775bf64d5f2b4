package dhis2

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzSystemInfo: /api/system/info from any server (a proxy, another application, a hostile host) never makes
// the parser panic, and what it accepts has a version dhis2sync can compare.
func FuzzSystemInfo(f *testing.F) {
	for _, name := range []string{"system_info_docs_example.json", "system_info_2.34.0_recorded_nonsuperuser.json", "system_info_android_sdk_fixture.json"} {
		f.Add(readSample(f, name))
	}
	for _, s := range []string{`{"version":"2.41.1"}`, `{"version":"2.42-SNAPSHOT","serverDate":"2024-01-01T00:00:00"}`,
		`{"version":2.40}`, `{"version":"v2.40.3.1-rc2","serverDate":12}`, `{"version":"","revision":null}`, `[]`, `"2.41"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw map[string]json.RawMessage
		if json.Unmarshal(data, &raw) != nil {
			return
		}
		info, err := ParseSystemInfo(raw)
		if err != nil {
			return
		}
		if info.VersionString == "" {
			t.Fatal("accepted a system info without a version")
		}
		_ = info.Version.String()
		_ = CapabilitiesFor(info.Version)
	})
}

// FuzzNormalizeBaseURL: any text an administrator pastes either gets a clear refusal or becomes a base URL that
// is http(s), carries no credentials, query or /api suffix, and normalises to itself.
func FuzzNormalizeBaseURL(f *testing.F) {
	for _, s := range []string{"https://play.dhis2.org/40", "hmis.example.org", "ftp://x", "https://user:pw@h/", "https://h/api/40/",
		"http://[::1]:8080/dhis", "https://h/dhis/api", " https://H.example.ORG/ ", "https://h?x=1", "https://h/a b", "https://%zz",
		"http://h:99999", "https://h/api/api"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := NormalizeBaseURL(raw)
		if err != nil {
			if !strings.Contains(err.Error(), "base URL") && !strings.Contains(err.Error(), "credentials") {
				t.Fatalf("refusal that does not say what is wrong: %v", err)
			}
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("accepted %q as %q", raw, u)
		}
		if apiSuffix.MatchString(u.Path) || strings.HasSuffix(u.Path, "/") {
			t.Fatalf("%q keeps an /api suffix or a trailing slash: %q", raw, u)
		}
		again, err := NormalizeBaseURL(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("%q normalises to %q, which normalises to %v (%v)", raw, u, again, err)
		}
	})
}
