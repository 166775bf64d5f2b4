package e2e

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/dhis2sync/dhis2sync/proto/apiclient"
)

// TestInvalidRequestsThroughREST sends requests the registry and the config service refuse through the real
// gateway binary: each answers 400 with the services' field violations, never a 500.
func TestInvalidRequestsThroughREST(t *testing.T) {
	st := Start(t, "instance-registry", "config", "gateway")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := st.Client(ctx)

	cases := []struct {
		name, path string
		body       map[string]any
		fields     []string // fields that must be named among the violations
	}{
		{"instance with a bad URL", "/api/v1/instances",
			map[string]any{"name": "National", "baseUrl": "not a url", "username": "sync", "password": "pw", "isSource": true},
			[]string{"baseUrl"}},
		{"instance without a name or credentials", "/api/v1/instances",
			map[string]any{"baseUrl": "https://hmis.example.org", "isSource": true},
			[]string{"name"}},
		{"configuration with unknown instances", "/api/v1/configs",
			map[string]any{"name": "Nightly", "sourceInstanceId": "no-such-source", "syncType": "SYNC_TYPE_METADATA", "destinationInstanceIds": []string{"no-such-destination"}},
			[]string{"sourceInstanceId", "destinationInstanceIds[0]"}},
		{"configuration with a bad cron", "/api/v1/configs",
			map[string]any{"name": "Nightly", "executionMode": "EXECUTION_MODE_SCHEDULED", "schedule": map[string]any{"cron": "every night"}},
			[]string{"schedule.cron"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := c.Do(ctx, http.MethodPost, tc.path, tc.body, nil)
			var apiErr *apiclient.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("want a gateway error, got %v", err)
			}
			if apiErr.HTTPStatus != http.StatusBadRequest {
				t.Fatalf("status %d (%s), want 400", apiErr.HTTPStatus, apiErr.Message)
			}
			var named []string
			for _, v := range apiErr.Violations {
				if v.Description == "" {
					t.Errorf("violation of %s says nothing", v.Field)
				}
				named = append(named, v.Field)
			}
			for _, f := range tc.fields {
				if !slices.Contains(named, f) {
					t.Errorf("violations name %v, want %s among them", named, f)
				}
			}
		})
	}
}
