// Package e2e runs dhis2sync as a user runs it: the real binaries from .bin/ (DHIS2SYNC_BIN), each in its own
// process, against real PostgreSQL and NATS JetStream, driven through the gateway's public REST API.
package e2e

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
	"github.com/dhis2sync/dhis2sync/services/platform/testenv"
)

// BinEnv names the directory holding the built binaries (make test sets it to .bin).
const BinEnv = "DHIS2SYNC_BIN"

// Services in start order.
var Services = []string{"instance-registry", "config", "orchestrator", "extractor", "loader", "gateway"}

// Stack is a running set of dhis2sync processes.
type Stack struct {
	t             testing.TB
	Bin           string
	DatabaseURL   string
	NATSURL       string
	GatewayURL    string
	AdminUser     string
	AdminPassword string
	Addrs         map[string]string // by service, plus settings.GatewayGRPC for the public gRPC API
	DataDir       string
	IdentityDir   string // the stack's service certificates (grpcx.LoadIdentity)
	procs         map[string]*proc
	logs          map[string]string
	allLogs       []string
	env           []string
}

// Bin returns the binary directory, skipping the test when it is not set (failing under CI).
func Bin(t testing.TB) string {
	t.Helper()
	return testenv.Require(t, BinEnv, "end-to-end test", "make test builds the binaries and sets it")
}

// Start starts the named services (all of Services when none are named) on free loopback ports with a scratch
// database and an embedded NATS server, and stops them when the test ends.
func Start(t testing.TB, services ...string) *Stack {
	t.Helper()
	return StartWith(t, Infra{}, services...)
}

// StartWithEnv is Start with extra environment variables (NAME=value) for every service.
func StartWithEnv(t testing.TB, env []string, services ...string) *Stack {
	t.Helper()
	return StartWith(t, Infra{Env: env}, services...)
}

// Infra names the PostgreSQL and NATS a stack uses and extra environment variables (NAME=value) for every
// service; empty fields get a scratch database on DHIS2SYNC_TEST_DATABASE_URL and an in-process NATS server.
// Fault tests pass their own, run as processes they can kill.
type Infra struct {
	DatabaseURL string
	NATSURL     string
	Env         []string
}

// StartWith is Start on the given infrastructure.
func StartWith(t testing.TB, infra Infra, services ...string) *Stack {
	t.Helper()
	if len(services) == 0 {
		services = Services
	}
	if infra.DatabaseURL == "" {
		infra.DatabaseURL = testenv.Postgres(t)
	}
	if infra.NATSURL == "" {
		infra.NATSURL = testenv.NATS(t)
	}
	s := &Stack{
		t: t, Bin: Bin(t), DatabaseURL: infra.DatabaseURL, NATSURL: infra.NATSURL,
		AdminUser: "admin", AdminPassword: randomString(12),
		Addrs: map[string]string{}, procs: map[string]*proc{}, logs: map[string]string{},
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	for _, svc := range append([]string{"frontend", settings.GatewayGRPC}, Services...) {
		s.Addrs[svc] = FreeAddr(t)
	}
	// Every process finds its service identity in the data directory, as under make up.
	s.DataDir = t.TempDir()
	s.IdentityDir = filepath.Join(s.DataDir, "identity")
	if err := grpcx.IssueIdentities(s.IdentityDir, settings.GRPCServices); err != nil {
		t.Fatalf("service identities: %v", err)
	}
	s.GatewayURL = "http://" + s.Addrs["gateway"]
	s.env = append(os.Environ(),
		"DHIS2SYNC_DATABASE_URL="+s.DatabaseURL,
		"DHIS2SYNC_NATS_URL="+s.NATSURL,
		"DHIS2SYNC_DATA_DIR="+s.DataDir,
		"DHIS2SYNC_SECRET_KEY="+base64.StdEncoding.EncodeToString(key),
		"DHIS2SYNC_ADMIN_USER="+s.AdminUser,
		"DHIS2SYNC_ADMIN_PASSWORD="+s.AdminPassword,
		"DHIS2SYNC_GATEWAY_URL="+s.GatewayURL,
		"LOG_LEVEL=debug",
	)
	s.env = append(s.env, infra.Env...)
	for svc, addr := range s.Addrs {
		s.env = append(s.env, "DHIS2SYNC_"+strings.ToUpper(strings.ReplaceAll(svc, "-", "_"))+"_ADDR="+addr)
	}
	t.Cleanup(s.stopAll)
	for _, svc := range services {
		s.StartService(svc)
	}
	return s
}

// StartService starts (or restarts) one service and waits until it listens.
func (s *Stack) StartService(svc string) {
	s.t.Helper()
	path := filepath.Join(s.Bin, svc)
	if _, err := os.Stat(path); err != nil {
		s.t.Fatalf("%s is not built (%v): run make build", svc, err)
	}
	logPath := filepath.Join(s.t.TempDir(), svc+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(path)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", svc, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	s.procs[svc], s.logs[svc] = p, logPath
	s.allLogs = append(s.allLogs, logPath)
	go func() { p.err = cmd.Wait(); logFile.Close(); close(p.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.DialTimeout("tcp", s.Addrs[svc], 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		select {
		case <-p.done:
			s.t.Fatalf("%s exited at start (%v); its log:\n%s", svc, p.err, tail(logPath, 40))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s did not listen on %s within 30 s; its log:\n%s", svc, s.Addrs[svc], tail(logPath, 40))
		}
	}
}

// proc is a started service process; done is closed when it has exited.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Kill stops a service abruptly (SIGKILL), as a crash would, and waits for it to be gone.
func (s *Stack) Kill(svc string) {
	if p := s.procs[svc]; p != nil {
		_ = p.cmd.Process.Kill()
		<-p.done
		delete(s.procs, svc)
	}
}

// Restart kills a service (SIGKILL) and starts it again.
func (s *Stack) Restart(svc string) {
	s.t.Helper()
	s.Kill(svc)
	s.StartService(svc)
}

// LogFiles returns the path of every log file the stack's services wrote, restarts included.
func (s *Stack) LogFiles() []string { return append([]string(nil), s.allLogs...) }

// Client returns a REST client signed in as the first admin.
func (s *Stack) Client(ctx context.Context) *apiclient.Client {
	s.t.Helper()
	c, err := apiclient.New(s.GatewayURL, nil).SignIn(ctx, s.AdminUser, s.AdminPassword)
	if err != nil {
		s.t.Fatalf("login as %s: %v", s.AdminUser, err)
	}
	return c
}

// Log returns the log of a service so far.
func (s *Stack) Log(svc string) string { return tail(s.logs[svc], 1<<20) }

func (s *Stack) stopAll() {
	for svc, p := range s.procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if s.t.Failed() {
			s.t.Logf("--- %s log (last lines) ---\n%s", svc, tail(s.logs[svc], 60))
		}
	}
}

// FreeAddr returns a loopback address with a port free at the time of the call.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.NewReplacer("/", "x", "+", "y", "=", "").Replace(base64.StdEncoding.EncodeToString(b))[:n]
}
