// Package instanceregistry is the instance-registry service: the DHIS2 instances dhis2sync reads from and
// writes to, their credentials (sealed with AES-256-GCM, never returned except to internal callers of
// GetCredentials), roles, detected version and connection health.
package instanceregistry

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/secretbox"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
)

// EventPublisher publishes a JSON event on a NATS subject; *natsx.Conn is one.
type EventPublisher interface {
	PublishEvent(ctx context.Context, subject string, v any) error
}

// Server implements instancev1.InstanceServiceServer.
type Server struct {
	instancev1.UnimplementedInstanceServiceServer
	store  *store
	box    *secretbox.Box
	events EventPublisher
	tester *tester
	log    *slog.Logger
}

// New returns a Server on db (whose search_path is the registry schema, migrated with Migrations), sealing
// secrets with box and publishing instance health on events (nil: no events).
func New(db *sqlx.DB, box *secretbox.Box, events EventPublisher, log *slog.Logger) *Server {
	return &Server{
		store:  &store{db: db},
		box:    box,
		events: events,
		tester: &tester{timeouts: connectionTimeouts, log: log, now: time.Now},
		log:    log,
	}
}

// CreateInstance registers an instance with its sealed secret.
func (s *Server) CreateInstance(ctx context.Context, req *instancev1.CreateInstanceRequest) (*instancev1.CreateInstanceResponse, error) {
	in, creds, err := fromCreate(req)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, toStatus(ctx, s.log, fmt.Errorf("new instance id: %w", err))
	}
	in.ID = id.String()
	if err := s.seal(in, creds); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if err := s.store.create(ctx, in); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	s.log.InfoContext(ctx, "instance created", slog.String("instance_id", in.ID), slog.String("name", in.Name),
		slog.String("base_url", in.BaseURL), slog.String("auth_type", in.AuthType), slog.String("by", grpcx.User(ctx)))
	return &instancev1.CreateInstanceResponse{Instance: toProto(in)}, nil
}

// GetInstance returns one instance without its secret.
func (s *Server) GetInstance(ctx context.Context, req *instancev1.GetInstanceRequest) (*instancev1.GetInstanceResponse, error) {
	in, err := s.get(ctx, req.GetId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &instancev1.GetInstanceResponse{Instance: toProto(in)}, nil
}

// ListInstances returns the instances ordered by name.
func (s *Server) ListInstances(ctx context.Context, req *instancev1.ListInstancesRequest) (*instancev1.ListInstancesResponse, error) {
	list, err := s.store.list(ctx, listFilter{IsSource: req.IsSource, IsDestination: req.IsDestination, Active: req.Active})
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	resp := &instancev1.ListInstancesResponse{Instances: make([]*instancev1.Instance, len(list))}
	for i, in := range list {
		resp.Instances[i] = toProto(in)
	}
	return resp, nil
}

// UpdateInstance changes the fields set in the request. A new password or token is sealed; a changed address
// or account forgets the last connection test.
func (s *Server) UpdateInstance(ctx context.Context, req *instancev1.UpdateInstanceRequest) (*instancev1.UpdateInstanceResponse, error) {
	if err := checkID(req.GetId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	var secretChanged bool
	in, err := s.store.update(ctx, req.GetId(), func(cur *instance) (*instance, error) {
		u, err := applyUpdate(cur, req)
		if err != nil {
			return nil, err
		}
		if u.creds != nil {
			secretChanged = true
			if err := s.seal(u.next, *u.creds); err != nil {
				return nil, err
			}
		}
		return u.next, nil
	})
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	s.log.InfoContext(ctx, "instance updated", slog.String("instance_id", in.ID), slog.String("name", in.Name),
		slog.Bool("secret_changed", secretChanged), slog.String("by", grpcx.User(ctx)))
	return &instancev1.UpdateInstanceResponse{Instance: toProto(in)}, nil
}

// DeleteInstance removes an instance and its sealed secret.
func (s *Server) DeleteInstance(ctx context.Context, req *instancev1.DeleteInstanceRequest) (*instancev1.DeleteInstanceResponse, error) {
	if err := checkID(req.GetId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if err := s.store.delete(ctx, req.GetId()); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	s.log.InfoContext(ctx, "instance deleted", slog.String("instance_id", req.GetId()), slog.String("by", grpcx.User(ctx)))
	return &instancev1.DeleteInstanceResponse{}, nil
}

// TestConnection calls the instance's /api/system/info now, records the outcome and publishes it.
func (s *Server) TestConnection(ctx context.Context, req *instancev1.TestConnectionRequest) (*instancev1.TestConnectionResponse, error) {
	in, err := s.get(ctx, req.GetId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	r, updated, err := s.testInstance(ctx, in)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &instancev1.TestConnectionResponse{
		Ok:             r.Status == instancev1.ConnectionStatus_CONNECTION_STATUS_OK,
		Status:         r.Status,
		Message:        r.Message,
		Version:        r.Version,
		Revision:       r.Revision,
		SystemName:     r.SystemName,
		ServerTimeZone: r.ServerTimeZone,
		ServerDate:     r.ServerDate,
		LatencyMs:      r.Latency.Milliseconds(),
		Instance:       toProto(updated),
	}, nil
}

// GetCredentials returns the decrypted credentials for the extractor and the loader. Nothing of the answer
// is logged.
func (s *Server) GetCredentials(ctx context.Context, req *instancev1.GetCredentialsRequest) (*instancev1.GetCredentialsResponse, error) {
	in, err := s.get(ctx, req.GetId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	creds, err := s.open(in)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &instancev1.GetCredentialsResponse{
		BaseUrl:            in.BaseURL,
		AuthType:           authTypeProto(in.AuthType),
		Username:           creds.Username,
		Password:           creds.Password,
		Token:              creds.Token,
		InsecureSkipVerify: in.InsecureSkipVerify,
		Version:            in.Version,
	}, nil
}

func (s *Server) get(ctx context.Context, id string) (*instance, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return s.store.get(ctx, id)
}
