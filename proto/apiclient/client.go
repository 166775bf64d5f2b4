package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Client calls the gateway with one user's bearer token. It is cheap: make one per request with WithToken.
type Client struct {
	base  string
	http  *http.Client
	token string
}

// New returns a client for the gateway at baseURL (e.g. "http://127.0.0.1:8080"). A nil httpClient gets a
// client with a 60 s timeout for unary calls; the event stream uses its own client without a timeout.
func New(baseURL string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 60 * time.Second}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), http: httpClient}
}

// WithToken returns a copy of c that authenticates with token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// Token returns the bearer token c sends, "" when it is anonymous.
func (c *Client) Token() string { return c.token }

var (
	marshal   = protojson.MarshalOptions{}
	unmarshal = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// Do sends in as the JSON body (nil for none; a proto.Message is encoded with protojson, anything else with
// encoding/json) and decodes a 2xx answer into out (nil to ignore it; a proto.Message with protojson, a
// *json.RawMessage verbatim, anything else with encoding/json). path may carry a query string. A non-2xx
// answer is an *Error; a gateway that does not answer wraps ErrUnreachable; an undecodable answer ErrMalformed.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		var b []byte
		var err error
		if m, ok := in.(proto.Message); ok {
			b, err = marshal.Marshal(m)
		} else {
			b, err = json.Marshal(in)
		}
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("build %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrUnreachable, method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%w: read %s %s: %w", ErrUnreachable, method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return decodeError(resp.StatusCode, b)
	}
	if out == nil || len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	switch v := out.(type) {
	case proto.Message:
		err = unmarshal.Unmarshal(b, v)
	case *json.RawMessage:
		*v = append((*v)[:0], b...)
	default:
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrMalformed, method, path, err)
	}
	return nil
}

// call is Do with a query.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return c.Do(ctx, method, path, in, out)
}

func (c *Client) authorize(req *http.Request) {
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
}

func escape(id string) string { return url.PathEscape(id) }
