//go:build faults

package faults

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/services/internal/e2e"
)

// natsd is .bin/natsd run as a process, so that it can be killed and restarted on the same port and store.
type natsd struct {
	t     testing.TB
	addr  string
	store string
	cmd   *exec.Cmd
	done  chan struct{}
}

func startNATSD(t testing.TB) *natsd {
	t.Helper()
	n := &natsd{t: t, addr: e2e.FreeAddr(t), store: t.TempDir()}
	n.start()
	t.Cleanup(func() { n.stop(syscall.SIGTERM) })
	return n
}

func (n *natsd) URL() string { return "nats://" + n.addr }

func (n *natsd) start() {
	n.t.Helper()
	logf, err := os.OpenFile(filepath.Join(n.store, "natsd.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	n.cmd = exec.Command(filepath.Join(e2e.Bin(n.t), "natsd"), "-addr", n.addr, "-store-dir", filepath.Join(n.store, "js"))
	n.cmd.Env = append(os.Environ(), "DHIS2SYNC_DATA_DIR="+n.store)
	n.cmd.Stdout, n.cmd.Stderr = logf, logf
	if err := n.cmd.Start(); err != nil {
		n.t.Fatalf("start natsd: %v", err)
	}
	done := make(chan struct{})
	n.done = done
	go func(c *exec.Cmd) { _ = c.Wait(); logf.Close(); close(done) }(n.cmd)
	waitPort(n.t, n.addr, 30*time.Second, "natsd")
}

func (n *natsd) stop(sig syscall.Signal) {
	if n.cmd == nil {
		return
	}
	_ = n.cmd.Process.Signal(sig)
	select {
	case <-n.done:
	case <-time.After(15 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	n.cmd = nil
}

// Restart kills NATS (SIGKILL) and starts it again on the same port and JetStream store.
func (n *natsd) Restart() {
	n.stop(syscall.SIGKILL)
	n.start()
}

// postgres is a private PostgreSQL cluster in a temporary directory, started with the server binaries of the
// Debian package (as deploy/infra.sh does), so that the test may stop and start it.
type postgres struct {
	t    testing.TB
	bin  string
	dir  string
	port int
	as   []string // runuser prefix when running as root: initdb refuses root
}

func startPostgres(t testing.TB) *postgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		t.Fatalf("PostgreSQL server binaries not found under /usr/lib/postgresql: install Debian's postgresql package")
	}
	sort.Strings(bins)
	p := &postgres{t: t, bin: filepath.Dir(bins[len(bins)-1])}
	_, portStr, _ := net.SplitHostPort(e2e.FreeAddr(t))
	p.port, _ = strconv.Atoi(portStr)
	// Not t.TempDir(): the postgres user must be able to enter it.
	dir, err := os.MkdirTemp("", "dhis2sync-faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	t.Cleanup(func() { p.ctl("stop", "-m", "immediate"); os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres user to own the cluster: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		p.as = []string{"runuser", "-u", "postgres", "--"}
	}
	if out, err := p.cmd(filepath.Join(p.bin, "initdb"), "-D", filepath.Join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.ctl("start")
	return p
}

func (p *postgres) cmd(name string, args ...string) *exec.Cmd {
	all := append(append(append([]string(nil), p.as...), name), args...)
	return exec.Command(all[0], all[1:]...)
}

func (p *postgres) ctl(action string, args ...string) {
	p.t.Helper()
	a := []string{"-D", filepath.Join(p.dir, "data"), "-w", "-t", "60"}
	if action == "start" {
		a = append(a, "-l", filepath.Join(p.dir, "server.log"),
			"-o", fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=300", p.port, p.dir))
	}
	a = append(append(a, args...), action)
	if out, err := p.cmd(filepath.Join(p.bin, "pg_ctl"), a...).CombinedOutput(); err != nil && action != "stop" {
		p.t.Fatalf("pg_ctl %s: %v\n%s", action, err, out)
	}
}

// URL is the maintenance DSN of the cluster.
func (p *postgres) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port)
}

// Crash stops PostgreSQL as a power cut would (immediate shutdown: no checkpoint, recovery at the next start),
// waits down seconds, then starts it again.
func (p *postgres) Crash(down time.Duration) {
	p.ctl("stop", "-m", "immediate")
	time.Sleep(down)
	p.ctl("start")
}

func waitPort(t testing.TB, addr string, within time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not listen on %s within %s", what, addr, within)
}
