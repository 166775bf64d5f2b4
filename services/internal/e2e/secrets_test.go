package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// recordingTransport keeps every response body the REST client receives.
type recordingTransport struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, nil
}

// secretScanner looks for secrets as written, base64-encoded (as in a Basic header) and hex-encoded, inside
// gzip members too (batches are compressed).
type secretScanner struct {
	needles map[string][]byte // form → bytes
	hits    []string
}

func newSecretScanner(user string, secrets ...string) *secretScanner {
	s := &secretScanner{needles: map[string][]byte{}}
	for _, v := range secrets {
		s.needles[v] = []byte(v)
		s.needles["base64("+v+")"] = []byte(base64.StdEncoding.EncodeToString([]byte(v)))
		s.needles["basic("+user+":"+v+")"] = []byte(base64.StdEncoding.EncodeToString([]byte(user + ":" + v)))
		s.needles["hex("+v+")"] = []byte(hex.EncodeToString([]byte(v)))
	}
	return s
}

func (s *secretScanner) scan(where string, data []byte) {
	for name, needle := range s.needles {
		if bytes.Contains(data, needle) {
			s.hits = append(s.hits, fmt.Sprintf("%s holds %s", where, name))
		}
	}
	// Look inside every gzip member the data carries.
	for i := bytes.Index(data, []byte{0x1f, 0x8b}); i >= 0; {
		if zr, err := gzip.NewReader(bytes.NewReader(data[i:])); err == nil {
			if plain, err := io.ReadAll(io.LimitReader(zr, 256<<20)); err == nil || len(plain) > 0 {
				s.scan(where+" (gunzipped)", plain)
			}
		}
		next := bytes.Index(data[i+2:], []byte{0x1f, 0x8b})
		if next < 0 {
			break
		}
		i += 2 + next
	}
}

