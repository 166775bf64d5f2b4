package instanceregistry

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
)

const validToken = "d2pat_5xVA12xyUbWNedQxy4ohH77WlxRGVvZZ1151814092"

func TestNormalizeBaseURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"https://dhis2.example.org", "https://dhis2.example.org"},
		{"https://dhis2.example.org/", "https://dhis2.example.org"},
		{"  https://dhis2.example.org/  ", "https://dhis2.example.org"},
		{"https://dhis2.example.org/api", "https://dhis2.example.org"},
		{"https://dhis2.example.org/api/", "https://dhis2.example.org"},
		{"https://dhis2.example.org/api/40", "https://dhis2.example.org"},
		{"https://dhis2.example.org/hmis/api", "https://dhis2.example.org/hmis"},
		{"https://dhis2.example.org/hmis//", "https://dhis2.example.org/hmis"},
		{"HTTPS://DHIS2.Example.ORG/Hmis", "https://dhis2.example.org/Hmis"},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"http://[::1]:8080/dhis", "http://[::1]:8080/dhis"},
	}
	for _, tt := range tests {
		var v fielderr.List
		got := normalizeBaseURL(&v, tt.in)
		if len(v) > 0 || got != tt.want {
			t.Errorf("normalizeBaseURL(%q) = %q, %v; want %q", tt.in, got, v, tt.want)
		}
	}
}

func TestNormalizeBaseURLRejects(t *testing.T) {
	tests := []struct {
		in, wantInMessage string
	}{
		{"", "empty"},
		{"dhis2.example.org", "no scheme"},
		{"ftp://dhis2.example.org", "http"},
		{"https://", "no host"},
		{"https://admin:district@dhis2.example.org", "credentials"},
		{"https://dhis2.example.org/?password=district", "query"},
		{"https://dhis2.example.org/#/dashboards", "fragment"},
		{"https://dhis2.example.org/?", "query"},
		{"/relative/path", "scheme"},
	}
	for _, tt := range tests {
		var v fielderr.List
		got := normalizeBaseURL(&v, tt.in)
		if len(v) != 1 || v[0].Field != "baseUrl" {
			t.Errorf("normalizeBaseURL(%q) = %q with violations %v; want one baseUrl violation", tt.in, got, v)
			continue
		}
		if !strings.Contains(v[0].Description, tt.wantInMessage) {
			t.Errorf("normalizeBaseURL(%q): %q does not mention %q", tt.in, v[0].Description, tt.wantInMessage)
		}
		if strings.Contains(v[0].Description, "district") {
			t.Errorf("normalizeBaseURL(%q): message echoes a secret: %q", tt.in, v[0].Description)
		}
	}
}

func TestFromCreate(t *testing.T) {
	base := func() *instancev1.CreateInstanceRequest {
		return &instancev1.CreateInstanceRequest{Name: "Sierra Leone", BaseUrl: "https://play.dhis2.org/40/api/",
			Username: "admin", Password: "district", IsSource: true}
	}
	tokenOnly := func(token string) func(r *instancev1.CreateInstanceRequest) {
		return func(r *instancev1.CreateInstanceRequest) { r.Username, r.Password, r.Token = "", "", token }
	}
	tests := []struct {
		name       string
		edit       func(r *instancev1.CreateInstanceRequest)
		wantFields []string // violated fields; empty: valid
	}{
		{"basic auth", func(r *instancev1.CreateInstanceRequest) {}, nil},
		{"token", tokenOnly(validToken), nil},
		{"neither role", func(r *instancev1.CreateInstanceRequest) { r.IsSource = false }, nil},
		{"100-character name", func(r *instancev1.CreateInstanceRequest) { r.Name = strings.Repeat("é", 100) }, nil},
		{"empty name", func(r *instancev1.CreateInstanceRequest) { r.Name = "  " }, []string{"name"}},
		{"101-character name", func(r *instancev1.CreateInstanceRequest) { r.Name = strings.Repeat("a", 101) }, []string{"name"}},
		{"name with newline", func(r *instancev1.CreateInstanceRequest) { r.Name = "a\nb" }, []string{"name"}},
		{"long description", func(r *instancev1.CreateInstanceRequest) { r.Description = strings.Repeat("x", 2001) }, []string{"description"}},
		{"bad URL", func(r *instancev1.CreateInstanceRequest) { r.BaseUrl = "play.dhis2.org" }, []string{"baseUrl"}},
		{"no credentials", func(r *instancev1.CreateInstanceRequest) { r.Username, r.Password = "", "" }, []string{"username"}},
		{"password without username", func(r *instancev1.CreateInstanceRequest) { r.Username = "" }, []string{"username"}},
		{"username without password", func(r *instancev1.CreateInstanceRequest) { r.Password = "" }, []string{"password"}},
		{"username with colon", func(r *instancev1.CreateInstanceRequest) { r.Username = "ad:min" }, []string{"username"}},
		{"token and password", func(r *instancev1.CreateInstanceRequest) { r.Token = validToken }, []string{"token"}},
		{"token without prefix", tokenOnly("5xVA12xyUbWNedQxy4oh"), []string{"token"}},
		{"token with header prefix", tokenOnly("ApiToken " + validToken), []string{"token"}},
		{"token with space", tokenOnly(validToken + " "), []string{"token"}},
		{"token prefix only", tokenOnly("d2pat_"), []string{"token"}},
		{"token with quotes", tokenOnly("d2pat_\"abc\""), []string{"token"}},
		{"everything wrong", func(r *instancev1.CreateInstanceRequest) { r.Name, r.BaseUrl, r.Username, r.Password = "", "x", "", "" },
			[]string{"name", "baseUrl", "username"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base()
			tt.edit(req)
			in, creds, err := fromCreate(req)
			if got := violatedFields(t, err); !slices.Equal(got, tt.wantFields) {
				t.Fatalf("violated fields = %v (%v), want %v", got, err, tt.wantFields)
			}
			if err == nil {
				checkCreated(t, req, in, creds)
			} else if strings.Contains(err.Error(), "district") || strings.Contains(err.Error(), "5xVA12xyUbWNedQxy4oh") {
				t.Fatalf("error echoes a secret: %v", err)
			}
		})
	}
}

