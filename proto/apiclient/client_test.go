package apiclient_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

func TestNormalizeField(t *testing.T) {
	tests := map[string]string{
		"config.schedule.cron":     "schedule.cron",
		"schedule.timeZone":        "schedule.time_zone",
		"sourceInstanceId":         "source_instance_id",
		"destination_instance_ids": "destination_instance_ids",
		"filters.startDate":        "filters.start_date",
		"instance.baseUrl":         "base_url",
		"name":                     "name",
	}
	for in, want := range tests {
		if got := apiclient.NormalizeField(in); got != want {
			t.Errorf("NormalizeField(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestErrorsAreTyped(t *testing.T) {
	bodies := map[string]struct {
		status int
		body   string
		fields map[string]string
		msg    string
	}{
		"validation": {400, `{"code":3,"message":"bad","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"schedule.cron","description":"not cron"}]}]}`,
			map[string]string{"schedule.cron": "not cron"}, "bad"},
		"html 502":  {502, `<html>bad gateway</html>`, nil, "Bad Gateway"},
		"forbidden": {403, `{"code":7,"message":"no"}`, nil, "no"},
	}
	for name, tc := range bodies {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			_, err := apiclient.New(srv.URL, nil).ListInstances(t.Context())
			var ge *apiclient.Error
			if !errors.As(err, &ge) || ge.HTTPStatus != tc.status || ge.Message != tc.msg {
				t.Fatalf("err = %#v", err)
			}
			for k, v := range tc.fields {
				if apiclient.FieldErrors(err)[k] != v {
					t.Errorf("field %s = %q", k, apiclient.FieldErrors(err)[k])
				}
			}
		})
	}
}

func TestUnreachableAndMalformed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "{not json") }))
	_, err := apiclient.New(srv.URL, nil).ListInstances(t.Context())
	if !errors.Is(err, apiclient.ErrMalformed) {
		t.Errorf("malformed: %v", err)
	}
	srv.Close()
	_, err = apiclient.New(srv.URL, nil).ListInstances(t.Context())
	if !errors.Is(err, apiclient.ErrUnreachable) {
		t.Errorf("unreachable: %v", err)
	}
}

func TestEventStreamParsesMessages(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("Accept %q", r.Header.Get("Accept"))
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, ": comment\n\n"+
			`data: {"result":{"kind":"progress","job":{"id":"j1","progress":{"planned":"200","processed":"50","percent":25}}}}`+"\n\n"+
			`data: {"result":{"kind":"log","log":{"sequence":"7","level":"LOG_LEVEL_WARNING","message":"careful"}}}`+"\n\n"+
			`data: {"error":{"code":14,"message":"orchestrator unavailable"}}`+"\n\n")
	}))
	defer srv.Close()
	s, err := apiclient.New(srv.URL, nil).WatchJob(t.Context(), "j1")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ev, err := s.Next()
	if err != nil || ev.GetKind() != "progress" || ev.GetJob().GetProgress().GetPlanned() != 200 || ev.GetJob().GetProgress().GetPercent() != 25 {
		t.Fatalf("first event %v, %v", ev, err)
	}
	ev, err = s.Next()
	if err != nil || ev.GetLog().GetSequence() != 7 || ev.GetLog().GetLevel().String() != "LOG_LEVEL_WARNING" {
		t.Fatalf("second event %v, %v", ev, err)
	}
	if _, err = s.Next(); err == nil || !strings.Contains(err.Error(), "orchestrator unavailable") {
		t.Fatalf("error event: %v", err)
	}
	if _, err = s.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("end: %v", err)
	}
}

// TestDoSendsJSONAndKeepsRawAnswers: the raw form the end-to-end tests use — a map body with encoding/json, a
// *json.RawMessage answer kept verbatim, a query in the path — and violations as the services named them.
func TestDoSendsJSONAndKeepsRawAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case r.URL.Path == "/api/v1/echo" && r.URL.Query().Get("limit") == "3" && r.Header.Get("Authorization") == "Bearer tok":
			_, _ = w.Write(body)
		default:
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"code":3,"message":"invalid","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest",`+
				`"fieldViolations":[{"field":"destinationInstanceIds[0]","description":"unknown instance"}]}]}`)
		}
	}))
	defer srv.Close()
	c := apiclient.New(srv.URL, nil).WithToken("tok")
	var raw json.RawMessage
	if err := c.Do(t.Context(), http.MethodPost, "/api/v1/echo?limit=3", map[string]any{"dryRun": true}, &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"dryRun":true}` {
		t.Errorf("raw answer %s", raw)
	}
	err := c.Do(t.Context(), http.MethodPost, "/api/v1/configs", map[string]any{}, nil)
	var ge *apiclient.Error
	if !errors.As(err, &ge) || ge.HTTPStatus != http.StatusBadRequest || len(ge.Violations) != 1 ||
		ge.Violations[0].Field != "destinationInstanceIds[0]" || ge.Fields["destination_instance_ids[0]"] != "unknown instance" {
		t.Fatalf("err = %#v", err)
	}
}
