package dhis2

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// ClientVersion is the dhis2sync version sent in the User-Agent header.
var ClientVersion = "0.1.0"

// Auth holds the credentials of one DHIS2 account: either Username and
// Password (Basic) or a personal access token (DHIS2 2.37+).
type Auth struct {
	Username, Password string
	Token              string // d2pat_…; sent as "Authorization: ApiToken <token>"
}

// Timeouts bound each class of call. Zero fields take the defaults.
type Timeouts struct {
	// Connect bounds dialling and the TLS handshake. Default 15s.
	Connect time.Duration
	// Request bounds a short call (system info, task polls, error bodies)
	// and the wait for the first response byte of streamed reads. Default 60s.
	Request time.Duration
	// StreamIdle bounds the silence between two reads of a streamed
	// response; a long export is never cut as long as bytes flow. Default 2m.
	StreamIdle time.Duration
	// Import bounds a synchronous import request. Default 30m.
	Import time.Duration
	// AsyncJob bounds the wait for an asynchronous import job. Default 6h.
	AsyncJob time.Duration
	// PollInterval is the first delay between job polls; it doubles up to
	// 10s. Default 500ms.
	PollInterval time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Connect, 15*time.Second)
	def(&t.Request, 60*time.Second)
	def(&t.StreamIdle, 2*time.Minute)
	def(&t.Import, 30*time.Minute)
	def(&t.AsyncJob, 6*time.Hour)
	def(&t.PollInterval, 500*time.Millisecond)
	return t
}

// RetryPolicy controls retries of requests that are safe to repeat.
type RetryPolicy struct {
	// MaxAttempts counts the first try. Default 4; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the first backoff; it doubles per attempt with full
	// jitter. Default 500ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff and a server's Retry-After. Default 30s.
	MaxDelay time.Duration
}

func (r RetryPolicy) withDefaults() RetryPolicy {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 4
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = 500 * time.Millisecond
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = 30 * time.Second
	}
	return r
}

// Options configure a Client.
type Options struct {
	// BaseURL is the DHIS2 web application, with or without "/api".
	BaseURL string
	Auth    Auth
	// InsecureSkipVerify disables TLS certificate verification; only for
	// instances an administrator explicitly marked so.
	InsecureSkipVerify bool
	// UserAgent defaults to "dhis2sync/<ClientVersion>".
	UserAgent string
	// RatePerSecond limits requests to this instance, shared by every Client
	// of the same base URL in the process. Default 20; negative disables.
	RatePerSecond float64
	// MaxConcurrent limits requests in flight to this instance (until the
	// response starts, for streamed reads), shared like RatePerSecond; the
	// first Client of an instance fixes it. Default 4, where DHIS2 2.41/2.42
	// stop scaling (docs/performance.md).
	MaxConcurrent int
	Timeouts      Timeouts
	Retry         RetryPolicy
	// GzipRequests compresses import bodies for the endpoints that detect
	// gzip by magic bytes (metadata, dataValueSets, legacy events). Default
	// true; set DisableGzipRequests to turn it off.
	DisableGzipRequests bool
	// Version skips detection when the caller already knows it.
	Version Version
	Logger  *slog.Logger
	// HTTPClient replaces the tuned client (tests). Its CheckRedirect is
	// overridden so that login redirects are detected.
	HTTPClient *http.Client
}

// Client speaks to one DHIS2 instance. It is safe for concurrent use.
type Client struct {
	base          *url.URL // without /api, without trailing slash
	baseString    string
	authHeader    string
	userAgent     string
	hc            *http.Client
	gate          *instanceGate
	timeouts      Timeouts
	retry         RetryPolicy
	gzipRequests  bool
	log           *slog.Logger
	sleepHook     func(context.Context, time.Duration) error
	versionMu     sync.Mutex
	version       Version
	versionLoaded bool
}

// apiSuffix matches a trailing /api or /api/<NN> that users often paste.
var apiSuffix = regexp.MustCompile(`/api(/\d+)?$`)

// NormalizeBaseURL returns the DHIS2 web application URL without "/api" and
// trailing slashes, or an error that says what is wrong.
func NormalizeBaseURL(raw string) (*url.URL, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil, invalidInput("new client", "the base URL is empty: give the DHIS2 address, e.g. https://dhis2.example.org")
	}
	if !strings.Contains(s, "://") {
		return nil, invalidInput("new client", "the base URL %q has no scheme: write it as https://%s", s, s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, invalidInput("new client", "the base URL %q is not a valid URL: %v", s, err)
	}
	switch u.Scheme {
	case "http", "https":
	default:
		return nil, invalidInput("new client", "the base URL %q uses scheme %q: only http and https are supported", s, u.Scheme)
	}
	if u.Host == "" {
		return nil, invalidInput("new client", "the base URL %q has no host name", s)
	}
	if u.User != nil {
		return nil, invalidInput("new client", "the base URL contains credentials: remove them from the URL and give them as username/password or token")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, invalidInput("new client", "the base URL %q has a query or fragment: give only the address of the DHIS2 web application", s)
	}
	p := strings.TrimRight(u.Path, "/")
	p = apiSuffix.ReplaceAllString(p, "")
	p = strings.TrimRight(p, "/")
	u.Path = p
	u.RawPath = ""
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	return u, nil
}