func checkCreated(t *testing.T, req *instancev1.CreateInstanceRequest, in *instance, creds credentials) {
	t.Helper()
	if !in.Active {
		t.Error("active does not default to true")
	}
	if in.BaseURL != "https://play.dhis2.org/40" {
		t.Errorf("base URL = %q, not normalised", in.BaseURL)
	}
	if in.IsSource != req.IsSource || in.IsDestination != req.IsDestination {
		t.Error("roles not kept")
	}
	if req.Token != "" {
		if in.AuthType != authToken || in.Username != "" || creds != (credentials{Token: req.Token}) {
			t.Errorf("token auth: got %q/%q/%+v", in.AuthType, in.Username, creds)
		}
		return
	}
	if in.AuthType != authBasic || in.Username != req.Username || creds != (credentials{Username: req.Username, Password: req.Password}) {
		t.Errorf("basic auth: got %q/%q/%+v", in.AuthType, in.Username, creds)
	}
}

func TestFromCreateActiveFalse(t *testing.T) {
	in, _, err := fromCreate(&instancev1.CreateInstanceRequest{Name: "x", BaseUrl: "http://x", Token: validToken, Active: proto.Bool(false)})
	if err != nil || in.Active {
		t.Fatalf("active=false: got %v, %v", in.Active, err)
	}
}

