package instanceregistry

import (
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"

	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func TestRunRefusesWithoutSecretKey(t *testing.T) {
	// No database or NATS is needed: the key is checked first.
	err := Run(context.Background(), settings.Settings{DatabaseURL: "postgres://127.0.0.1:1/none"}, slog.New(slog.DiscardHandler))
	if err == nil {
		t.Fatal("Run started without DHIS2SYNC_SECRET_KEY")
	}
	for _, want := range []string{"DHIS2SYNC_SECRET_KEY", "head -c 32 /dev/urandom | base64"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestNewBoxPreviousKey(t *testing.T) {
	current := make([]byte, 32)
	previous := make([]byte, 32)
	previous[0] = 1
	oldBox, err := newBox(previous, "")
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := oldBox.Seal([]byte("district"), nil)

	box, err := newBox(current, base64.StdEncoding.EncodeToString(previous))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := box.Open(sealed, nil); err != nil || string(plain) != "district" {
		t.Fatalf("previous key not usable: %q, %v", plain, err)
	}
	for _, bad := range []string{"not base64!", base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := newBox(current, bad); err == nil || !strings.Contains(err.Error(), PreviousKeyEnv) {
			t.Errorf("previous key %q: err = %v, want one naming %s", bad, err, PreviousKeyEnv)
		}
	}
}
