package dhis2

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/klauspost/compress/gzip"
)

// callClass selects the timeout regime of a request.
type callClass int

const (
	classShort  callClass = iota // whole call bounded by Timeouts.Request
	classStream                  // first byte bounded by Request, then idle bounded by StreamIdle
	classImport                  // whole call bounded by Timeouts.Import
)

// request describes one HTTP exchange.
type request struct {
	op     string
	method string
	path   string // relative to /api/, or an absolute URL
	query  url.Values
	body   []byte // sent as is; may be gzip-compressed
	class  callClass
	// idempotent marks a request that may be repeated after a failure:
	// reads, and writes that DHIS2 applies idempotently by UID.
	idempotent bool
	// reportStatuses are non-2xx statuses whose JSON body is an import
	// report (a result, not a transport error).
	reportStatuses []int
}

// response is an open response whose body is decompressed, checked to be
// JSON and guarded by the stream idle timeout. Close must be called.
type response struct {
	status int
	header http.Header
	body   *bufio.Reader
	url    string
	close  func()
}

func (r *response) Close() { r.close() }

var errCallTimeout = errors.New("call timed out")

// do performs the request with rate limiting, retries and error mapping.
// doRead is do followed by reading the whole body, for answers that are parsed at once (import reports).
func (c *Client) doRead(ctx context.Context, r *request) (*response, []byte, error) {
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(resp.body)
	resp.Close()
	if err != nil {
		return nil, nil, c.readError(r, resp, err)
	}
	return resp, data, nil
}

func (c *Client) do(ctx context.Context, r *request) (*response, error) {
	attempts := 1
	if r.idempotent {
		attempts = c.retry.MaxAttempts
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		resp, retryAfter, err := c.once(ctx, r)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		var de *Error
		if attempt >= attempts || ctx.Err() != nil || !errors.As(err, &de) || !de.Retryable() {
			return nil, lastErr
		}
		delay := c.backoff(attempt, retryAfter)
		c.log.LogAttrs(ctx, slog.LevelWarn, "dhis2 request failed, retrying",
			slog.String("op", r.op), slog.String("error", err.Error()),
			slog.Int("attempt", attempt), slog.Duration("delay", delay))
		if err := c.sleep(ctx, delay); err != nil {
			return nil, c.ctxError(ctx, r, "", err)
		}
	}
}

// sleep waits for d or until ctx ends; tests replace it to observe delays.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.sleepHook != nil {
		return c.sleepHook(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff is exponential with full jitter, or the server's Retry-After.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.retry.MaxDelay)
	}
	ceiling := c.retry.BaseDelay << (attempt - 1)
	if ceiling <= 0 || ceiling > c.retry.MaxDelay {
		ceiling = c.retry.MaxDelay
	}
	return ceiling/2 + rand.N(ceiling/2+1)
}

