package dhis2sim

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("status=503@/api/dataValueSets,after=2,times=1; delay=2s@POST /api/metadata;drop@/api/tracker/*,p=0.5;html;truncate@/api/dataElements")
	if err != nil {
		t.Fatal(err)
	}
	if len(f) != 5 || f[0].Status != 503 || f[0].After != 2 || f[0].Times != 1 || f[1].Method != "POST" ||
		f[1].Delay != 2*time.Second || f[2].Probability != 0.5 || f[3].Pattern != "" || f[4].Action != "truncate" {
		t.Fatalf("parsed %+v", f)
	}
	for _, bad := range []string{"status=99", "delay=x", "explode", "drop=1", "status=500,p=2", "status=500,foo=1"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	again, err := ParseFaults(f[0].String() + ";" + f[1].String())
	if err != nil || again[0] != f[0] || again[1] != f[1] {
		t.Fatalf("round trip %v %v", again, err)
	}
}

func TestFaultsFire(t *testing.T) {
	s, c := newClient(t, "2.41.0")
	faults, _ := ParseFaults("status=503@/api/system/info,after=1,times=2;html@/api/me")
	s.SetFaults(faults)
	var codes []int
	for i := 0; i < 4; i++ {
		code, _, _ := c.do("GET", "/api/system/info", nil)
		codes = append(codes, code)
	}
	if got := []int{200, 503, 503, 200}; !equalInts(codes, got) {
		t.Fatalf("codes %v, want %v", codes, got)
	}
	code, body, h := c.do("GET", "/api/me", nil)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "loginForm") {
		t.Fatalf("html fault: %d %s", code, h.Get("Content-Type"))
	}
	if s.Stats().FaultsFired != 3 {
		t.Fatalf("faults fired %d", s.Stats().FaultsFired)
	}
}

func TestFaultsDropAndTruncate(t *testing.T) {
	s, c := newClient(t, "2.41.0")
	s.SetFaults([]Fault{{Action: "drop", Pattern: "/api/system/ping"}, {Action: "truncate", Pattern: "/api/system/info"}})
	req, _ := http.NewRequest("GET", c.base+"/api/system/ping", nil)
	req.SetBasicAuth("admin", "district")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection answered %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("GET", c.base+"/api/system/info", nil)
	req.SetBasicAuth("admin", "district")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatalf("truncated body read without error")
	}
}

func TestFaultProbabilityDeterministic(t *testing.T) {
	run := func() []int {
		s, c := newClient(t, "2.41.0")
		s.SetFaults([]Fault{{Action: "status", Status: 500, Probability: 0.5}})
		var out []int
		for i := 0; i < 20; i++ {
			code, _, _ := c.do("GET", "/api/system/ping", nil)
			out = append(out, code)
		}
		return out
	}
	a, b := run(), run()
	if !equalInts(a, b) {
		t.Fatalf("not deterministic: %v vs %v", a, b)
	}
	n := 0
	for _, c := range a {
		if c == 500 {
			n++
		}
	}
	if n == 0 || n == 20 {
		t.Fatalf("probability 0.5 fired %d/20", n)
	}
}

func TestAdminEndpoints(t *testing.T) {
	_, c := newClient(t, "2.41.0")
	admin := &client{t: t, base: c.base}
	if code, _, _ := admin.do("POST", "/__sim/faults", "status=502@/api/system/ping"); code != 200 {
		t.Fatalf("set faults %d", code)
	}
	if code, _, _ := c.do("GET", "/api/system/ping", nil); code != 502 {
		t.Fatalf("fault not active: %d", code)
	}
	m := admin.json("GET", "/__sim/faults", nil, 200)
	if m["spec"] != "status=502@/api/system/ping" {
		t.Fatalf("faults %v", m)
	}
	if code, _, _ := admin.do("POST", "/__sim/faults", "bogus"); code != 400 {
		t.Fatalf("bad spec accepted: %d", code)
	}
	admin.do("DELETE", "/__sim/faults", nil)
	if code, _, _ := c.do("GET", "/api/system/ping", nil); code != 200 {
		t.Fatalf("fault not cleared: %d", code)
	}
	st := admin.json("GET", "/__sim/stats", nil, 200)
	if dig(st, "requests", "GET /api/system/ping") != float64(2) {
		t.Fatalf("stats %v", st)
	}
}

func TestCostModelEstimate(t *testing.T) {
	c, err := ParseCostModel("2.41")
	if err != nil {
		t.Fatal(err)
	}
	one := c.Estimate(EndpointDataValuesImport, 10_000, 1)
	if want := 100*time.Millisecond + 10_000*300*time.Microsecond; one != want {
		t.Fatalf("estimate %v, want %v", one, want)
	}
	four := c.Estimate(EndpointDataValuesImport, 10_000, 4)
	if ratio := float64(four) / float64(one); ratio < 2.2 || ratio > 2.3 {
		t.Fatalf("contention at 4: %.2f, want 4/1.8", ratio)
	}
	if serial := c.Estimate(EndpointMetadataImport, 10, 3); serial != 3*c.Estimate(EndpointMetadataImport, 10, 1) {
		t.Fatalf("metadata import must be serial: %v", serial)
	}
	// Four streams finish 100k values 1.8× faster than one.
	t1 := c.EstimateTotal(EndpointDataValuesImport, 100_000, 10_000, 1)
	t4 := c.EstimateTotal(EndpointDataValuesImport, 100_000, 10_000, 4)
	if r := float64(t1) / float64(t4); r < 1.7 || r > 1.9 {
		t.Fatalf("speedup %.2f", r)
	}
	fast, _ := ParseCostModel("2.41*0.1")
	if fast.Estimate(EndpointDataValuesImport, 10_000, 1) != one/10 {
		t.Fatalf("scaled profile")
	}
	none, _ := ParseCostModel("none")
	if !none.IsZero() || none.Estimate(EndpointDataValuesImport, 1e6, 8) != 0 {
		t.Fatalf("none model adds time")
	}
	if _, err := ParseCostModel("2.99"); err == nil {
		t.Fatalf("unknown profile accepted")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
