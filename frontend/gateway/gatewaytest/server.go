// Package gatewaytest is an in-memory fake of the dhis2sync gateway REST API and job event stream, for
// tests and demos of the dashboard. Its zero configuration is ready for use: New starts it on 127.0.0.1
// with three users (admin, operator, viewer) and no instances, configurations or jobs. Jobs run in a
// goroutine and publish progress and log events; HoldJobs keeps them at 0 % until Release.
package gatewaytest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
)

// Passwords of the built-in users; each user's name is its role in lower case.
const (
	AdminPassword    = "admin-secret"
	OperatorPassword = "operator-secret"
	ViewerPassword   = "viewer-secret"
)

// Server is the fake gateway.
type Server struct {
	URL string

	// Fail makes every API call answer 500, to test how the dashboard shows gateway errors.
	Fail atomic.Bool
	// HoldJobs keeps new jobs running at 0 % until Release or ReleaseAll.
	HoldJobs atomic.Bool
	// StepDelay is the pause between two progress events of a running job (default 40 ms).
	StepDelay time.Duration
	// Steps is the number of progress events a job emits (default 5).
	Steps int

	srv *httptest.Server

	mu        sync.Mutex
	nextID    int
	users     map[string]*account
	tokens    map[string]*authv1.User
	instances map[string]*instancev1.Instance
	configs   map[string]*configv1.Config
	jobs      map[string]*jobState
	automatic map[string]*automationState
	logSeq    int64
	closed    chan struct{}
	closeOnce sync.Once
}

type account struct {
	password string
	user     *authv1.User
}

// New starts a fake gateway; Close stops it.
func New() *Server {
	s := &Server{
		StepDelay: 40 * time.Millisecond,
		Steps:     5,
		users:     map[string]*account{},
		tokens:    map[string]*authv1.User{},
		instances: map[string]*instancev1.Instance{},
		configs:   map[string]*configv1.Config{},
		jobs:      map[string]*jobState{},
		closed:    make(chan struct{}),
	}
	for name, a := range map[string]struct {
		pw   string
		role authv1.Role
	}{
		"admin":    {AdminPassword, authv1.Role_ROLE_ADMIN},
		"operator": {OperatorPassword, authv1.Role_ROLE_OPERATOR},
		"viewer":   {ViewerPassword, authv1.Role_ROLE_VIEWER},
	} {
		s.users[name] = &account{password: a.pw, user: &authv1.User{
			Id: "u-" + name, Username: name, Role: a.role, CreateTime: timestamppb.Now(),
		}}
	}
	s.srv = httptest.NewServer(s.routes())
	s.URL = s.srv.URL
	return s
}

