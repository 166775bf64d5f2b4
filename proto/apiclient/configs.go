package apiclient

import (
	"context"
	"net/http"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

// ListConfigs returns every configuration, ordered by name.
func (c *Client) ListConfigs(ctx context.Context) ([]*configv1.Config, error) {
	out := &configv1.ListConfigsResponse{}
	if err := c.call(ctx, http.MethodGet, "/api/v1/configs", nil, nil, out); err != nil {
		return nil, err
	}
	return out.GetConfigs(), nil
}

// GetConfig returns one configuration.
func (c *Client) GetConfig(ctx context.Context, id string) (*configv1.Config, error) {
	out := &configv1.Config{}
	err := c.call(ctx, http.MethodGet, "/api/v1/configs/"+escape(id), nil, nil, out)
	return out, err
}

// CreateConfig validates and stores a configuration.
func (c *Client) CreateConfig(ctx context.Context, cfg *configv1.Config) (*configv1.Config, error) {
	out := &configv1.Config{}
	err := c.call(ctx, http.MethodPost, "/api/v1/configs", nil, cfg, out)
	return out, err
}

// UpdateConfig replaces the configuration cfg.Id.
func (c *Client) UpdateConfig(ctx context.Context, cfg *configv1.Config) (*configv1.Config, error) {
	out := &configv1.Config{}
	err := c.call(ctx, http.MethodPut, "/api/v1/configs/"+escape(cfg.GetId()), nil, cfg, out)
	return out, err
}

// DeleteConfig removes a configuration.
func (c *Client) DeleteConfig(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodDelete, "/api/v1/configs/"+escape(id), nil, nil, nil)
}

// ValidateConfig checks cfg without storing it and returns it with defaults applied.
func (c *Client) ValidateConfig(ctx context.Context, cfg *configv1.Config) (*configv1.Config, error) {
	out := &configv1.ValidateConfigResponse{}
	if err := c.call(ctx, http.MethodPost, "/api/v1/configs:validate", nil, cfg, out); err != nil {
		return nil, err
	}
	return out.GetConfig(), nil
}
