package api

import (
	"testing"
	"time"
)

func TestLoginLimiter(t *testing.T) {
	l := newLoginLimiter(3, time.Hour)
	key, other := limiterKey("admin", "10.0.0.1"), limiterKey("admin", "10.0.0.2")
	for i := range 3 {
		if l.blocked(key) {
			t.Fatalf("blocked after %d failures", i)
		}
		l.failed(key)
	}
	if !l.blocked(key) {
		t.Fatal("not blocked after 3 failures")
	}
	if l.blocked(other) {
		t.Error("another address is blocked too")
	}
	l.succeeded(key)
	if l.blocked(key) {
		t.Error("still blocked after a success")
	}
}