// Close stops the server and every running job.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Token signs in a built-in user directly and returns a bearer token, for tests that skip the login form.
func (s *Server) Token(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.users[username]
	if a == nil {
		return ""
	}
	tok := randomToken()
	s.tokens[tok] = a.user
	return tok
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/auth/login", s.login)
	mux.HandleFunc("POST /api/v1/auth/logout", s.authed(authv1.Role_ROLE_VIEWER, s.logout))
	mux.HandleFunc("GET /api/v1/auth/me", s.authed(authv1.Role_ROLE_VIEWER, s.me))

	mux.HandleFunc("GET /api/v1/instances", s.authed(authv1.Role_ROLE_VIEWER, s.listInstances))
	mux.HandleFunc("POST /api/v1/instances", s.authed(authv1.Role_ROLE_ADMIN, s.createInstance))
	mux.HandleFunc("GET /api/v1/instances/{id}", s.authed(authv1.Role_ROLE_VIEWER, s.getInstance))
	mux.HandleFunc("PATCH /api/v1/instances/{id}", s.authed(authv1.Role_ROLE_ADMIN, s.updateInstance))
	mux.HandleFunc("DELETE /api/v1/instances/{id}", s.authed(authv1.Role_ROLE_ADMIN, s.deleteInstance))
	mux.HandleFunc("POST /api/v1/instances/{id}", s.authed(authv1.Role_ROLE_ADMIN, s.testInstance))

	mux.HandleFunc("GET /api/v1/configs", s.authed(authv1.Role_ROLE_VIEWER, s.listConfigs))
	mux.HandleFunc("POST /api/v1/configs", s.authed(authv1.Role_ROLE_ADMIN, s.createConfig))
	mux.HandleFunc("POST /api/v1/configs:validate", s.authed(authv1.Role_ROLE_VIEWER, s.validateConfig))
	mux.HandleFunc("GET /api/v1/configs/{id}", s.authed(authv1.Role_ROLE_VIEWER, s.getConfig))
	mux.HandleFunc("PUT /api/v1/configs/{id}", s.authed(authv1.Role_ROLE_ADMIN, s.updateConfig))
	mux.HandleFunc("DELETE /api/v1/configs/{id}", s.authed(authv1.Role_ROLE_ADMIN, s.deleteConfig))
	mux.HandleFunc("POST /api/v1/configs/{id}", s.authed(authv1.Role_ROLE_OPERATOR, s.launchConfig))

	mux.HandleFunc("GET /api/v1/automation", s.authed(authv1.Role_ROLE_VIEWER, s.listAutomation))
	mux.HandleFunc("GET /api/v1/jobs", s.authed(authv1.Role_ROLE_VIEWER, s.listJobs))
	mux.HandleFunc("GET /api/v1/jobs/{id}", s.authed(authv1.Role_ROLE_VIEWER, s.getJob))
	mux.HandleFunc("POST /api/v1/jobs/{id}", s.authed(authv1.Role_ROLE_OPERATOR, s.jobAction))
	mux.HandleFunc("GET /api/v1/jobs/{id}/logs", s.authed(authv1.Role_ROLE_VIEWER, s.jobLogs))
	mux.HandleFunc("GET /api/v1/jobs/{id}/events", s.authed(authv1.Role_ROLE_VIEWER, s.watchJob))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, 5, fmt.Sprintf("fake gateway: no route for %s %s", r.Method, r.URL.Path))
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Fail.Load() {
			writeError(w, http.StatusInternalServerError, 13, "internal error: the orchestrator is unavailable")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// authed checks the bearer token and that the user's role is at least min.
func (s *Server) authed(min authv1.Role, h func(http.ResponseWriter, *http.Request, *authv1.User)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.mu.Lock()
		u := s.tokens[tok]
		s.mu.Unlock()
		if !ok || u == nil {
			writeError(w, http.StatusUnauthorized, 16, "missing or invalid bearer token")
			return
		}
		if u.GetRole() < min {
			writeError(w, http.StatusForbidden, 7, fmt.Sprintf("role %s may not call this method", u.GetRole()))
			return
		}
		h(w, r, u)
	}
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	in := &authv1.LoginRequest{}
	if !readBody(w, r, in) {
		return
	}
	s.mu.Lock()
	a := s.users[in.GetUsername()]
	s.mu.Unlock()
	if a == nil || a.password != in.GetPassword() {
		writeError(w, http.StatusUnauthorized, 16, "invalid username or password")
		return
	}
	tok := s.Token(in.GetUsername())
	writeJSON(w, &authv1.LoginResponse{Token: tok, ExpireTime: timestamppb.New(time.Now().Add(12 * time.Hour)), User: a.user})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, _ *authv1.User) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	delete(s.tokens, tok)
	s.mu.Unlock()
	writeJSON(w, &authv1.LogoutResponse{})
}

func (s *Server) me(w http.ResponseWriter, _ *http.Request, u *authv1.User) { writeJSON(w, u) }

// newID returns a short unique id with a prefix, like DHIS2-style UIDs are not needed here.
func (s *Server) newID(prefix string) string {
	s.nextID++
	return fmt.Sprintf("%s%04d", prefix, s.nextID)
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func readBody(w http.ResponseWriter, r *http.Request, m proto.Message) bool {
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		writeError(w, http.StatusBadRequest, 3, "malformed JSON body: "+err.Error())
		return false
	}
	if err := protojson.Unmarshal(raw, m); err != nil {
		writeError(w, http.StatusBadRequest, 3, "invalid body: "+err.Error())
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, m proto.Message) {
	b, err := protojson.Marshal(m)
	if err != nil {
		writeError(w, http.StatusInternalServerError, 13, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

type violation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

func writeError(w http.ResponseWriter, status, code int, msg string, violations ...violation) {
	details := []any{}
	if len(violations) > 0 {
		details = append(details, map[string]any{
			"@type":           "type.googleapis.com/google.rpc.BadRequest",
			"fieldViolations": violations,
		})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "details": details})
}

func writeInvalid(w http.ResponseWriter, violations []violation) {
	writeError(w, http.StatusBadRequest, 3, "invalid argument: "+violations[0].Field+": "+violations[0].Description, violations...)
}

type named interface {
	proto.Message
	GetName() string
}

// byName returns copies of the objects ordered by name, as the real services list them.
func byName[M named](objects map[string]M) []M {
	out := make([]M, 0, len(objects))
	for _, o := range objects {
		out = append(out, proto.CloneOf(o))
	}
	slices.SortFunc(out, func(a, b M) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out
}

// lookup returns the object with the id, or answers 404 ("<what> not found") and returns false.
func lookup[V any](w http.ResponseWriter, objects map[string]V, id, what string) (V, bool) {
	v, ok := objects[id]
	if !ok {
		writeError(w, http.StatusNotFound, 5, what+" not found")
	}
	return v, ok
}