// once performs one attempt.
func (c *Client) once(parent context.Context, r *request) (*response, time.Duration, error) {
	u, err := c.apiURL(r.path, r.query)
	if err != nil {
		return nil, 0, newError(KindInvalidInput, r.op, err)
	}
	ctx, cancel := context.WithCancelCause(parent)
	var total *time.Timer
	switch r.class {
	case classShort:
		total = time.AfterFunc(c.timeouts.Request, func() { cancel(errCallTimeout) })
	case classImport:
		total = time.AfterFunc(c.timeouts.Import, func() { cancel(errCallTimeout) })
	case classStream:
		total = time.AfterFunc(c.timeouts.Request, func() { cancel(errCallTimeout) })
	}
	fail := func(e error) (*response, time.Duration, error) {
		total.Stop()
		cancel(nil)
		return nil, 0, e
	}

	release, err := c.gate.acquire(ctx)
	if err != nil {
		return fail(c.ctxError(ctx, r, u, err))
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		release()
		return fail(newError(KindInvalidInput, r.op, err))
	}
	req.Header.Set("Authorization", c.authHeader)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Encoding", "gzip")
	// Marks the call as XHR so that DHIS2 answers 401 instead of a login redirect.
	req.Header.Set("X-Requested-With", "XMLHttpRequest")
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	hr, err := c.hc.Do(req)
	if err != nil {
		release()
		return fail(c.transportError(ctx, r, u, err))
	}
	cleanup := func() {
		total.Stop()
		hr.Body.Close()
		release()
		cancel(nil)
	}
	var rd io.Reader = hr.Body
	if r.class == classStream {
		// The first byte arrived: from now on only silence is bounded. The
		// concurrency slot is freed too, so that a consumer may call the
		// client while iterating without deadlocking on its own stream.
		release()
		total.Stop()
		idle := &idleReader{r: hr.Body, d: c.timeouts.StreamIdle, cancel: func() { cancel(errCallTimeout) }}
		idle.timer = time.AfterFunc(idle.d, idle.cancel)
		rd = idle
		prev := cleanup
		cleanup = func() { idle.timer.Stop(); prev() }
	}
	if strings.EqualFold(hr.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(rd)
		if err != nil {
			cleanup()
			return nil, 0, c.classify(ctx, r, u, hr.StatusCode, KindMalformed, nil, fmt.Errorf("invalid gzip body: %w", err))
		}
		rd = zr
	}
	br := bufio.NewReaderSize(&ctxErrReader{r: rd, ctx: ctx, c: c, req: r, url: u}, 64<<10)
	resp := &response{status: hr.StatusCode, header: hr.Header, body: br, url: u, close: cleanup}

	if hr.StatusCode >= 200 && hr.StatusCode < 300 {
		if err := checkJSONBody(hr, br); err != nil {
			cleanup()
			return nil, 0, c.classify(ctx, r, u, hr.StatusCode, KindLoginRedirect, nil, err)
		}
		return resp, 0, nil
	}
	if slices.Contains(r.reportStatuses, hr.StatusCode) && looksLikeJSON(hr, br) {
		return resp, 0, nil
	}
	// An error: read a bounded part of the body for the message.
	snippet, _ := io.ReadAll(io.LimitReader(br, 64<<10))
	cleanup()
	retryAfter := parseRetryAfter(hr.Header.Get("Retry-After"), time.Now())
	kind := kindForStatus(hr.StatusCode)
	e := c.classify(ctx, r, u, hr.StatusCode, kind, snippet, nil)
	if kind == KindLoginRedirect {
		e.Message = "redirected to " + redactURL(hr.Header.Get("Location"))
	}
	if hr.StatusCode == 503 || hr.StatusCode == 502 || hr.StatusCode == 504 {
		e.Kind, e.Hint = KindServer, hints[KindServer]
	}
	return nil, retryAfter, e
}

// classify builds an *Error with the server's WebMessage when present.
func (c *Client) classify(_ context.Context, r *request, u string, status int, kind Kind, body []byte, cause error) *Error {
	e := &Error{Kind: kind, Op: r.op, Method: r.method, URL: redactURL(u), HTTPStatus: status, Hint: hints[kind], Err: cause}
	if len(body) > 0 {
		var wm webMessage
		if json.Unmarshal(body, &wm) == nil && (wm.Message != "" || wm.HTTPStatusCode != 0) {
			e.Message, e.ErrorCode = wm.Message, wm.ErrorCode
			if wm.DevMessage != "" {
				e.Message += " (" + wm.DevMessage + ")"
			}
		} else if isHTML(body) {
			e.Kind, e.Hint = KindLoginRedirect, hints[KindLoginRedirect]
			e.Message = "the server answered with an HTML page"
		} else {
			e.Message = truncate(strings.TrimSpace(string(body)), 300)
		}
	}
	if e.Err == nil {
		e.Err = kind
	}
	return e
}

