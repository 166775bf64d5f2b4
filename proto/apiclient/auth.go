package apiclient

import (
	"context"
	"net/http"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
)

// Login exchanges credentials for a bearer token.
func (c *Client) Login(ctx context.Context, username, password string) (*authv1.LoginResponse, error) {
	out := &authv1.LoginResponse{}
	err := c.call(ctx, http.MethodPost, "/api/v1/auth/login", nil,
		&authv1.LoginRequest{Username: username, Password: password}, out)
	return out, err
}

// Logout revokes the client's token.
func (c *Client) Logout(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "/api/v1/auth/logout", nil, &authv1.LogoutRequest{}, nil)
}

// Me returns the user behind the token.
func (c *Client) Me(ctx context.Context) (*authv1.User, error) {
	out := &authv1.User{}
	err := c.call(ctx, http.MethodGet, "/api/v1/auth/me", nil, nil, out)
	return out, err
}

// SignIn logs in and returns a copy of c that authenticates as that user.
func (c *Client) SignIn(ctx context.Context, username, password string) (*Client, error) {
	resp, err := c.Login(ctx, username, password)
	if err != nil {
		return nil, err
	}
	return c.WithToken(resp.GetToken()), nil
}
