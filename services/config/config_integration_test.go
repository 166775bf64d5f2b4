package config

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

func TestCRUD(t *testing.T) {
	e := newTestEnv(t, false)
	ctx := t.Context()

	in := validConfig()
	in.Active = false // ignored: new configurations are active
	in.Id = "ignored"
	created := e.create(t, in)
	id, err := uuid.Parse(created.GetId())
	if err != nil || id.Version() != 7 {
		t.Fatalf("id %q is not a UUIDv7", created.GetId())
	}
	if !created.GetActive() || created.GetCreateTime() == nil || !proto.Equal(created.GetCreateTime(), created.GetUpdateTime()) {
		t.Errorf("created: active=%v create=%v update=%v", created.GetActive(), created.GetCreateTime(), created.GetUpdateTime())
	}
	want := WithDefaults(in)
	want.Id, want.Active, want.CreateTime, want.UpdateTime = created.Id, true, created.CreateTime, created.UpdateTime
	if !proto.Equal(created, want) {
		t.Errorf("created config differs from the request with defaults:\n got %v\nwant %v", created, want)
	}

	got, err := e.client.GetConfig(ctx, &configv1.GetConfigRequest{Id: strings.ToUpper(created.Id)})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got.GetConfig(), created) {
		t.Errorf("GetConfig:\n got %v\nwant %v", got.GetConfig(), created)
	}

	edit := proto.Clone(created).(*configv1.Config)
	edit.Name, edit.Description, edit.Active = "Weekly data", "every Monday", false
	edit.SyncType = configv1.SyncType_SYNC_TYPE_DATA
	edit.DestinationInstanceIds = []string{dstID, dst2ID}
	edit.ExecutionMode = configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED
	edit.Schedule = &configv1.Schedule{Cron: "0 4 * * 1", TimeZone: "Africa/Abidjan"}
	edit.Filters = &configv1.Filters{DataSetIds: []string{"BfMAe6Itzgt"}, Periods: []string{"2024Q1"}}
	upd, err := e.client.UpdateConfig(ctx, &configv1.UpdateConfigRequest{Config: edit})
	if err != nil {
		t.Fatal(err)
	}
	u := upd.GetConfig()
	if !proto.Equal(u.GetCreateTime(), created.GetCreateTime()) || u.GetUpdateTime().AsTime().Before(created.GetUpdateTime().AsTime()) {
		t.Errorf("timestamps after update: create %v → %v, update %v → %v", created.CreateTime, u.CreateTime, created.UpdateTime, u.UpdateTime)
	}
	edit.UpdateTime = u.UpdateTime
	if !proto.Equal(u, edit) {
		t.Errorf("updated:\n got %v\nwant %v", u, edit)
	}
	got, err = e.client.GetConfig(ctx, &configv1.GetConfigRequest{Id: created.Id})
	if err != nil || !proto.Equal(got.GetConfig(), u) {
		t.Errorf("GetConfig after update = %v, %v", got.GetConfig(), err)
	}

	// The indexed columns follow the body, which holds neither the id nor the timestamps.
	var row struct {
		Name, SyncType, Mode string
		Active               bool
		Dsts                 string
		HasID                bool
	}
	err = e.db.QueryRowxContext(ctx, `SELECT name, sync_type, execution_mode, active, destination_instance_ids::text,
		body ? 'id' OR body ? 'createTime' FROM config.configs WHERE id = $1`, created.Id).
		Scan(&row.Name, &row.SyncType, &row.Mode, &row.Active, &row.Dsts, &row.HasID)
	if err != nil {
		t.Fatal(err)
	}
	if row.Name != "Weekly data" || row.SyncType != "SYNC_TYPE_DATA" || row.Mode != "EXECUTION_MODE_SCHEDULED" ||
		row.Active || row.Dsts != "{"+dstID+","+dst2ID+"}" || row.HasID {
		t.Errorf("stored row = %+v", row)
	}

	if _, err := e.client.DeleteConfig(ctx, &configv1.DeleteConfigRequest{Id: created.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetConfig(ctx, &configv1.GetConfigRequest{Id: created.Id})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.DeleteConfig(ctx, &configv1.DeleteConfigRequest{Id: created.Id})
	wantCode(t, err, codes.NotFound)
	_, err = e.client.UpdateConfig(ctx, &configv1.UpdateConfigRequest{Config: edit})
	wantCode(t, err, codes.NotFound)
}

func TestBadIDs(t *testing.T) {
	e := newTestEnv(t, false)
	ctx := t.Context()
	_, err := e.client.GetConfig(ctx, &configv1.GetConfigRequest{Id: "nightly"})
	if code, vs := fieldViolations(err); code != codes.InvalidArgument || !strings.Contains(vs["id"], "a UUID") {
		t.Errorf("GetConfig(bad id) = %s %v", code, vs)
	}
	_, err = e.client.UpdateConfig(ctx, &configv1.UpdateConfigRequest{Config: validConfig()})
	if code, vs := fieldViolations(err); code != codes.InvalidArgument || !strings.Contains(vs["id"], "is required") {
		t.Errorf("UpdateConfig(no id) = %s %v", code, vs)
	}
	_, err = e.client.DeleteConfig(ctx, &configv1.DeleteConfigRequest{})
	wantCode(t, err, codes.InvalidArgument)
	_, err = e.client.ListConfigs(ctx, &configv1.ListConfigsRequest{InstanceId: "hmis"})
	if code, vs := fieldViolations(err); code != codes.InvalidArgument || vs["instanceId"] == "" {
		t.Errorf("ListConfigs(bad instance id) = %s %v", code, vs)
	}
}

func TestUniqueName(t *testing.T) {
	e := newTestEnv(t, false)
	ctx := t.Context()
	first := e.create(t, validConfig())
	second := validConfig()
	second.Name = "Weekly"
	second = e.create(t, second)

	dup := validConfig()
	dup.Name = " NIGHTLY metadata "
	_, err := e.client.CreateConfig(ctx, &configv1.CreateConfigRequest{Config: dup})
	if code, vs := fieldViolations(err); code != codes.AlreadyExists || !strings.Contains(vs["name"], `"NIGHTLY metadata" already exists`) || len(vs) != 1 {
		t.Errorf("create with a taken name = %s %v", code, vs)
	}

	// With other problems, the taken name is one violation among them.
	dup.SyncType = 0
	_, err = e.client.CreateConfig(ctx, &configv1.CreateConfigRequest{Config: dup})
	if code, vs := fieldViolations(err); code != codes.InvalidArgument || vs["name"] == "" || vs["syncType"] == "" {
		t.Errorf("create with a taken name and no sync type = %s %v", code, vs)
	}

	second.Name = "nightly METADATA"
	_, err = e.client.UpdateConfig(ctx, &configv1.UpdateConfigRequest{Config: second})
	wantCode(t, err, codes.AlreadyExists)

	// A configuration keeps its own name, whatever the case.
	first.Name = "NIGHTLY METADATA"
	if _, err := e.client.UpdateConfig(ctx, &configv1.UpdateConfigRequest{Config: first}); err != nil {
		t.Errorf("renaming a configuration to its own name in capitals: %v", err)
	}
	if _, err := e.client.ValidateConfig(ctx, &configv1.ValidateConfigRequest{Config: first}); err != nil {
		t.Errorf("validating a stored configuration: %v", err)
	}
	first.Id = ""
	_, err = e.client.ValidateConfig(ctx, &configv1.ValidateConfigRequest{Config: first})
	wantCode(t, err, codes.AlreadyExists)
}

func TestInstanceReferences(t *testing.T) {
	e := newTestEnv(t, false)
	cases := []struct {
		name   string
		change func(c *configv1.Config)
		field  string
		says   string
	}{
		{"unknown source", func(c *configv1.Config) { c.SourceInstanceId = unknownID }, "sourceInstanceId", "does not exist"},
		{"inactive source", func(c *configv1.Config) { c.SourceInstanceId = inactiveID }, "sourceInstanceId", `"Old server" is inactive`},
		{"source not a source", func(c *configv1.Config) { c.SourceInstanceId = destOnlyID }, "sourceInstanceId", "set isSource"},
		{"unknown destination", func(c *configv1.Config) { c.DestinationInstanceIds = []string{dstID, unknownID} }, "destinationInstanceIds[1]", "does not exist"},
		{"inactive destination", func(c *configv1.Config) { c.DestinationInstanceIds = []string{inactiveID} }, "destinationInstanceIds[0]", "activate it"},
		{"destination not a destination", func(c *configv1.Config) { c.DestinationInstanceIds = []string{sourceOnlyID} }, "destinationInstanceIds[0]", "set isDestination"},
		{"source as destination", func(c *configv1.Config) { c.DestinationInstanceIds = []string{srcID} }, "destinationInstanceIds[0]", "onto itself"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			c.Name = tc.name
			tc.change(c)
			for rpc, call := range map[string]func() error{
				"create": func() error {
					_, err := e.client.CreateConfig(t.Context(), &configv1.CreateConfigRequest{Config: c})
					return err
				},
				"validate": func() error {
					_, err := e.client.ValidateConfig(t.Context(), &configv1.ValidateConfigRequest{Config: c})
					return err
				},
			} {
				code, vs := fieldViolations(call())
				if code != codes.InvalidArgument || len(vs) != 1 || !strings.Contains(vs[tc.field], tc.says) {
					t.Errorf("%s = %s %v, want InvalidArgument with %s saying %q", rpc, code, vs, tc.field, tc.says)
				}
			}
		})
	}
	list, err := e.client.ListConfigs(t.Context(), &configv1.ListConfigsRequest{})
	if err != nil || len(list.GetConfigs()) != 0 {
		t.Errorf("refused configurations were stored: %v %v", list.GetConfigs(), err)
	}
}