func TestApplyUpdate(t *testing.T) {
	basic := &instance{ID: "id", Name: "A", BaseURL: "https://a.org", AuthType: authBasic, Username: "admin",
		Active: true, Version: "2.41.1", ConnectionStatus: "ok"}
	tokenAuth := &instance{ID: "id", Name: "A", BaseURL: "https://a.org", AuthType: authToken, Active: true,
		Version: "2.41.1", ConnectionStatus: "ok"}
	tests := []struct {
		name          string
		cur           *instance
		req           *instancev1.UpdateInstanceRequest
		wantFields    []string
		wantAuth      string
		wantUsername  string
		wantCreds     *credentials
		wantReconnect bool
	}{
		{name: "nothing", cur: basic, req: &instancev1.UpdateInstanceRequest{}, wantAuth: authBasic, wantUsername: "admin"},
		{name: "rename and deactivate", cur: basic, req: &instancev1.UpdateInstanceRequest{Name: proto.String(" B "), Active: proto.Bool(false)},
			wantAuth: authBasic, wantUsername: "admin"},
		{name: "same URL in another form", cur: basic, req: &instancev1.UpdateInstanceRequest{BaseUrl: proto.String("HTTPS://A.ORG/api/")},
			wantAuth: authBasic, wantUsername: "admin"},
		{name: "new URL", cur: basic, req: &instancev1.UpdateInstanceRequest{BaseUrl: proto.String("https://b.org")},
			wantAuth: authBasic, wantUsername: "admin", wantReconnect: true},
		{name: "new password", cur: basic, req: &instancev1.UpdateInstanceRequest{Password: proto.String("new")},
			wantAuth: authBasic, wantUsername: "admin", wantCreds: &credentials{Username: "admin", Password: "new"}, wantReconnect: true},
		{name: "new username keeps password", cur: basic, req: &instancev1.UpdateInstanceRequest{Username: proto.String("other")},
			wantAuth: authBasic, wantUsername: "other", wantReconnect: true},
		{name: "basic to token", cur: basic, req: &instancev1.UpdateInstanceRequest{Token: proto.String(validToken)},
			wantAuth: authToken, wantCreds: &credentials{Token: validToken}, wantReconnect: true},
		{name: "token to basic", cur: tokenAuth, req: &instancev1.UpdateInstanceRequest{Username: proto.String("admin"), Password: proto.String("pw")},
			wantAuth: authBasic, wantUsername: "admin", wantCreds: &credentials{Username: "admin", Password: "pw"}, wantReconnect: true},
		{name: "insecure flag", cur: basic, req: &instancev1.UpdateInstanceRequest{InsecureSkipVerify: proto.Bool(true)},
			wantAuth: authBasic, wantUsername: "admin", wantReconnect: true},
		{name: "empty password", cur: basic, req: &instancev1.UpdateInstanceRequest{Password: proto.String("")}, wantFields: []string{"password"}},
		{name: "empty token", cur: basic, req: &instancev1.UpdateInstanceRequest{Token: proto.String("")}, wantFields: []string{"token"}},
		{name: "token and password", cur: basic, req: &instancev1.UpdateInstanceRequest{Token: proto.String(validToken), Password: proto.String("x")},
			wantFields: []string{"token"}},
		{name: "token with username", cur: basic, req: &instancev1.UpdateInstanceRequest{Token: proto.String(validToken), Username: proto.String("admin")},
			wantFields: []string{"username"}},
		{name: "password on token instance", cur: tokenAuth, req: &instancev1.UpdateInstanceRequest{Password: proto.String("x")},
			wantFields: []string{"username"}},
		{name: "username on token instance", cur: tokenAuth, req: &instancev1.UpdateInstanceRequest{Username: proto.String("admin")},
			wantFields: []string{"password"}},
		{name: "empty username on basic instance", cur: basic, req: &instancev1.UpdateInstanceRequest{Username: proto.String("")},
			wantFields: []string{"username"}},
		{name: "bad name and URL", cur: basic, req: &instancev1.UpdateInstanceRequest{Name: proto.String(""), BaseUrl: proto.String("nope")},
			wantFields: []string{"name", "baseUrl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := *tt.cur
			u, err := applyUpdate(tt.cur, tt.req)
			if !reflect.DeepEqual(*tt.cur, before) {
				t.Fatal("applyUpdate modified the current row")
			}
			if got := violatedFields(t, err); !slices.Equal(got, tt.wantFields) {
				t.Fatalf("violated fields = %v (%v), want %v", got, err, tt.wantFields)
			}
			if err != nil {
				return
			}
			if u.next.AuthType != tt.wantAuth || u.next.Username != tt.wantUsername {
				t.Errorf("auth = %q/%q, want %q/%q", u.next.AuthType, u.next.Username, tt.wantAuth, tt.wantUsername)
			}
			if (u.creds == nil) != (tt.wantCreds == nil) || (u.creds != nil && *u.creds != *tt.wantCreds) {
				t.Errorf("creds = %+v, want %+v", u.creds, tt.wantCreds)
			}
			if u.reconnect != tt.wantReconnect {
				t.Errorf("reconnect = %v, want %v", u.reconnect, tt.wantReconnect)
			}
			if tt.wantReconnect && (u.next.ConnectionStatus != "unknown" || u.next.Version != "") {
				t.Errorf("reconnect kept the old test result: %q %q", u.next.ConnectionStatus, u.next.Version)
			}
			if !tt.wantReconnect && (u.next.ConnectionStatus != tt.cur.ConnectionStatus || u.next.Version != tt.cur.Version) {
				t.Error("an update that does not touch the connection forgot the last test result")
			}
		})
	}
}

func TestCheckID(t *testing.T) {
	if err := checkID("0190b6f2-7c1e-7d3a-9f5e-2b8c4d6e8f10"); err != nil {
		t.Fatalf("valid id rejected: %v", err)
	}
	for _, id := range []string{"", " ", "abc", "0190b6f2-7c1e-7d3a-9f5e"} {
		if got := violatedFields(t, checkID(id)); !slices.Equal(got, []string{"id"}) {
			t.Errorf("checkID(%q): violated %v", id, got)
		}
	}
}

// violatedFields returns the fields of an InvalidError, or nil for nil; any other error fails the test.
func violatedFields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var inv *fielderr.InvalidError
	if !errors.As(err, &inv) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("error %v is not an InvalidError", err)
	}
	var fields []string
	for _, v := range inv.Violations {
		if v.Description == "" {
			t.Errorf("violation of %s has no description", v.Field)
		}
		fields = append(fields, v.Field)
	}
	return fields
}
