package api

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
)

const eventStreamType = "text/event-stream"

// eventStreamMarshaler makes grpc-gateway speak Server-Sent Events: its stream handler writes each message
// through Marshal, then Delimiter, then flushes, so every message becomes one event
// "data: {"result":{…}}\n\n" (or "data: {"error":{…}}\n\n" when the stream fails). grpc-gateway picks it for
// requests that send Accept: text/event-stream, as a browser's EventSource does. JSON from protojson is one
// line, which is what an SSE data field needs.
//
// Errors that happen before the stream starts (401, 403, 503, …) go through grpc-gateway's error handler,
// which marshals a bare status and writes no delimiter; they get the same {"error":{…}} event, complete with
// its blank line, so that an event-stream client sees one error shape whatever the HTTP status.
type eventStreamMarshaler struct {
	runtime.JSONPb
}

func (*eventStreamMarshaler) ContentType(any) string { return eventStreamType }

func (m *eventStreamMarshaler) Marshal(v any) ([]byte, error) {
	st, isError := v.(*spb.Status)
	if isError {
		v = map[string]proto.Message{"error": st}
	}
	b, err := m.JSONPb.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte("\n"), nil) // defensive: a newline would end the data field early
	out := make([]byte, 0, len(b)+8)
	out = append(out, "data: "...)
	out = append(out, b...)
	out = append(out, '\n')
	if isError {
		out = append(out, '\n')
	}
	return out, nil
}

func (*eventStreamMarshaler) Delimiter() []byte { return []byte("\n") }

func wantsEventStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), eventStreamType)
}

// eventStreams prepares event-stream requests: headers that stop caches and proxies from buffering, no write
// deadline (the server has none; streams live as long as the job), a comment heartbeat so idle proxies keep the
// connection open, and an end when the gateway shuts down so that shutdown need not wait for every job.
func (g *Gateway) eventStreams(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !wantsEventStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		stop := context.AfterFunc(g.streamsCtx, cancel)
		defer stop()
		hw := &heartbeatWriter{w: w, rc: http.NewResponseController(w), header: http.Header{}}
		done := make(chan struct{})
		go hw.beat(ctx, g.heartbeat, done)
		next.ServeHTTP(hw, r.WithContext(ctx))
		cancel()
		<-done // no write may happen after ServeHTTP returns
	})
}

// heartbeatWriter serialises the stream handler's writes with the heartbeat's. The handler gets its own header
// map, copied out when it first writes, so the heartbeat never races with it over headers.
type heartbeatWriter struct {
	mu        sync.Mutex
	w         http.ResponseWriter
	rc        *http.ResponseController
	header    http.Header
	committed bool
}

func (h *heartbeatWriter) Header() http.Header { return h.header }

func (h *heartbeatWriter) WriteHeader(code int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.commit(code, h.header)
}

func (h *heartbeatWriter) Write(b []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.commit(http.StatusOK, h.header)
	return h.w.Write(b)
}

// FlushError is what http.ResponseController (and so grpc-gateway) calls after each message.
func (h *heartbeatWriter) FlushError() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.commit(http.StatusOK, h.header)
	return h.rc.Flush()
}

// commit sends the status line and headers once, adding header (which only the handler's goroutine may
// read); later calls are ignored, as net/http would.
func (h *heartbeatWriter) commit(code int, header http.Header) {
	if h.committed {
		return
	}
	h.committed = true
	dst := h.w.Header()
	for k, v := range header {
		dst[k] = v
	}
	h.w.WriteHeader(code)
}

// beat writes an SSE comment every interval until ctx ends. A comment is ignored by EventSource but keeps
// proxies from closing an idle stream. If the service has not answered yet, the first beat commits a 200
// with the event-stream content type.
func (h *heartbeatWriter) beat(ctx context.Context, interval time.Duration, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.mu.Lock()
		if !h.committed {
			h.w.Header().Set("Content-Type", eventStreamType)
		}
		h.commit(http.StatusOK, nil)
		_, err := h.w.Write([]byte(": ping\n\n"))
		if err == nil {
			err = h.rc.Flush()
		}
		h.mu.Unlock()
		if err != nil {
			return
		}
	}
}