func TestRegistryDown(t *testing.T) {
	e := newTestEnv(t, true)
	ctx := t.Context()
	_, err := e.client.CreateConfig(ctx, &configv1.CreateConfigRequest{Config: validConfig()})
	wantCode(t, err, codes.Unavailable)
	if !strings.Contains(err.Error(), "instance registry unreachable at 127.0.0.1:") || !strings.Contains(err.Error(), "is it running?") {
		t.Errorf("message %q does not say where the registry was expected", err)
	}
	_, err = e.client.ValidateConfig(ctx, &configv1.ValidateConfigRequest{Config: validConfig()})
	wantCode(t, err, codes.Unavailable)
	// Reading needs no registry.
	list, err := e.client.ListConfigs(ctx, &configv1.ListConfigsRequest{})
	if err != nil || len(list.GetConfigs()) != 0 {
		t.Errorf("ListConfigs = %v, %v", list.GetConfigs(), err)
	}
}

func TestValidateConfigStoresNothing(t *testing.T) {
	e := newTestEnv(t, false)
	ctx := t.Context()
	resp, err := e.client.ValidateConfig(ctx, &configv1.ValidateConfigRequest{Config: validConfig()})
	if err != nil {
		t.Fatal(err)
	}
	if c := resp.GetConfig(); c.GetAutoSync().GetPollIntervalSeconds() != DefaultPollIntervalSeconds || c.GetId() != "" ||
		c.GetImportStrategy() != configv1.ImportStrategy_IMPORT_STRATEGY_CREATE_AND_UPDATE {
		t.Errorf("ValidateConfig returned %v", c)
	}
	list, err := e.client.ListConfigs(ctx, &configv1.ListConfigsRequest{})
	if err != nil || len(list.GetConfigs()) != 0 {
		t.Errorf("ValidateConfig stored something: %v %v", list.GetConfigs(), err)
	}
}

