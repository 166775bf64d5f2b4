package instanceregistry

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/secretbox"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"github.com/dhis2sync/dhis2sync/services/platform/natsx"
	"github.com/dhis2sync/dhis2sync/services/platform/pgdb"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

// Schema is the PostgreSQL schema the registry owns.
const Schema = "registry"

// PreviousKeyEnv names the key that sealed secrets before the last rotation. It is only used to open them;
// at start the registry reseals every such secret under DHIS2SYNC_SECRET_KEY.
const PreviousKeyEnv = "DHIS2SYNC_SECRET_KEY_PREVIOUS"

// errNoSecretKey explains how to get a key, because without one no credential can be stored.
var errNoSecretKey = errors.New("DHIS2SYNC_SECRET_KEY is not set: the instance registry encrypts DHIS2 credentials " +
	"with it and refuses to start without one; generate one with: head -c 32 /dev/urandom | base64 " +
	"(keep it safe: credentials stored under a lost key must be entered again)")

// gracePeriod is how long in-flight calls may finish after a stop is requested.
const gracePeriod = 10 * time.Second

// Run serves the instance registry on settings.Addr(settings.InstanceRegistry) and runs the periodic
// connection checks until ctx is done.
func Run(ctx context.Context, s settings.Settings, log *slog.Logger) error {
	if err := dhis2.ConfigureFromSettings(s.DHIS2); err != nil {
		return err
	}
	box, err := newBox(s.SecretKey, s.PreviousSecretKey)
	if err != nil {
		return err
	}
	db, err := pgdb.Open(ctx, s.DatabaseURL, Schema, Migrations(), log)
	if err != nil {
		return err
	}
	defer db.Close()
	nc, err := natsx.Connect(ctx, s.NATSURL, settings.InstanceRegistry, log)
	if err != nil {
		return err
	}
	defer nc.Close()

	id, err := grpcx.LoadIdentity(s.IdentityDir, settings.InstanceRegistry)
	if err != nil {
		return err
	}
	srv := New(db, box, nc, log)
	if d := s.DHIS2.RequestTimeout; d > 0 {
		srv.tester.timeouts.Request = d
	}
	if err := srv.ResealSecrets(ctx); err != nil {
		return err
	}
	gs := grpcx.NewServer(log, id)
	instancev1.RegisterInstanceServiceServer(gs, srv)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { srv.RunHealthChecks(ctx, s.HealthInterval) })
	err = gs.Serve(ctx, settings.Addr(settings.InstanceRegistry), gracePeriod)
	cancel()
	wg.Wait()
	return err
}

// newBox builds the credential box from the current key and the optional previous key (base64).
func newBox(current []byte, previousB64 string) (*secretbox.Box, error) {
	if len(current) == 0 {
		return nil, errNoSecretKey
	}
	var previous [][]byte
	if p := strings.TrimSpace(previousB64); p != "" {
		key, err := base64.StdEncoding.DecodeString(p)
		if err != nil || len(key) != secretbox.KeySize {
			return nil, fmt.Errorf("%s must be the base64 encoding of 32 bytes: the key DHIS2SYNC_SECRET_KEY had before the rotation", PreviousKeyEnv)
		}
		previous = append(previous, key)
	}
	return secretbox.New(current, previous...)
}
