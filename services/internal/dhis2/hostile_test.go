package dhis2

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestHostileAnswersLeakNothing sends every client call kind to servers that answer badly (a 50 MB body, an
// endless stream, a slow drip, HTML, truncated JSON, a redirect loop, a dropped connection) and checks that each
// fails with its kind, that no goroutine outlives the calls and that the heap does not grow with the answers.
func TestHostileAnswersLeakNothing(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/huge/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"version":"2.41.1","dataValues":[],"pad":"`)
		chunk := strings.Repeat("x", 1<<20)
		for range 50 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
		io.WriteString(w, `"}`)
	})
	mux.HandleFunc("/endless/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"dataValues":[`)
		row := strings.Repeat(`{"dataElement":"a","period":"202401","orgUnit":"o","value":"1"},`, 100)
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, row); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/drip/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for r.Context().Err() == nil {
			w.Write([]byte(" "))
			w.(http.Flusher).Flush()
			time.Sleep(300 * time.Millisecond)
		}
	})
	mux.HandleFunc("/html/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><body>login</body></html>")
	})
	mux.HandleFunc("/truncated/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"version":"2.41.1","dataValues":[{"dataElement":"a"`)
	})
	mux.HandleFunc("/loop/api/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"?again", http.StatusFound)
	})
	mux.HandleFunc("/drop/api/", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	limits := Limits{Short: 4 << 20, Stream: 16 << 20}
	cases := []struct {
		path string
		kind Kind
	}{{"/huge", KindTooLarge}, {"/endless", KindTooLarge}, {"/drip", KindTimeout}, {"/html", KindLoginRedirect},
		{"/truncated", KindMalformed}, {"/loop", KindMalformed}, {"/drop", KindUnreachable}}

	run := func() {
		for _, tc := range cases {
			c, err := New(Options{BaseURL: srv.URL + tc.path, Auth: Auth{Username: "a", Password: "b"}, RatePerSecond: -1,
				Retry: RetryPolicy{MaxAttempts: 1}, Limits: limits, Version: MustParseVersion("2.41.1"),
				Timeouts: Timeouts{Request: time.Second, StreamIdle: time.Second}})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			_, err = c.SystemInfo(ctx)
			if !errors.Is(err, tc.kind) && !(tc.path == "/truncated" && err != nil) {
				t.Errorf("%s system info: %v, want %s", tc.path, err, tc.kind)
			}
			// A stream that keeps dripping is only bounded by the caller (the step timeout): bytes keep flowing.
			sctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
			defer cancel()
			err = c.ExportDataValues(sctx, DataValueQuery{DataSets: []string{"ds"}, OrgUnits: []string{"ou"}, Periods: []string{"202401"}},
				func(DataValue) error { return nil })
			if err == nil {
				t.Errorf("%s data values: no error", tc.path)
			}
		}
	}
	run() // warm up: transports, pools, the server's goroutines
	srv.CloseClientConnections()
	time.Sleep(200 * time.Millisecond)
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()
	for range 2 {
		run()
	}
	srv.CloseClientConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines after the calls, %d before:\n%s", n, goroutines, buf[:runtime.Stack(buf, true)])
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapInuse) - int64(before.HeapInuse); grown > 8<<20 {
		t.Errorf("the heap grew by %d MB over 2 rounds of hostile answers", grown>>20)
	}
}