func TestListFilters(t *testing.T) {
	e := newTestEnv(t, false)
	ctx := t.Context()
	mk := func(name, src string, dsts []string, mode configv1.ExecutionMode, active bool) {
		c := validConfig()
		c.Name, c.SourceInstanceId, c.DestinationInstanceIds, c.ExecutionMode = name, src, dsts, mode
		if mode == configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED {
			c.Schedule = &configv1.Schedule{Cron: "0 2 * * *"}
		}
		c = e.create(t, c)
		if !active {
			c.Active = false
			if _, err := e.client.UpdateConfig(ctx, &configv1.UpdateConfigRequest{Config: c}); err != nil {
				t.Fatal(err)
			}
		}
	}
	manual, scheduled, automatic := configv1.ExecutionMode_EXECUTION_MODE_MANUAL, configv1.ExecutionMode_EXECUTION_MODE_SCHEDULED, configv1.ExecutionMode_EXECUTION_MODE_AUTOMATIC
	mk("delta", srcID, []string{dstID}, manual, true)
	mk("Alpha", dst2ID, []string{dstID}, scheduled, true)
	mk("charlie", srcID, []string{destOnlyID, dst2ID}, scheduled, false)
	mk("Bravo", srcID, []string{destOnlyID}, automatic, true)

	yes, no := true, false
	cases := []struct {
		name string
		req  *configv1.ListConfigsRequest
		want []string
	}{
		{"all, by name", &configv1.ListConfigsRequest{}, []string{"Alpha", "Bravo", "charlie", "delta"}},
		{"instance as source", &configv1.ListConfigsRequest{InstanceId: srcID}, []string{"Bravo", "charlie", "delta"}},
		{"instance as source or destination", &configv1.ListConfigsRequest{InstanceId: strings.ToUpper(dst2ID)}, []string{"Alpha", "charlie"}},
		{"instance as destination", &configv1.ListConfigsRequest{InstanceId: destOnlyID}, []string{"Bravo", "charlie"}},
		{"unused instance", &configv1.ListConfigsRequest{InstanceId: unknownID}, nil},
		{"scheduled", &configv1.ListConfigsRequest{ExecutionMode: scheduled}, []string{"Alpha", "charlie"}},
		{"scheduled and active", &configv1.ListConfigsRequest{ExecutionMode: scheduled, Active: &yes}, []string{"Alpha"}},
		{"inactive", &configv1.ListConfigsRequest{Active: &no}, []string{"charlie"}},
		{"automatic from source", &configv1.ListConfigsRequest{ExecutionMode: automatic, InstanceId: srcID, Active: &yes}, []string{"Bravo"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := e.client.ListConfigs(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range resp.GetConfigs() {
				got = append(got, c.GetName())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	_, err := e.client.ListConfigs(ctx, &configv1.ListConfigsRequest{ExecutionMode: 9})
	wantCode(t, err, codes.InvalidArgument)
}
