package dhis2

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// instanceGate is shared by every Client of one DHIS2 instance in the
// process, so that several jobs never flood one server: a token bucket for
// the request rate and a semaphore for requests in flight.
type instanceGate struct {
	limiter *rate.Limiter // nil: unlimited
	slots   chan struct{}
}

var (
	gatesMu    sync.Mutex
	gates      = map[string]*instanceGate{}
	transports = map[transportKey]*http.Transport{}
)

type transportKey struct {
	base     string
	insecure bool
}

func gateFor(base string, perSecond float64, maxConcurrent int) *instanceGate {
	gatesMu.Lock()
	defer gatesMu.Unlock()
	g, ok := gates[base]
	if !ok {
		g = &instanceGate{slots: make(chan struct{}, maxConcurrent)}
		gates[base] = g
	}
	switch {
	case perSecond < 0:
		g.limiter = nil
	case g.limiter == nil:
		burst := max(1, int(perSecond))
		g.limiter = rate.NewLimiter(rate.Limit(perSecond), burst)
	default:
		// The latest configuration of an instance wins.
		g.limiter.SetLimit(rate.Limit(perSecond))
		g.limiter.SetBurst(max(1, int(perSecond)))
	}
	return g
}

// acquire waits for the rate limiter and a free slot; release frees the slot.
func (g *instanceGate) acquire(ctx context.Context) (release func(), err error) {
	if l := g.limiter; l != nil {
		if err := l.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// Wait fails early when the deadline is shorter than the wait.
			return nil, context.DeadlineExceeded
		}
	}
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-g.slots }) }, nil
}

// transportFor returns the process-wide transport of an instance, so that
// every job reuses the same keep-alive connection pool.
func transportFor(base string, insecure bool, maxConcurrent int, connect time.Duration) *http.Transport {
	gatesMu.Lock()
	defer gatesMu.Unlock()
	key := transportKey{base, insecure}
	if t, ok := transports[key]; ok {
		return t
	}
	dialer := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second, Control: dialControl}
	t := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   max(8, 2*maxConcurrent),
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   connect,
		ExpectContinueTimeout: time.Second,
		// Compression is negotiated by the client itself (klauspost gzip is
		// faster than compress/gzip on large exports).
		DisableCompression: true,
		TLSClientConfig:    &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: currentOutbound().RootCAs, InsecureSkipVerify: insecure}, //nolint:gosec // explicit per-instance opt-in
	}
	transports[key] = t
	return t
}
