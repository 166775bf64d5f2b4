package apiclient

import (
	"context"
	"net/http"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
)

// ListInstances returns every instance, ordered by name.
func (c *Client) ListInstances(ctx context.Context) ([]*instancev1.Instance, error) {
	out := &instancev1.ListInstancesResponse{}
	if err := c.call(ctx, http.MethodGet, "/api/v1/instances", nil, nil, out); err != nil {
		return nil, err
	}
	return out.GetInstances(), nil
}

// GetInstance returns one instance.
func (c *Client) GetInstance(ctx context.Context, id string) (*instancev1.Instance, error) {
	out := &instancev1.Instance{}
	err := c.call(ctx, http.MethodGet, "/api/v1/instances/"+escape(id), nil, nil, out)
	return out, err
}

// CreateInstance registers an instance.
func (c *Client) CreateInstance(ctx context.Context, in *instancev1.CreateInstanceRequest) (*instancev1.Instance, error) {
	out := &instancev1.Instance{}
	err := c.call(ctx, http.MethodPost, "/api/v1/instances", nil, in, out)
	return out, err
}

// UpdateInstance changes the fields set in in; in.Id names the instance.
func (c *Client) UpdateInstance(ctx context.Context, in *instancev1.UpdateInstanceRequest) (*instancev1.Instance, error) {
	out := &instancev1.Instance{}
	err := c.call(ctx, http.MethodPatch, "/api/v1/instances/"+escape(in.GetId()), nil, in, out)
	return out, err
}

// DeleteInstance removes an instance.
func (c *Client) DeleteInstance(ctx context.Context, id string) error {
	return c.call(ctx, http.MethodDelete, "/api/v1/instances/"+escape(id), nil, nil, nil)
}

// TestInstance runs a connection test now.
func (c *Client) TestInstance(ctx context.Context, id string) (*instancev1.TestConnectionResponse, error) {
	out := &instancev1.TestConnectionResponse{}
	err := c.call(ctx, http.MethodPost, "/api/v1/instances/"+escape(id)+":test", nil,
		&instancev1.TestConnectionRequest{Id: id}, out)
	return out, err
}
