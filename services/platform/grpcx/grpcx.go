// Package grpcx is the gRPC plumbing every dhis2sync service shares: one server constructor with health,
// reflection, logging, panic recovery and service identity (mutual TLS and the per-method access table in
// access.go), one Serve with graceful stop, and one way to dial a peer.
package grpcx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/status"
)

// UserHeader is the metadata key through which the gateway tells services which platform user made a call
// (for audit trails and "launched by"). Services trust it only from an authenticated service: they are
// reached only through the gateway or by each other.
const UserHeader = "x-dhis2sync-user"

// Server is a gRPC server with its health service.
type Server struct {
	*grpc.Server
	Health *health.Server
	log    *slog.Logger
}

// NewServer returns a server that authenticates its callers with id's authority and authorizes each call
// by the access table, with recovery and logging interceptors, health and reflection registered.
func NewServer(log *slog.Logger, id *Identity, opts ...grpc.ServerOption) *Server {
	if id == nil {
		panic("grpcx.NewServer: a service identity is required (grpcx.LoadIdentity)")
	}
	opts = append(opts,
		grpc.Creds(id.serverCredentials()),
		grpc.ChainUnaryInterceptor(recoverUnary(log), logUnary(log), authorizeUnary),
		grpc.ChainStreamInterceptor(recoverStream(log), logStream(log), authorizeStream),
	)
	s := &Server{Server: grpc.NewServer(opts...), Health: health.NewServer(), log: log}
	healthpb.RegisterHealthServer(s.Server, s.Health)
	reflection.Register(s.Server)
	return s
}

// NewPublicServer returns a server for the gateway's public API: recovery, logging, health and reflection as
// NewServer, but no service identity. Its callers are people and integrations, authenticated by the
// interceptors in opts (bearer tokens).
func NewPublicServer(log *slog.Logger, opts ...grpc.ServerOption) *Server {
	opts = append([]grpc.ServerOption{
		grpc.ChainUnaryInterceptor(recoverUnary(log), logUnary(log)),
		grpc.ChainStreamInterceptor(recoverStream(log), logStream(log)),
	}, opts...)
	s := &Server{Server: grpc.NewServer(opts...), Health: health.NewServer(), log: log}
	healthpb.RegisterHealthServer(s.Server, s.Health)
	reflection.Register(s.Server)
	return s
}

// Serve listens on addr and serves until ctx is done, then marks the server NOT_SERVING and stops gracefully,
// falling back to a hard stop after grace.
func (s *Server) Serve(ctx context.Context, addr string, grace time.Duration) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s (set its DHIS2SYNC_<SERVICE>_ADDR to a free address): %w", addr, err)
	}
	return s.ServeListener(ctx, lis, grace)
}

// ServeListener is Serve on an existing listener (tests use 127.0.0.1:0).
func (s *Server) ServeListener(ctx context.Context, lis net.Listener, grace time.Duration) error {
	s.log.Info("grpc server listening", slog.String("addr", lis.Addr().String()))
	s.Health.Resume()
	errc := make(chan error, 1)
	go func() { errc <- s.Server.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Health.Shutdown()
	stopped := make(chan struct{})
	go func() { s.Server.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(grace):
		s.Server.Stop()
	}
	if err := <-errc; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
		return err
	}
	return nil
}

// Dial returns a client connection to the dhis2sync service named service at addr, authenticated as id and
// accepting only that service's certificate.
func (id *Identity) Dial(service, addr string, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	conn, err := grpc.NewClient(addr, append([]grpc.DialOption{
		grpc.WithTransportCredentials(id.clientCredentials(service)),
		grpc.WithUnaryInterceptor(forwardUser),
		// Services start in any order and restart on their own: reconnect within seconds of a peer coming
		// (back) up instead of gRPC's default backoff of up to two minutes, during which calls fail at once.
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
			MinConnectTimeout: 2 * time.Second,
		}),
	}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("dial the %s service at %s: %w", service, addr, err)
	}
	return conn, nil
}

// User returns the platform user named by the caller, or "" for internal calls.
func User(ctx context.Context) string {
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(UserHeader); len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// forwardUser passes the platform user along service-to-service calls.
func forwardUser(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if u := User(ctx); u != "" {
		if md, _ := metadata.FromOutgoingContext(ctx); len(md.Get(UserHeader)) == 0 {
			ctx = metadata.AppendToOutgoingContext(ctx, UserHeader, u)
		}
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in grpc handler", slog.String("method", info.FullMethod), slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return handler(ctx, req)
	}
}

func recoverStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in grpc stream", slog.String("method", info.FullMethod), slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
				err = status.Error(codes.Internal, "internal error")
			}
		}()
		return handler(srv, ss)
	}
}

// logUnary logs failures at Warn (server faults at Error) and successes at Debug, as successes are routine.
func logUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		logCall(ctx, log, info.FullMethod, start, err)
		return resp, err
	}
}

func logStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		err := handler(srv, ss)
		logCall(ss.Context(), log, info.FullMethod, start, err)
		return err
	}
}

func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, err error) {
	code := status.Code(err)
	attrs := []any{slog.String("method", method), slog.String("code", code.String()), slog.Duration("took", time.Since(start))}
	if c := Caller(ctx); c != "" {
		attrs = append(attrs, slog.String("caller", c))
	}
	if u := User(ctx); u != "" {
		attrs = append(attrs, slog.String("user", u))
	}
	switch code {
	case codes.OK, codes.Canceled:
		log.Debug("grpc call", attrs...)
	case codes.Internal, codes.Unknown, codes.DataLoss:
		log.Error("grpc call failed", append(attrs, slog.String("error", err.Error()))...)
	default:
		log.Warn("grpc call refused", append(attrs, slog.String("error", err.Error()))...)
	}
}
