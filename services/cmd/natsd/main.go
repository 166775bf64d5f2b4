// Command natsd runs the NATS server with JetStream that a single-machine dhis2sync stack shares, embedded so
// that no NATS installation is needed. JetStream syncs every write to disk (sync_interval: always): by default
// it acknowledges writes before they reach disk and can lose them on a crash (Jepsen, NATS 2.12.1, 2025).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/dhis2sync/dhis2sync/services/platform/service"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:4222", "client listen address")
	monitor := flag.Int("http-port", 0, "monitoring port (0: off)")
	storeDir := flag.String("store-dir", "", "JetStream directory (default: $DHIS2SYNC_DATA_DIR/nats)")
	flag.Parse()
	service.Main("natsd", func(ctx context.Context, s settings.Settings, log *slog.Logger) error {
		host, portStr, err := net.SplitHostPort(*addr)
		if err != nil {
			return fmt.Errorf("-addr %q: %w", *addr, err)
		}
		port, err := strconv.Atoi(portStr)
		if err != nil {
			return fmt.Errorf("-addr %q: bad port", *addr)
		}
		dir := *storeDir
		if dir == "" {
			dir = filepath.Join(s.DataDir, "nats")
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return err
		}
		ns, err := server.NewServer(&server.Options{
			ServerName: "dhis2sync", Host: host, Port: port, HTTPPort: *monitor,
			JetStream: true, StoreDir: dir, SyncAlways: true, NoSigs: true,
			MaxPayload: 8 << 20,
		})
		if err != nil {
			return err
		}
		go ns.Start()
		if !ns.ReadyForConnections(10 * time.Second) {
			return fmt.Errorf("nats server not ready on %s (is the port taken?)", *addr)
		}
		log.Info("nats ready", slog.String("url", ns.ClientURL()), slog.String("store_dir", dir))
		<-ctx.Done()
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil
	})
}
