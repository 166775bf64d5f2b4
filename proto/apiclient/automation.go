package apiclient

import (
	"context"
	"net/http"

	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
)

// ListAutomationStates returns what the watcher and the scheduler know of every automatic and scheduled
// configuration.
func (c *Client) ListAutomationStates(ctx context.Context) ([]*orchestratorv1.AutomationState, error) {
	out := &orchestratorv1.ListAutomationStatesResponse{}
	if err := c.call(ctx, http.MethodGet, "/api/v1/automation", nil, nil, out); err != nil {
		return nil, err
	}
	return out.GetStates(), nil
}
