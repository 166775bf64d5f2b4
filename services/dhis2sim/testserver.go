package dhis2sim

import (
	"net/http/httptest"
	"testing"
)

// NewTestServer starts a simulator on a loopback httptest.Server that closes on tb.Cleanup. The base URL of
// the simulated DHIS2 is ts.URL. Unless opts.TB is set, it is set to tb so unmodelled requests fail the test.
func NewTestServer(tb testing.TB, opts Options) (*Server, *httptest.Server) {
	tb.Helper()
	if opts.TB == nil {
		opts.TB = tb
	}
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("dhis2sim: %v", err)
	}
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	return s, ts
}
