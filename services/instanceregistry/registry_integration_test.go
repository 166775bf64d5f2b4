package instanceregistry

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/secretbox"
)

func TestCRUD(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := t.Context()

	sl := e.create(t, &instancev1.CreateInstanceRequest{
		Name: "Sierra Leone", Description: "national HMIS", BaseUrl: "HTTPS://Play.DHIS2.org/40/api/",
		Username: "admin", Password: "district", IsSource: true,
	})
	if _, err := uuid.Parse(sl.GetId()); err != nil {
		t.Fatalf("id %q is not a UUID", sl.GetId())
	}
	if sl.GetBaseUrl() != "https://play.dhis2.org/40" || !sl.GetActive() || sl.GetAuthType() != instancev1.AuthType_AUTH_TYPE_BASIC ||
		sl.GetUsername() != "admin" || !sl.GetIsSource() || sl.GetIsDestination() ||
		sl.GetConnectionStatus() != instancev1.ConnectionStatus_CONNECTION_STATUS_UNKNOWN || sl.GetLastConnectionTest() != nil ||
		sl.GetCreateTime() == nil || sl.GetUpdateTime() == nil {
		t.Fatalf("created instance: %v", sl)
	}
	warehouse := e.create(t, &instancev1.CreateInstanceRequest{
		Name: "archive", BaseUrl: "http://127.0.0.1:8081", Token: validToken, IsDestination: true, Active: proto.Bool(false),
	})
	if warehouse.GetAuthType() != instancev1.AuthType_AUTH_TYPE_TOKEN || warehouse.GetUsername() != "" || warehouse.GetActive() {
		t.Fatalf("token instance: %v", warehouse)
	}

	got, err := e.client.GetInstance(ctx, &instancev1.GetInstanceRequest{Id: sl.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetInstance(), sl) {
		t.Fatalf("GetInstance = %v, want %v", got.GetInstance(), sl)
	}

	list := func(req *instancev1.ListInstancesRequest) []string {
		t.Helper()
		resp, err := e.client.ListInstances(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, in := range resp.GetInstances() {
			names = append(names, in.GetName())
		}
		return names
	}
	for _, tt := range []struct {
		req  *instancev1.ListInstancesRequest
		want []string
	}{
		{&instancev1.ListInstancesRequest{}, []string{"archive", "Sierra Leone"}},
		{&instancev1.ListInstancesRequest{IsSource: proto.Bool(true)}, []string{"Sierra Leone"}},
		{&instancev1.ListInstancesRequest{IsSource: proto.Bool(false)}, []string{"archive"}},
		{&instancev1.ListInstancesRequest{IsDestination: proto.Bool(true)}, []string{"archive"}},
		{&instancev1.ListInstancesRequest{Active: proto.Bool(true)}, []string{"Sierra Leone"}},
		{&instancev1.ListInstancesRequest{Active: proto.Bool(true), IsDestination: proto.Bool(true)}, nil},
	} {
		if got := list(tt.req); !slices.Equal(got, tt.want) {
			t.Errorf("ListInstances(%v) = %v, want %v", tt.req, got, tt.want)
		}
	}

	upd, err := e.client.UpdateInstance(ctx, &instancev1.UpdateInstanceRequest{
		Id: warehouse.GetId(), Name: proto.String("Archive 2024"), Active: proto.Bool(true), IsSource: proto.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	in := upd.GetInstance()
	if in.GetName() != "Archive 2024" || !in.GetActive() || !in.GetIsSource() || !in.GetIsDestination() ||
		in.GetBaseUrl() != warehouse.GetBaseUrl() || in.GetAuthType() != instancev1.AuthType_AUTH_TYPE_TOKEN ||
		!in.GetUpdateTime().AsTime().After(warehouse.GetUpdateTime().AsTime()) {
		t.Fatalf("updated instance: %v", in)
	}
	if got := list(&instancev1.ListInstancesRequest{Active: proto.Bool(true)}); !slices.Equal(got, []string{"Archive 2024", "Sierra Leone"}) {
		t.Fatalf("after update: %v", got)
	}

	if _, err := e.client.DeleteInstance(ctx, &instancev1.DeleteInstanceRequest{Id: sl.GetId()}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetInstance(ctx, &instancev1.GetInstanceRequest{Id: sl.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.DeleteInstance(ctx, &instancev1.DeleteInstanceRequest{Id: sl.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.UpdateInstance(ctx, &instancev1.UpdateInstanceRequest{Id: sl.GetId(), Name: proto.String("x")})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.TestConnection(ctx, &instancev1.TestConnectionRequest{Id: sl.GetId()})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.GetCredentials(ctx, &instancev1.GetCredentialsRequest{Id: sl.GetId()})
	wantCode(t, err, codes.NotFound)
	if got := list(&instancev1.ListInstancesRequest{}); !slices.Equal(got, []string{"Archive 2024"}) {
		t.Fatalf("after delete: %v", got)
	}
}

func TestDuplicateName(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.create(t, &instancev1.CreateInstanceRequest{Name: "HMIS", BaseUrl: "https://a.org", Token: validToken})
	other := e.create(t, &instancev1.CreateInstanceRequest{Name: "Warehouse", BaseUrl: "https://b.org", Token: validToken})

	_, err := e.client.CreateInstance(t.Context(), &instancev1.CreateInstanceRequest{Name: " hmis ", BaseUrl: "https://c.org", Token: validToken})
	wantCode(t, err, codes.AlreadyExists)
	_, err = e.client.UpdateInstance(t.Context(), &instancev1.UpdateInstanceRequest{Id: other.GetId(), Name: proto.String("Hmis")})
	wantCode(t, err, codes.AlreadyExists)
	// Renaming an instance to its own name in another case is not a conflict with itself.
	if _, err := e.client.UpdateInstance(t.Context(), &instancev1.UpdateInstanceRequest{Id: other.GetId(), Name: proto.String("WAREHOUSE")}); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidRequests(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	_, err := e.client.CreateInstance(t.Context(), &instancev1.CreateInstanceRequest{Name: "", BaseUrl: "dhis2.example.org", Token: "abc"})
	wantCode(t, err, codes.InvalidArgument)
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	if !slices.Equal(fields, []string{"name", "baseUrl", "token"}) {
		t.Fatalf("field violations = %v", fields)
	}

	_, err = e.client.GetInstance(t.Context(), &instancev1.GetInstanceRequest{Id: "not-a-uuid"})
	wantCode(t, err, codes.InvalidArgument)
	_, err = e.client.GetInstance(t.Context(), &instancev1.GetInstanceRequest{Id: uuid.NewString()})
	wantCode(t, err, codes.NotFound)

	in := e.create(t, &instancev1.CreateInstanceRequest{Name: "A", BaseUrl: "https://a.org", Username: "u", Password: "p"})
	_, err = e.client.UpdateInstance(t.Context(), &instancev1.UpdateInstanceRequest{Id: in.GetId(), Password: proto.String("")})
	wantCode(t, err, codes.InvalidArgument)
	after, err := e.client.GetInstance(t.Context(), &instancev1.GetInstanceRequest{Id: in.GetId()})
	if err != nil || !proto.Equal(after.GetInstance(), in) {
		t.Fatalf("a refused update changed the instance: %v, %v", after.GetInstance(), err)
	}
}

func TestSecretsAreWriteOnly(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := t.Context()
	const password = "s3cret-Pässword"
	const newPassword = "an0ther-secret"
	token := "d2pat_" + strings.Repeat("Zq", 16) + "1234567890"
	secrets := []string{password, newPassword, token}

	var responses []proto.Message
	basicResp, err := e.client.CreateInstance(ctx, &instancev1.CreateInstanceRequest{Name: "basic", BaseUrl: "http://127.0.0.1:1", Username: "admin", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	tokenResp, err := e.client.CreateInstance(ctx, &instancev1.CreateInstanceRequest{Name: "token", BaseUrl: "http://127.0.0.1:1", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	basicID, tokenID := basicResp.GetInstance().GetId(), tokenResp.GetInstance().GetId()
	responses = append(responses, basicResp, tokenResp)
	for _, id := range []string{basicID, tokenID} {
		get, err := e.client.GetInstance(ctx, &instancev1.GetInstanceRequest{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		tc, err := e.client.TestConnection(ctx, &instancev1.TestConnectionRequest{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		responses = append(responses, get, tc)
	}
	list, err := e.client.ListInstances(ctx, &instancev1.ListInstancesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	responses = append(responses, list)

	creds := func(id string) *instancev1.GetCredentialsResponse {
		t.Helper()
		c, err := e.client.GetCredentials(ctx, &instancev1.GetCredentialsRequest{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := creds(basicID); c.GetUsername() != "admin" || c.GetPassword() != password || c.GetToken() != "" ||
		c.GetAuthType() != instancev1.AuthType_AUTH_TYPE_BASIC || c.GetBaseUrl() != "http://127.0.0.1:1" {
		t.Fatalf("basic credentials: %v", c)
	}
	if c := creds(tokenID); c.GetToken() != token || c.GetUsername() != "" || c.GetPassword() != "" || c.GetAuthType() != instancev1.AuthType_AUTH_TYPE_TOKEN {
		t.Fatalf("token credentials: %v", c)
	}

	upd, err := e.client.UpdateInstance(ctx, &instancev1.UpdateInstanceRequest{Id: basicID, Password: proto.String(newPassword)})
	if err != nil {
		t.Fatal(err)
	}
	responses = append(responses, upd)
	if c := creds(basicID); c.GetPassword() != newPassword {
		t.Fatalf("password not replaced: %v", c)
	}

	for _, resp := range responses {
		text := protojson.Format(resp) + string(mustMarshal(t, resp))
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%T carries a secret: %s", resp, protojson.Format(resp))
			}
		}
	}

	// Every column of every row, as PostgreSQL prints it (bytea as hex).
	var rows []string
	if err := e.db.SelectContext(ctx, &rows, `SELECT i::text FROM instances i`); err != nil {
		t.Fatal(err)
	}
	dump := strings.Join(rows, "\n")
	for _, s := range secrets {
		if strings.Contains(dump, s) || strings.Contains(dump, hex.EncodeToString([]byte(s))) {
			t.Errorf("secret %q stored in clear text: %s", s, dump)
		}
	}
	var keyIDs []string
	if err := e.db.SelectContext(ctx, &keyIDs, `SELECT DISTINCT secret_key_id FROM instances`); err != nil {
		t.Fatal(err)
	}
	if want := secretbox.IDOf(e.key).String(); !slices.Equal(keyIDs, []string{want}) {
		t.Errorf("secret_key_id = %v, want [%s]", keyIDs, want)
	}

	logs := e.logs.String()
	if !strings.Contains(logs, "instance created") {
		t.Fatal("nothing was logged: the log check below would prove nothing")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("secret %q logged", s)
		}
	}
}

func TestSecretBoundToItsInstance(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	a := e.create(t, &instancev1.CreateInstanceRequest{Name: "a", BaseUrl: "https://a.org", Username: "u", Password: "pa"})
	b := e.create(t, &instancev1.CreateInstanceRequest{Name: "b", BaseUrl: "https://b.org", Username: "u", Password: "pb"})
	if _, err := e.db.ExecContext(t.Context(), `UPDATE instances SET secret = (SELECT secret FROM instances WHERE id = $1) WHERE id = $2`,
		a.GetId(), b.GetId()); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.GetCredentials(t.Context(), &instancev1.GetCredentialsRequest{Id: b.GetId()})
	wantCode(t, err, codes.Internal)
	if strings.Contains(status.Convert(err).Message(), "secretbox") {
		t.Errorf("internal detail reached the caller: %v", err)
	}
}

func TestResealAfterKeyRotation(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := t.Context()
	in := e.create(t, &instancev1.CreateInstanceRequest{Name: "a", BaseUrl: "https://a.org", Username: "admin", Password: "district"})

	newKey := make([]byte, secretbox.KeySize)
	newKey[0] = 7
	box, err := secretbox.New(newKey, e.key)
	if err != nil {
		t.Fatal(err)
	}
	rotated := New(e.db, box, nil, e.srv.log)
	if err := rotated.ResealSecrets(ctx); err != nil {
		t.Fatal(err)
	}
	var keyID string
	if err := e.db.GetContext(ctx, &keyID, `SELECT secret_key_id FROM instances WHERE id = $1`, in.GetId()); err != nil {
		t.Fatal(err)
	}
	if keyID != box.KeyID().String() {
		t.Fatalf("secret_key_id = %s after reseal, want %s", keyID, box.KeyID())
	}
	onlyNew, err := secretbox.New(newKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(e.db, onlyNew, nil, e.srv.log).GetCredentials(ctx, &instancev1.GetCredentialsRequest{Id: in.GetId()})
	if err != nil || c.GetPassword() != "district" {
		t.Fatalf("after reseal the new key alone opens: %v, %v", c, err)
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
