// Package instanceclient turns instance ids into DHIS2 clients with the credentials the instance registry
// holds, for the services that read and write DHIS2 (extractor and loader).
package instanceclient

import (
	"context"
	"fmt"
	"sync"
	"time"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"google.golang.org/grpc"
)

// CredentialsGetter is the part of the instance registry the readers and writers of DHIS2 need.
type CredentialsGetter interface {
	GetCredentials(ctx context.Context, in *instancev1.GetCredentialsRequest, opts ...grpc.CallOption) (*instancev1.GetCredentialsResponse, error)
}

// clientTTL bounds how long resolved credentials are reused, so that a changed password is picked up.
const clientTTL = 5 * time.Minute

// Clients resolves instance ids to DHIS2 clients, reusing each client (and its HTTP connections) for a while.
type Clients struct {
	Registry CredentialsGetter
	// Tune adjusts the client options (tests shorten retry delays).
	Tune func(*dhis2.Options)

	mu    sync.Mutex
	cache map[string]cachedClient
}

type cachedClient struct {
	client *dhis2.Client
	at     time.Time
}

// Get returns the client of an instance.
func (c *Clients) Get(ctx context.Context, id string) (*dhis2.Client, error) {
	c.mu.Lock()
	if cc, ok := c.cache[id]; ok && time.Since(cc.at) < clientTTL {
		c.mu.Unlock()
		return cc.client, nil
	}
	c.mu.Unlock()
	cred, err := c.Registry.GetCredentials(ctx, &instancev1.GetCredentialsRequest{Id: id})
	if err != nil {
		return nil, fmt.Errorf("credentials of instance %s (is the instance registry reachable and the instance registered?): %w", id, err)
	}
	opts := dhis2.Options{BaseURL: cred.GetBaseUrl(), InsecureSkipVerify: cred.GetInsecureSkipVerify()}
	if cred.GetAuthType() == instancev1.AuthType_AUTH_TYPE_TOKEN {
		opts.Auth.Token = cred.GetToken()
	} else {
		opts.Auth.Username, opts.Auth.Password = cred.GetUsername(), cred.GetPassword()
	}
	if c.Tune != nil {
		c.Tune(&opts)
	}
	client, err := dhis2.New(opts)
	if err != nil {
		return nil, fmt.Errorf("instance %s: %w", id, err)
	}
	c.mu.Lock()
	if c.cache == nil {
		c.cache = map[string]cachedClient{}
	}
	c.cache[id] = cachedClient{client: client, at: time.Now()}
	c.mu.Unlock()
	return client, nil
}
