package api

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// loginLimiter counts failed sign-ins per username and client address: after burst failures, one more attempt
// is allowed every interval. Successful sign-ins clear the count.
type loginLimiter struct {
	mu        sync.Mutex
	every     time.Duration
	burst     int
	limiters  map[string]*rate.Limiter
	lastPrune time.Time
}

func newLoginLimiter(failures int, per time.Duration) *loginLimiter {
	return &loginLimiter{every: per / time.Duration(failures), burst: failures, limiters: map[string]*rate.Limiter{}}
}

func limiterKey(username, addr string) string { return username + "\x00" + addr }

// blocked reports whether key has used up its failures for now.
func (l *loginLimiter) blocked(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.limiters[key]
	return ok && lim.Tokens() < 1
}

// failed records one failed attempt.
func (l *loginLimiter) failed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune()
	lim, ok := l.limiters[key]
	if !ok {
		lim = rate.NewLimiter(rate.Every(l.every), l.burst)
		l.limiters[key] = lim
	}
	lim.Allow()
}

// succeeded forgets key's failures.
func (l *loginLimiter) succeeded(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.limiters, key)
}

// prune drops limiters that have refilled, so that memory follows recent failures rather than all failures
// ever; it runs at most once per refill period.
func (l *loginLimiter) prune() {
	now := time.Now()
	if now.Sub(l.lastPrune) < l.every*time.Duration(l.burst) {
		return
	}
	l.lastPrune = now
	for k, lim := range l.limiters {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.limiters, k)
		}
	}
}
