package dhis2sim

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Options configure a simulated DHIS2 server.
type Options struct {
	Version            string // "2.41.0"; required
	Username, Password string // default "admin"/"district"
	Token              string // accepted personal access token (2.37+), optional
	Cost               CostModel
	Faults             []Fault
	Seed               int64 // fault randomness and generated UIDs/COCs
	Logger             *slog.Logger
	TB                 testing.TB // when set, any request the simulator does not model fails the test
	// Users are further accounts; non-superusers get the reduced /api/system/info and 403 where DHIS2
	// requires the ALL authority.
	Users []Account
	// Clock overrides time.Now for server-managed timestamps.
	Clock func() time.Time
}

// Account is a user the simulator accepts with Basic authentication.
type Account struct {
	Username, Password string
	Superuser          bool
}

// Server is an in-memory DHIS2. It is safe for concurrent use.
type Server struct {
	opts    Options
	version Version
	schemas *SchemaSet
	log     *slog.Logger
	now     func() time.Time

	mu     sync.RWMutex
	meta   *metaStore
	values *valueStore
	track  *trackerStore
	rng    *rand.Rand // UIDs; guarded by mu

	tasks *taskRegistry

	faultMu   sync.Mutex
	faults    []Fault
	faultRng  *rand.Rand
	faultSeen map[int]int

	stats    statsCounter
	inflight sync.Map // endpoint class -> *atomic.Int64
}

const (
	adminUID     = "xE7jOejl9FI"
	adminRoleUID = "yrB6vc5Ip3r"
)

// New creates a simulated DHIS2 with the default objects every DHIS2 has (the "default" category model,
// the admin user and the superuser role).
func New(opts Options) (*Server, error) {
	v, err := ParseVersion(opts.Version)
	if err != nil {
		return nil, err
	}
	ss, err := LoadSchemas(v)
	if err != nil {
		return nil, err
	}
	if opts.Username == "" {
		opts.Username = "admin"
	}
	if opts.Password == "" {
		opts.Password = "district"
	}
	if opts.Token != "" && !strings.HasPrefix(opts.Token, "d2pat_") {
		return nil, fmt.Errorf("token %q: personal access tokens start with d2pat_", opts.Token)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Clock
	if now == nil {
		now = time.Now
	}
	s := &Server{
		opts: opts, version: v, schemas: ss, log: log, now: now,
		meta:      newMetaStore(),
		values:    newValueStore(),
		track:     newTrackerStore(),
		rng:       rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed)),
		tasks:     newTaskRegistry(),
		faultRng:  rand.New(rand.NewPCG(uint64(opts.Seed), 0xfa17)),
		faultSeen: map[int]int{},
	}
	s.faults = append([]Fault(nil), opts.Faults...)
	s.stats.init()
	s.seedDefaults()
	return s, nil
}

// Version returns the simulated version.
func (s *Server) Version() Version { return s.version }

// Schemas returns the schema set of the simulated version.
func (s *Server) Schemas() *SchemaSet { return s.schemas }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/__sim/") {
		s.serveAdmin(w, r)
		return
	}
	s.stats.request(statsKey(r))
	if s.applyFaults(w, r) {
		return
	}
	w, finish := maybeGzip(w, r)
	defer finish()
	s.serveDHIS2(w, r)
}

// req carries what every handler needs about one request.
type req struct {
	w          http.ResponseWriter
	r          *http.Request
	apiVersion int
	path       string // path below /api[/NN], without leading slash
	account    Account
	endpoint   string // stats key, e.g. "GET /api/dataValueSets"
}

func (q *req) ctx() context.Context { return q.r.Context() }

func (s *Server) serveDHIS2(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if s.isLoginPage(p) {
		s.serveLoginPage(w, r)
		return
	}
	if p != "/api" && !strings.HasPrefix(p, "/api/") {
		s.unmodelled(w, r)
		return
	}
	q := &req{w: w, r: r, apiVersion: s.version.DefaultAPIVersion(), path: strings.Trim(strings.TrimPrefix(p, "/api"), "/")}
	if first, rest, _ := strings.Cut(q.path, "/"); len(first) == 2 && isDigits(first) {
		n, _ := strconv.Atoi(first)
		if n < minAPIVersion || n > s.version.MaxAPIVersion() {
			// DhisApiVersion has no such version: DHIS2 answers 404 (a modelled answer, not a gap).
			writeWebMessage(w, http.StatusNotFound, "ERROR", "", "", nil)
			return
		}
		q.apiVersion, q.path = n, rest
	}
	q.path = strings.TrimSuffix(q.path, ".json")
	acct, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	q.account = acct
	q.endpoint = r.Method + " /api/" + endpointPattern(q.path)
	s.route(q)
}

