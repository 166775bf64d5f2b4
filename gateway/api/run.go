package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

const shutdownGrace = 10 * time.Second

// Run serves the gateway until ctx ends: it migrates the gateway schema, creates the first admin if there is
// no user, dials the services with its service identity and serves REST on settings.Addr(settings.Gateway) and
// public gRPC on settings.Addr(settings.GatewayGRPC).
func Run(ctx context.Context, s settings.Settings, log *slog.Logger) error {
	store, err := OpenStore(ctx, s.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer store.Close()
	created, err := store.EnsureAdmin(ctx, s.AdminUser, s.AdminPassword)
	if err != nil {
		return err
	}
	if created {
		log.Info("first admin created", slog.String("user", s.AdminUser))
	}
	id, err := grpcx.LoadIdentity(s.IdentityDir, settings.Gateway)
	if err != nil {
		return err
	}
	opts := Options{Store: store, Log: log}
	for _, b := range []struct {
		into *Backend
		name string
	}{{&opts.Instance, settings.InstanceRegistry}, {&opts.Config, settings.Config}, {&opts.Orchestrator, settings.Orchestrator}} {
		addr := settings.Addr(b.name)
		conn, err := id.Dial(b.name, addr)
		if err != nil {
			return fmt.Errorf("%s: %w", b.name, err)
		}
		defer conn.Close()
		*b.into = Backend{Name: b.name, Addr: addr, Conn: conn}
	}
	g, err := New(ctx, opts)
	if err != nil {
		return err
	}
	gs, err := g.GRPCServer()
	if err != nil {
		return err
	}
	// gRPC listens first: whoever waits for the REST port finds both open.
	grpcAddr := settings.Addr(settings.GatewayGRPC)
	glis, err := net.Listen("tcp", grpcAddr)
	if err != nil {
		return fmt.Errorf("listen on %s for public gRPC (set DHIS2SYNC_GATEWAY_GRPC_ADDR to a free address): %w", grpcAddr, err)
	}
	addr := settings.Addr(settings.Gateway)
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		glis.Close()
		return fmt.Errorf("listen on %s (set DHIS2SYNC_GATEWAY_ADDR to a free address): %w", addr, err)
	}
	// Either server failing stops both, so the process exits and is restarted whole.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	grpcErr := make(chan error, 1)
	go func() { grpcErr <- gs.ServeListener(ctx, glis, shutdownGrace); cancel() }()
	err = Serve(ctx, lis, g, log)
	cancel()
	if gerr := <-grpcErr; err == nil && gerr != nil {
		err = fmt.Errorf("public gRPC: %w", gerr)
	}
	return err
}

// Serve serves g on lis until ctx ends, then shuts down gracefully: event streams are ended first so that
// in-flight requests can finish within the grace period.
func Serve(ctx context.Context, lis net.Listener, g *Gateway, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           g,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: event streams last as long as a job; unary responses get a deadline per request.
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(g.StopStreams)
	log.Info("gateway listening", slog.String("addr", "http://"+lis.Addr().String()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
