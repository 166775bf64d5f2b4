package dhis2

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// SystemInfo is the part of /api/system/info that dhis2sync uses; Raw keeps
// the whole answer (non-superusers get a reduced one, dhis2-core SystemController#getSystemInfo).
type SystemInfo struct {
	Version          Version
	VersionString    string
	Revision         string
	SystemName       string
	SystemID         string
	ContextPath      string
	ServerDate       time.Time
	ServerTimeZoneID string
	Calendar         string
	Raw              map[string]json.RawMessage
}

// SystemInfo fetches /api/system/info and records the server version.
func (c *Client) SystemInfo(ctx context.Context) (*SystemInfo, error) {
	r := &request{op: "read system info", method: "GET", path: "system/info", class: classShort, idempotent: true}
	var raw map[string]json.RawMessage
	if err := c.getJSON(ctx, r, &raw); err != nil {
		return nil, err
	}
	info, err := ParseSystemInfo(raw)
	if err != nil {
		return nil, &Error{Kind: KindMalformed, Op: r.op, URL: c.baseString + "/api/system/info", Err: err,
			Message: err.Error(), Hint: hints[KindMalformed]}
	}
	c.setVersion(info.Version)
	return info, nil
}

// ParseSystemInfo reads the fields dhis2sync needs from a decoded
// /api/system/info body, tolerating absent fields and both date forms.
func ParseSystemInfo(raw map[string]json.RawMessage) (*SystemInfo, error) {
	info := &SystemInfo{Raw: raw}
	str := func(k string) string {
		var s string
		if v, ok := raw[k]; ok {
			_ = json.Unmarshal(v, &s)
		}
		return s
	}
	info.VersionString = str("version")
	if info.VersionString == "" {
		return nil, fmt.Errorf("system info has no version")
	}
	v, err := ParseVersion(info.VersionString)
	if err != nil {
		return nil, err
	}
	info.Version = v
	info.Revision = str("revision")
	info.SystemName = str("systemName")
	info.SystemID = str("systemId")
	info.ContextPath = str("contextPath")
	info.ServerTimeZoneID = str("serverTimeZoneId")
	info.Calendar = str("calendar")
	if d := str("serverDate"); d != "" {
		loc := time.UTC
		if info.ServerTimeZoneID != "" {
			if l, err := time.LoadLocation(info.ServerTimeZoneID); err == nil {
				loc = l
			}
		}
		t, err := ParseTime(d, loc)
		if err != nil {
			return nil, fmt.Errorf("system info serverDate: %w", err)
		}
		info.ServerDate = t
	}
	return info, nil
}

// dhis2TimeLayouts are the date forms DHIS2 emits: with or without
// milliseconds and zone ("2020-06-25T16:23:50.756", "…+0000", "…Z").
var dhis2TimeLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// ParseTime parses a DHIS2 timestamp; zone-less values are read in loc (the
// server's time zone).
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	for _, layout := range dhis2TimeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a DHIS2 timestamp", s)
}

// FormatTime formats t the way DHIS2 filters and watermarks expect
// (milliseconds, no zone), in loc.
func FormatTime(t time.Time, loc *time.Location) string {
	if loc != nil {
		t = t.In(loc)
	}
	return t.Format("2006-01-02T15:04:05.000")
}

// Ping checks that the server answers with valid credentials.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.SystemInfo(ctx)
	return err
}

// getJSON performs a short request and decodes the whole body into v.
func (c *Client) getJSON(ctx context.Context, r *request, v any) error {
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Close()
	return c.decodeAll(r, resp, v)
}

func (c *Client) decodeAll(r *request, resp *response, v any) error {
	dec := json.NewDecoder(resp.body)
	if err := dec.Decode(v); err != nil {
		return c.readError(r, resp, err)
	}
	return nil
}

// readError maps a decoding failure: transport errors pass through, the
// rest means the body is not the JSON DHIS2 sends.
func (c *Client) readError(r *request, resp *response, err error) error {
	if e, ok := asError(err); ok {
		return e
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &Error{Kind: KindMalformed, Op: r.op, Method: r.method, URL: redactURL(resp.url), HTTPStatus: resp.status,
		Hint: hints[KindMalformed], Err: err}
}
