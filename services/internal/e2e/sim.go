package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Sim is a dhis2sim process: a simulated DHIS2 reached over HTTP like a real one.
type Sim struct {
	URL     string
	Version string
	t       testing.TB
}

// StartSim runs .bin/dhis2sim with the given version and extra flags (e.g. "--seed", "demo", "--scale",
// "medium") and stops it when the test ends.
func StartSim(t testing.TB, version string, args ...string) *Sim {
	t.Helper()
	addr := FreeAddr(t)
	logPath := filepath.Join(t.TempDir(), "dhis2sim.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(Bin(t), "dhis2sim"), append([]string{"--addr", addr, "--version", version}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(120 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			t.Fatalf("dhis2sim %s exited at start:\n%s", version, tail(logPath, 30))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("dhis2sim %s did not listen within 120 s", version)
		}
	}
	return &Sim{URL: "http://" + addr, Version: version, t: t}
}

// Do sends a request to the simulated DHIS2 as its superuser and decodes the JSON answer into out.
func (s *Sim) Do(method, path string, in, out any) int {
	s.t.Helper()
	var body io.Reader
	if in != nil {
		b, ok := in.([]byte)
		if !ok {
			var err error
			if b, err = json.Marshal(in); err != nil {
				s.t.Fatal(err)
			}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.SetBasicAuth("admin", "district")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			s.t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, truncate(data), err)
		}
	}
	return resp.StatusCode
}

// SetFaults replaces the simulator's injected faults (dhis2sim's fault spec syntax); "" removes them.
func (s *Sim) SetFaults(spec string) {
	s.t.Helper()
	method, body := http.MethodPost, io.Reader(strings.NewReader(spec))
	if spec == "" {
		method, body = http.MethodDelete, nil
	}
	req, err := http.NewRequest(method, s.URL+"/__sim/faults", body)
	if err != nil {
		s.t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("set faults %q: %v", spec, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("set faults %q: HTTP %d", spec, resp.StatusCode)
	}
}

// Count returns how many objects of a type the simulated DHIS2 lists.
func (s *Sim) Count(plural string) int {
	var out struct {
		Pager struct {
			Total int `json:"total"`
		} `json:"pager"`
	}
	if code := s.Do(http.MethodGet, "/api/"+plural+"?fields=id&pageSize=1", nil, &out); code != http.StatusOK {
		s.t.Fatalf("count %s: HTTP %d", plural, code)
	}
	return out.Pager.Total
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return fmt.Sprintf("%s… (%d bytes)", b[:600], len(b))
	}
	return string(b)
}