// New validates the options and returns a Client. It does not contact the
// server; call SystemInfo or Capabilities for that.
func New(opts Options) (*Client, error) {
	base, err := NormalizeBaseURL(opts.BaseURL)
	if err != nil {
		return nil, err
	}
	authHeader, err := opts.Auth.header()
	if err != nil {
		return nil, err
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 4
	}
	if opts.RatePerSecond == 0 {
		opts.RatePerSecond = 20
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = "dhis2sync/" + ClientVersion
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		base:         base,
		baseString:   base.String(),
		authHeader:   authHeader,
		userAgent:    ua,
		timeouts:     opts.Timeouts.withDefaults(),
		retry:        opts.Retry.withDefaults(),
		gzipRequests: !opts.DisableGzipRequests,
		log:          log.With(slog.String("dhis2_base_url", base.String())),
	}
	c.gate = gateFor(c.baseString, opts.RatePerSecond, opts.MaxConcurrent)
	if opts.HTTPClient != nil {
		hc := *opts.HTTPClient
		hc.CheckRedirect = checkRedirect
		c.hc = &hc
	} else {
		c.hc = &http.Client{
			Transport:     transportFor(c.baseString, opts.InsecureSkipVerify, opts.MaxConcurrent, c.timeouts.Connect),
			CheckRedirect: checkRedirect,
		}
	}
	if !opts.Version.IsZero() {
		c.version, c.versionLoaded = opts.Version, true
	}
	return c, nil
}

// BaseURL is the normalised base URL (without /api).
func (c *Client) BaseURL() string { return c.baseString }

func (a Auth) header() (string, error) {
	switch {
	case a.Token != "" && (a.Username != "" || a.Password != ""):
		return "", invalidInput("new client", "both a token and a username/password are set: use one of them")
	case a.Token != "":
		if strings.ContainsAny(a.Token, " \r\n\t") {
			return "", invalidInput("new client", "the personal access token contains white space: paste the d2pat_… value only")
		}
		return "ApiToken " + a.Token, nil
	case a.Username != "":
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(a.Username+":"+a.Password)), nil
	}
	return "", invalidInput("new client", "no credentials: give a username and password, or a personal access token")
}

// loginPath matches DHIS2 login pages of every version.
var loginPath = regexp.MustCompile(`(?i)(login|dhis-web-commons/security|dhis-web-login)`)

// checkRedirect stops at a login page, so that it surfaces as
// KindLoginRedirect instead of an HTML body, and follows other redirects
// (e.g. http to https) up to a limit.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if loginPath.MatchString(req.URL.Path) {
		return http.ErrUseLastResponse
	}
	if len(via) >= 5 {
		return http.ErrUseLastResponse
	}
	return nil
}

// apiURL builds <base>/api/<path>?<query>. An absolute path (from a pager's
// nextPage or a job location) is used as is when it points at the same host.
func (c *Client) apiURL(path string, q url.Values) (string, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err := url.Parse(path)
		if err != nil {
			return "", fmt.Errorf("invalid URL %q: %w", path, err)
		}
		if !strings.EqualFold(u.Host, c.base.Host) {
			// Reverse proxies often report another host name; keep ours.
			u.Scheme, u.Host = c.base.Scheme, c.base.Host
		}
		return u.String(), nil
	}
	path = strings.TrimPrefix(path, "/")
	path = strings.TrimPrefix(path, "api/")
	s := c.baseString + "/api/" + path
	if len(q) > 0 {
		s += "?" + q.Encode()
	}
	return s, nil
}

// redactURL removes user info and credentials-looking query parameters.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	u.User = nil
	return u.String()
}

// Version returns the detected server version, querying /api/system/info
// once if it is not known yet.
func (c *Client) Version(ctx context.Context) (Version, error) {
	c.versionMu.Lock()
	if c.versionLoaded {
		v := c.version
		c.versionMu.Unlock()
		return v, nil
	}
	c.versionMu.Unlock()
	info, err := c.SystemInfo(ctx)
	if err != nil {
		return Version{}, err
	}
	return info.Version, nil
}

// Capabilities returns the capability table answers for the server, or a
// KindUnsupportedVersion error outside 2.36–2.42.
func (c *Client) Capabilities(ctx context.Context) (Capabilities, error) {
	v, err := c.Version(ctx)
	if err != nil {
		return Capabilities{}, err
	}
	caps := CapabilitiesFor(v)
	if !caps.Supported {
		return caps, &Error{Kind: KindUnsupportedVersion, Op: "detect version", URL: c.baseString,
			Message: "the server runs DHIS2 " + v.String(), Hint: hints[KindUnsupportedVersion]}
	}
	return caps, nil
}

func (c *Client) setVersion(v Version) {
	c.versionMu.Lock()
	c.version, c.versionLoaded = v, true
	c.versionMu.Unlock()
}