// statsKey names the endpoint of a request for Stats: method plus path with API version and ids generalised.
func statsKey(r *http.Request) string {
	p := strings.Trim(strings.TrimPrefix(r.URL.Path, "/api"), "/")
	if first, rest, _ := strings.Cut(p, "/"); len(first) == 2 && isDigits(first) {
		p = rest
	}
	return r.Method + " /api/" + endpointPattern(strings.TrimSuffix(p, ".json"))
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// endpointPattern replaces UIDs and job ids in a path with {id} so stats group by endpoint.
func endpointPattern(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if i > 0 && (isUID(p) || (i >= 2 && parts[0] == "system")) {
			if !(parts[0] == "system" && i == 2 && strings.ToUpper(p) == p) {
				parts[i] = "{id}"
			}
		}
	}
	return strings.Join(parts, "/")
}

func (s *Server) route(q *req) {
	segs := strings.Split(q.path, "/")
	m := q.r.Method
	switch segs[0] {
	case "system":
		s.routeSystem(q, segs)
		return
	case "me":
		if m == http.MethodGet && len(segs) == 1 {
			s.handleMe(q)
			return
		}
	case "metadata":
		if len(segs) == 1 {
			switch m {
			case http.MethodGet:
				s.handleMetadataExport(q)
				return
			case http.MethodPost:
				s.handleMetadataImport(q)
				return
			}
		}
	case "deletedObjects":
		if m == http.MethodGet && len(segs) == 1 {
			s.handleDeletedObjects(q)
			return
		}
	case "dataValueSets":
		if len(segs) == 1 {
			switch m {
			case http.MethodGet:
				s.handleDataValueSetsExport(q)
				return
			case http.MethodPost:
				s.handleDataValueSetsImport(q)
				return
			}
		}
	case "tracker":
		if s.routeTracker(q, segs) {
			return
		}
	case "events", "trackedEntityInstances", "enrollments", "relationships":
		if s.routeLegacyTracker(q, segs) {
			return
		}
	}
	if s.routeMetadataType(q, segs) {
		return
	}
	if removedEndpoints[segs[0]] {
		// Removed in this version (docs.dhis2.org 2.38 tracker.md; release notes 2.42): DHIS2's 404 is the modelled answer.
		writeWebMessage(q.w, http.StatusNotFound, "ERROR", "", "", nil)
		return
	}
	s.unmodelled(q.w, q.r)
}

// removedEndpoints exist in some simulated version but not in all.
var removedEndpoints = map[string]bool{
	"charts": true, "reportTables": true, "userCredentials": true, "programTrackedEntityAttributeGroups": true,
	"eventVisualizations": true, "aggregateDataExchanges": true, "eventHooks": true, "routes": true,
	"expressionDimensionItems": true, "programStageWorkingLists": true, "apiToken": true,
	"events": true, "trackedEntityInstances": true, "enrollments": true, "relationships": true,
}

// unmodelled answers a request the simulator does not model with DHIS2's 404 and reports it loudly.
func (s *Server) unmodelled(w http.ResponseWriter, r *http.Request) {
	s.log.Warn("dhis2sim: unmodelled request", slog.String("method", r.Method), slog.String("url", r.URL.String()))
	if s.opts.TB != nil {
		s.opts.TB.Errorf("dhis2sim: unmodelled request %s %s", r.Method, r.URL.String())
	}
	writeWebMessage(w, http.StatusNotFound, "ERROR", "", "", nil)
}

// baseURL is the absolute root of the server as the client addressed it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		scheme = p
	}
	return scheme + "://" + r.Host
}

func (s *Server) nowString() string { return formatTime(s.now()) }

// formatTime renders DHIS2's timestamp form "2020-06-25T16:23:50.756".
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000") }

// parseTime accepts the date and timestamp forms DHIS2 accepts in payloads and query parameters.
func parseTime(s string) (time.Time, error) {
	layouts := []string{"2006-01-02T15:04:05.000", "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05Z07:00",
		"2006-01-02T15:04:05", "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04", "2006-01-02", time.RFC3339Nano}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid date %q", s)
}

const uidAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newUID generates a DHIS2 UID (a letter then ten letters or digits). Callers hold s.mu.
func (s *Server) newUID() string {
	var b [11]byte
	b[0] = uidAlphabet[s.rng.IntN(52)]
	for i := 1; i < 11; i++ {
		b[i] = uidAlphabet[s.rng.IntN(len(uidAlphabet))]
	}
	return string(b[:])
}

// NewUID generates a UID from the server's seeded generator.
func (s *Server) NewUID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newUID()
}

func isUID(s string) bool {
	if len(s) != 11 {
		return false
	}
	for i := 0; i < 11; i++ {
		c := s[i]
		letter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if i == 0 && !letter {
			return false
		}
		if !letter && !(c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// inflightCounter tracks concurrent requests per endpoint class for the cost model's contention factor.
func (s *Server) inflightCounter(class string) *atomic.Int64 {
	v, _ := s.inflight.LoadOrStore(class, new(atomic.Int64))
	return v.(*atomic.Int64)
}

// applyCost sleeps for the cost model's latency of a request with n items. It returns early when the
// client goes away.
func (s *Server) applyCost(ctx context.Context, ep Endpoint, n int) {
	if s.opts.Cost.IsZero() {
		return
	}
	c := s.inflightCounter(string(ep))
	k := c.Add(1)
	defer c.Add(-1)
	d := s.opts.Cost.Estimate(ep, n, int(k))
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