// TestNoSecretAnywhere runs syncs with failures (a flaky destination, a wrong password, a job to a destination
// that refuses its credentials) and then looks for every DHIS2 password and token in every table of every
// schema, every service log, every NATS message (caught live and read back from every stream) and every REST
// answer: there must be none.
func TestNoSecretAnywhere(t *testing.T) {
	st := Start(t)
	secret := func(prefix string) string {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		return prefix + hex.EncodeToString(b)
	}
	srcToken := "d2pat_" + secret("")
	dstPassword := secret("Dst-pw-")
	wrongPassword := secret("Wrong-pw-")
	src := StartSim(t, "2.40.1", "--seed", "demo", "--scale", "small", "--events", "0", "--tracked-entities", "0", "--token", srcToken)
	dst := StartSim(t, "2.41.0", "--password", dstPassword)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// Every NATS message, as it is published.
	nc, err := nats.Connect(st.NATSURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var natsMu sync.Mutex
	var live [][]byte
	sub, err := nc.Subscribe(">", func(m *nats.Msg) {
		natsMu.Lock()
		live = append(live, append([]byte(m.Subject+" "), m.Data...))
		natsMu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}

	rec := &recordingTransport{}
	c, err := apiclient.New(st.GatewayURL, &http.Client{Transport: rec}).SignIn(ctx, st.AdminUser, st.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	register := func(name, url string, req *instancev1.CreateInstanceRequest) string {
		req.Name, req.BaseUrl = name, url
		in, err := c.CreateInstance(ctx, req)
		if err != nil {
			t.Fatalf("register %s: %v", name, err)
		}
		if _, err := c.TestInstance(ctx, in.GetId()); err != nil {
			t.Fatalf("test %s: %v", name, err)
		}
		return in.GetId()
	}
	srcID := register("Source", src.URL, &instancev1.CreateInstanceRequest{Token: srcToken, IsSource: true})
	dstID := register("Destination", dst.URL, &instancev1.CreateInstanceRequest{Username: "admin", Password: dstPassword, IsDestination: true})
	badID := register("Destination with a wrong password", dst.URL+"/", &instancev1.CreateInstanceRequest{Username: "admin", Password: wrongPassword, IsDestination: true})

	// A flaky destination: one import in five fails and is retried.
	dst.SetFaults("status=500@POST /api/*,p=0.2")
	cfg, err := c.CreateConfig(ctx, &configv1.Config{Name: "Secrets", SyncType: configv1.SyncType_SYNC_TYPE_BOTH, SourceInstanceId: srcID, DestinationInstanceIds: []string{dstID}})
	if err != nil {
		t.Fatal(err)
	}
	job := runJob(ctx, t, c, cfg.GetId(), false)
	dst.SetFaults("")
	t.Logf("flaky job: %s", job.GetStatus())
	// A job whose destination refuses the credentials: it fails, with logs.
	bad, err := c.CreateConfig(ctx, &configv1.Config{Name: "Refused", SyncType: configv1.SyncType_SYNC_TYPE_METADATA, SourceInstanceId: srcID, DestinationInstanceIds: []string{badID}})
	if err != nil {
		t.Fatal(err)
	}
	badJob, err := c.LaunchConfig(ctx, &orchestratorv1.LaunchConfigRequest{ConfigId: bad.GetId(), DryRun: false})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		j, err := c.GetJob(ctx, badJob.GetId())
		if err != nil {
			t.Fatal(err)
		}
		if apiclient.Final(j.GetStatus()) || j.GetStatus().String() == "JOB_STATUS_RETRYING" {
			t.Logf("refused job: %s (%s)", j.GetStatus(), j.GetMessage())
			break
		}
	}
	// Everything an operator may read back.
	for _, path := range []string{"/api/v1/instances", "/api/v1/configs", "/api/v1/jobs", "/api/v1/audit",
		"/api/v1/jobs/" + job.GetId() + "/logs", "/api/v1/jobs/" + badJob.GetId() + "/logs",
		"/api/v1/instances/" + srcID, "/api/v1/instances/" + dstID, "/api/v1/instances/" + badID} {
		if err := c.Do(ctx, http.MethodGet, path, nil, nil); err != nil {
			t.Errorf("GET %s: %v", path, err)
		}
	}
	_ = sub.Drain()

	// The scanner itself must see a secret hidden the way a leak would hide it: a Basic header, gzip-compressed.
	probe := newSecretScanner("admin", "probe-secret")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("admin:probe-secret"))))
	_ = zw.Close()
	if probe.scan("probe", append([]byte("batch header "), gz.Bytes()...)); len(probe.hits) == 0 {
		t.Fatal("the scanner misses a gzip-compressed Basic header")
	}

	scan := newSecretScanner("admin", srcToken, dstPassword, wrongPassword)
	natsMu.Lock()
	for i, m := range live {
		scan.scan(fmt.Sprintf("NATS message %d (%.60s)", i, m), m)
	}
	t.Logf("scanned %d live NATS messages", len(live))
	natsMu.Unlock()

	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	streams, stored := 0, 0
	for name := range js.StreamNames(ctx).Name() {
		streams++
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
			m, err := s.GetMsg(ctx, seq)
			if err != nil {
				continue // deleted
			}
			stored++
			scan.scan(fmt.Sprintf("stream %s message %d", name, seq), m.Data)
			for k, v := range m.Header {
				scan.scan(fmt.Sprintf("stream %s message %d header %s", name, seq, k), []byte(strings.Join(v, " ")))
			}
		}
	}
	t.Logf("scanned %d stored messages in %d streams", stored, streams)
	if streams == 0 || stored == 0 {
		t.Error("no NATS stream or message to scan")
	}

	db, err := sqlx.Open("postgres", st.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables []struct {
		Schema string `db:"table_schema"`
		Name   string `db:"table_name"`
	}
	if err := db.SelectContext(ctx, &tables, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, tb := range tables {
		var texts []string
		q := fmt.Sprintf(`SELECT t::text FROM %s.%s t`, pq.QuoteIdentifier(tb.Schema), pq.QuoteIdentifier(tb.Name))
		if err := db.SelectContext(ctx, &texts, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for i, row := range texts {
			scan.scan(fmt.Sprintf("table %s.%s row %d", tb.Schema, tb.Name, i), []byte(row))
			// bytea columns appear as \x… hex: decode them too.
			for _, part := range strings.Split(row, `\\x`) {
				if b, err := hex.DecodeString(strings.TrimRight(strings.SplitN(part, `"`, 2)[0], ",)")); err == nil && len(b) > 0 {
					scan.scan(fmt.Sprintf("table %s.%s row %d (bytea)", tb.Schema, tb.Name, i), b)
				}
			}
		}
		rows += len(texts)
	}
	t.Logf("scanned %d rows in %d tables", rows, len(tables))

	for _, path := range st.LogFiles() {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		scan.scan("log "+path, b)
	}
	rec.mu.Lock()
	for i, b := range rec.bodies {
		scan.scan(fmt.Sprintf("REST answer %d", i), b)
	}
	t.Logf("scanned %d log files and %d REST answers", len(st.LogFiles()), len(rec.bodies))
	rec.mu.Unlock()

	for _, h := range scan.hits {
		t.Error(h)
	}
}
