package secretbox

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func mustBox(t *testing.T, current []byte, previous ...[]byte) *Box {
	t.Helper()
	b, err := New(current, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	b := mustBox(t, newKey(t))
	for _, plain := range []string{"", "district", "d2pat_abcdefghijklmnopqrstuvwxyz0123451234567890", "pässwörd ✓"} {
		ct, err := b.Seal([]byte(plain), []byte("instance-1"))
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) > 0 && bytes.Contains(ct, []byte(plain)) {
			t.Fatalf("ciphertext contains the plaintext %q", plain)
		}
		got, err := b.Open(ct, []byte("instance-1"))
		if err != nil {
			t.Fatalf("Open(%q): %v", plain, err)
		}
		if string(got) != plain {
			t.Fatalf("Open = %q, want %q", got, plain)
		}
	}
}

func TestSealIsRandomised(t *testing.T) {
	b := mustBox(t, newKey(t))
	a, _ := b.Seal([]byte("same"), nil)
	c, _ := b.Seal([]byte("same"), nil)
	if bytes.Equal(a, c) {
		t.Fatal("two seals of the same plaintext are identical: nonce reuse")
	}
}

func TestWrongKeyFails(t *testing.T) {
	ct, err := mustBox(t, newKey(t)).Seal([]byte("secret"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = mustBox(t, newKey(t)).Open(ct, nil)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Open with another key: err = %v, want ErrUnknownKey", err)
	}
}

func TestWrongContextFails(t *testing.T) {
	b := mustBox(t, newKey(t))
	ct, _ := b.Seal([]byte("secret"), []byte("instance-1"))
	if _, err := b.Open(ct, []byte("instance-2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("Open in another context: err = %v, want ErrOpen", err)
	}
}

func TestTamperingFails(t *testing.T) {
	b := mustBox(t, newKey(t))
	ct, _ := b.Seal([]byte("secret"), []byte("ctx"))
	for i := range ct {
		if i >= 1 && i < 1+keyIDSize {
			continue // a changed key id is an unknown key, covered below
		}
		bad := bytes.Clone(ct)
		bad[i] ^= 0x01
		if _, err := b.Open(bad, []byte("ctx")); !errors.Is(err, ErrOpen) {
			t.Fatalf("byte %d flipped: err = %v, want ErrOpen", i, err)
		}
	}
	bad := bytes.Clone(ct)
	bad[1] ^= 0x01
	if _, err := b.Open(bad, []byte("ctx")); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("key id flipped: err = %v, want ErrUnknownKey", err)
	}
	for _, short := range [][]byte{nil, ct[:headerSize], ct[:len(ct)-1]} {
		if _, err := b.Open(short, []byte("ctx")); !errors.Is(err, ErrOpen) {
			t.Fatalf("truncated to %d bytes: err = %v, want ErrOpen", len(short), err)
		}
	}
}

func TestKeyID(t *testing.T) {
	key := newKey(t)
	sum := sha256.Sum256(key)
	want := hex.EncodeToString(sum[:8])
	b := mustBox(t, key)
	if got := b.KeyID().String(); got != want {
		t.Fatalf("KeyID = %s, want %s", got, want)
	}
	ct, _ := b.Seal([]byte("x"), nil)
	id, err := SealedBy(ct)
	if err != nil || id.String() != want {
		t.Fatalf("SealedBy = %s, %v; want %s", id, err, want)
	}
	if bytes.Contains(ct, key) {
		t.Fatal("ciphertext contains the key")
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := newKey(t), newKey(t)
	oldBox := mustBox(t, oldKey)
	ct, _ := oldBox.Seal([]byte("secret"), nil)

	rotated := mustBox(t, newKey, oldKey)
	if !rotated.NeedsReseal(ct) {
		t.Fatal("a ciphertext under the previous key does not need resealing")
	}
	got, err := rotated.Open(ct, nil)
	if err != nil || string(got) != "secret" {
		t.Fatalf("Open under previous key = %q, %v", got, err)
	}
	resealed, err := rotated.Seal(got, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.NeedsReseal(resealed) {
		t.Fatal("a fresh ciphertext needs resealing")
	}
	if _, err := oldBox.Open(resealed, nil); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("old box opened a ciphertext under the new key: %v", err)
	}
}

func TestNewRejectsBadKeys(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New accepted a %d-byte key", n)
		}
	}
	if _, err := New(newKey(t), make([]byte, 5)); err == nil {
		t.Error("New accepted a short previous key")
	}
}

func BenchmarkSealOpen(b *testing.B) {
	key := make([]byte, KeySize)
	box, _ := New(key)
	plain := []byte("d2pat_abcdefghijklmnopqrstuvwxyz0123451234567890")
	for b.Loop() {
		ct, _ := box.Seal(plain, []byte("ctx"))
		if _, err := box.Open(ct, []byte("ctx")); err != nil {
			b.Fatal(err)
		}
	}
}
