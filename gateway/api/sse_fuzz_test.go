package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// FuzzEventStreamMarshal encodes job log events and errors whose text comes from anywhere (DHIS2 messages,
// object names, user input) as server-sent events: each must stay one "data:" line (no CR or LF inside, which
// would end the field early and let a value inject events), end as an SSE event ends, and decode back to the
// message sent.
func FuzzEventStreamMarshal(f *testing.F) {
	for _, s := range []string{"step organisationUnits started", "line1\nline2", "cr\rlf\r\n", "data: injected\n\nevent: x",
		"\u2028\u2029", "é ü 漢字 🙂", `{"json":"inside"}`, "\x00\x1f\x7f", "\xff\xfe invalid utf-8"} {
		f.Add(s, "attr", int32(3))
	}
	m := &eventStreamMarshaler{JSONPb: runtime.JSONPb{MarshalOptions: protojson.MarshalOptions{}}}
	f.Fuzz(func(t *testing.T, text, attr string, code int32) {
		if !utf8.ValidString(text) || !utf8.ValidString(attr) {
			return // protobuf strings are UTF-8: the gateway never holds anything else
		}
		ev := &orchestratorv1.WatchJobResponse{Kind: "log", Log: &orchestratorv1.LogLine{Message: text, StepId: attr,
			Attributes: map[string]string{attr: text}}}
		check := func(v any, wantBlank bool) []byte {
			out, err := m.Marshal(v)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			body, ok := bytes.CutPrefix(out, []byte("data: "))
			if !ok {
				t.Fatalf("event does not start with data: %q", out)
			}
			end := []byte("\n")
			if wantBlank {
				end = []byte("\n\n")
			}
			body, ok = bytes.CutSuffix(body, end)
			if !ok {
				t.Fatalf("event does not end with %q: %q", end, out)
			}
			if bytes.ContainsAny(body, "\r\n") {
				t.Fatalf("a line break inside the data field: %q", out)
			}
			return body
		}
		body := check(map[string]proto.Message{"result": ev}, false)
		var wrapped struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(body, &wrapped); err != nil {
			t.Fatalf("data is not JSON: %v: %q", err, body)
		}
		var back orchestratorv1.WatchJobResponse
		if err := protojson.Unmarshal(wrapped.Result, &back); err != nil || !proto.Equal(&back, ev) {
			t.Fatalf("round trip: %v\n got %v\nwant %v", err, &back, ev)
		}
		st := &spb.Status{Code: code, Message: text}
		body = check(st, true)
		var errEv struct {
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(body, &errEv); err != nil {
			t.Fatalf("error data is not JSON: %v: %q", err, body)
		}
		var stBack spb.Status
		if err := protojson.Unmarshal(errEv.Error, &stBack); err != nil || !proto.Equal(&stBack, st) {
			t.Fatalf("error round trip: %v\n got %v\nwant %v", err, &stBack, st)
		}
	})
}
