package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/proto/openapi"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	// Registers google.rpc.BadRequest, PreconditionFailure and the other standard error details, so that the
	// services' details can be written into REST error bodies.
	_ "google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
)

const (
	// DefaultSessionTTL is how long a sign-in lasts.
	DefaultSessionTTL = 12 * time.Hour
	// DefaultHeartbeat is the interval of the ": ping" comment on idle event streams.
	DefaultHeartbeat = 15 * time.Second

	// addrFailuresPerMinute allows a busy office behind one address its typos while stopping a sweep over
	// usernames.
	addrFailuresPerMinute = 30

	maxBodyBytes = 4 << 20
	// unaryWriteTimeout bounds how long a slow client may hold a non-streaming response.
	unaryWriteTimeout = 2 * time.Minute
)

// Options configure a Gateway.
type Options struct {
	Store        *Store
	Instance     Backend // instance-registry
	Config       Backend // config
	Orchestrator Backend // orchestrator
	Log          *slog.Logger
	SessionTTL   time.Duration // default DefaultSessionTTL
	Heartbeat    time.Duration // default DefaultHeartbeat
	// LoginFailures sign-in failures per LoginWindow are allowed per username and address (default 5).
	LoginFailures int
	// LoginWindow is the period over which failed sign-ins are counted (default one minute).
	LoginWindow time.Duration
}

// Gateway is the REST API as an http.Handler.
type Gateway struct {
	store       *Store
	log         *slog.Logger
	mux         *runtime.ServeMux
	handler     http.Handler
	heartbeat   time.Duration
	streamsCtx  context.Context
	stopStreams context.CancelFunc
	auth        *authServer
	backends    []proxied // served again over public gRPC
}

// proxied is a backend service as the public gRPC API serves it.
type proxied struct {
	desc *grpc.ServiceDesc
	conn *backendConn
}

// New builds the gateway: grpc-gateway routes for every service, AuthService served in-process.
func New(ctx context.Context, o Options) (*Gateway, error) {
	if o.Store == nil || o.Instance.Conn == nil || o.Config.Conn == nil || o.Orchestrator.Conn == nil {
		return nil, errors.New("gateway: a store and the instance-registry, config and orchestrator connections are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.LoginWindow <= 0 {
		o.LoginWindow = time.Minute
	}
	if o.LoginFailures <= 0 {
		o.LoginFailures = 5
	}
	streamsCtx, stopStreams := context.WithCancel(context.WithoutCancel(ctx))
	g := &Gateway{
		store: o.Store, log: o.Log, heartbeat: o.Heartbeat, streamsCtx: streamsCtx, stopStreams: stopStreams,
	}
	jsonpb := runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: false, EmitUnpopulated: false},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false}, // a misspelt field is a 400, not silently ignored
	}
	g.mux = runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.HTTPBodyMarshaler{Marshaler: &jsonpb}),
		runtime.WithMarshalerOption(eventStreamType, &eventStreamMarshaler{JSONPb: jsonpb}),
		// Only the gateway speaks for the caller: no client header becomes gRPC metadata.
		runtime.WithIncomingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithErrorHandler(errorHandler),
	)

	audit := auditor{store: o.Store, log: o.Log}
	conn := func(b Backend) *backendConn { return &backendConn{Backend: b, audit: audit} }
	auth := &authServer{
		store: o.Store, audit: audit, limiter: newLoginLimiter(o.LoginFailures, o.LoginWindow),
		addrLimit:  newLoginLimiter(addrFailuresPerMinute, o.LoginWindow),
		sessionTTL: o.SessionTTL, log: o.Log,
	}
	if err := authv1.RegisterAuthServiceHandlerServer(ctx, g.mux, auth); err != nil {
		return nil, err
	}
	g.auth = auth
	g.backends = []proxied{
		{&instancev1.InstanceService_ServiceDesc, conn(o.Instance)},
		{&configv1.ConfigService_ServiceDesc, conn(o.Config)},
		{&orchestratorv1.OrchestratorService_ServiceDesc, conn(o.Orchestrator)},
		{&orchestratorv1.AutomationService_ServiceDesc, conn(o.Orchestrator)},
	}
	if err := instancev1.RegisterInstanceServiceHandlerClient(ctx, g.mux, instancev1.NewInstanceServiceClient(g.backends[0].conn)); err != nil {
		return nil, err
	}
	if err := configv1.RegisterConfigServiceHandlerClient(ctx, g.mux, configv1.NewConfigServiceClient(g.backends[1].conn)); err != nil {
		return nil, err
	}
	if err := orchestratorv1.RegisterOrchestratorServiceHandlerClient(ctx, g.mux, orchestratorv1.NewOrchestratorServiceClient(g.backends[2].conn)); err != nil {
		return nil, err
	}
	if err := orchestratorv1.RegisterAutomationServiceHandlerClient(ctx, g.mux, orchestratorv1.NewAutomationServiceClient(conn(o.Orchestrator))); err != nil {
		return nil, err
	}

	routes := http.NewServeMux()
	routes.HandleFunc("GET /api/v1/openapi.json", serveOpenAPI)
	routes.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	routes.Handle("/", g.mux)
	g.handler = g.accessLog(g.limits(g.authenticate(g.eventStreams(routes))))
	return g, nil
}

// ServeHTTP serves the REST API.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

// StopStreams ends every open event stream, so that an HTTP server shutdown does not wait for running jobs.
func (g *Gateway) StopStreams() { g.stopStreams() }

// limits caps request bodies and, outside event streams, how long writing a response may take. The deadline
// is set (or cleared) on every request because it stays on a kept-alive connection for the next one.
func (g *Gateway) limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		var deadline time.Time // none for event streams: they last as long as a job
		if !wantsEventStream(r) {
			deadline = time.Now().Add(unaryWriteTimeout)
		}
		_ = http.NewResponseController(w).SetWriteDeadline(deadline)
		next.ServeHTTP(w, r)
	})
}

// writeError answers as grpc-gateway does: the matching HTTP status and {"code","message","details"} (an
// {"error":{…}} event for event-stream requests).
func (g *Gateway) writeError(w http.ResponseWriter, r *http.Request, err error) {
	_, out := runtime.MarshalerForRequest(g.mux, r)
	runtime.HTTPError(r.Context(), g.mux, out, w, r, err)
}

// errorHandler is grpc-gateway's, with a standard WWW-Authenticate challenge on 401 (RFC 6750 §3) in place of
// the error message grpc-gateway puts there, and with every error detail the gateway cannot describe left out:
// grpc-gateway answers a detail of an unknown type with HTTP 500 "failed to marshal error message", which would
// hide the status and the field violations a client needs.
func errorHandler(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, challengeWriter{w}, r, describableDetails(err))
}

// describableDetails returns err with only the details whose types are registered in this binary.
func describableDetails(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	p := st.Proto()
	kept := make([]*anypb.Any, 0, len(p.GetDetails()))
	for _, d := range p.GetDetails() {
		if _, err := protoregistry.GlobalTypes.FindMessageByURL(d.GetTypeUrl()); err == nil {
			kept = append(kept, d)
		}
	}
	if len(kept) == len(p.GetDetails()) {
		return err
	}
	p.Details = kept
	return status.FromProto(p).Err()
}

type challengeWriter struct{ http.ResponseWriter }

func (c challengeWriter) WriteHeader(code int) {
	if code == http.StatusUnauthorized {
		c.Header().Set("WWW-Authenticate", `Bearer realm="dhis2sync"`)
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c challengeWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openapi.JSON)
}