// webMessage is DHIS2's generic JSON envelope.
type webMessage struct {
	HTTPStatus     string          `json:"httpStatus"`
	HTTPStatusCode int             `json:"httpStatusCode"`
	Status         string          `json:"status"`
	Message        string          `json:"message"`
	DevMessage     string          `json:"devMessage"`
	ErrorCode      string          `json:"errorCode"`
	Response       json.RawMessage `json:"response"`
}

// transportError maps a failure before any response to a Kind.
func (c *Client) transportError(ctx context.Context, r *request, u string, err error) error {
	if ctx.Err() != nil {
		return c.ctxError(ctx, r, u, err)
	}
	e := &Error{Op: r.op, Method: r.method, URL: redactURL(u), Err: err}
	var (
		certErr     *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		netErr      net.Error
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr), errors.As(err, &alertErr),
		strings.Contains(err.Error(), "tls: "):
		e.Kind = KindTLS
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Kind = KindTimeout
	default:
		// Refused, reset, DNS failures, EOF before headers: the server
		// cannot be reached or dropped the connection.
		e.Kind = KindUnreachable
		if errors.Is(err, syscall.ECONNREFUSED) {
			e.Message = "connection refused"
		}
	}
	e.Hint = hints[e.Kind]
	return e
}

// ctxError reports cancellation by the caller as such, and our own or the
// caller's deadline as KindTimeout.
func (c *Client) ctxError(ctx context.Context, r *request, u string, err error) error {
	cause := context.Cause(ctx)
	if errors.Is(cause, errCallTimeout) || errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: KindTimeout, Op: r.op, Method: r.method, URL: redactURL(u), Hint: hints[KindTimeout], Err: context.DeadlineExceeded}
	}
	if ctx.Err() != nil {
		return ctxErr{fmt.Errorf("dhis2: %s: %w", r.op, ctx.Err())}
	}
	return ctxErr{fmt.Errorf("dhis2: %s: %w", r.op, err)}
}

// checkJSONBody rejects HTML (a login page or a proxy error page) where
// JSON was expected.
func checkJSONBody(hr *http.Response, br *bufio.Reader) error {
	ct := strings.ToLower(hr.Header.Get("Content-Type"))
	if strings.Contains(ct, "text/html") {
		return errors.New("the server answered with an HTML page where JSON was expected")
	}
	first, _ := br.Peek(512)
	if isHTML(first) {
		return errors.New("the server answered with an HTML page where JSON was expected")
	}
	return nil
}

func looksLikeJSON(hr *http.Response, br *bufio.Reader) bool {
	if strings.Contains(strings.ToLower(hr.Header.Get("Content-Type")), "text/html") {
		return false
	}
	b, _ := br.Peek(64)
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

func isHTML(b []byte) bool {
	// JSON never starts with '<'; HTML (login pages, proxy errors) does.
	b = bytes.TrimPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("\ufeff"))
	return len(b) > 0 && b[0] == '<'
}

// parseRetryAfter accepts delta-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// idleReader cancels the request when no byte arrives for d.
type idleReader struct {
	r      io.Reader
	d      time.Duration
	timer  *time.Timer
	cancel func()
}

func (i *idleReader) Read(p []byte) (int, error) {
	n, err := i.r.Read(p)
	if n > 0 {
		i.timer.Reset(i.d)
	}
	return n, err
}

// ctxErrReader turns a read failure caused by a timeout or cancellation
// into the package's error kinds.
type ctxErrReader struct {
	r   io.Reader
	ctx context.Context
	c   *Client
	req *request
	url string
}

func (e *ctxErrReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		if e.ctx.Err() != nil {
			return n, e.c.ctxError(e.ctx, e.req, e.url, err)
		}
		return n, &Error{Kind: KindUnreachable, Op: e.req.op, Method: e.req.method, URL: redactURL(e.url),
			Message: "the connection broke while reading the response", Hint: hints[KindUnreachable], Err: err}
	}
	return n, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
