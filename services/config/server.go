package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/fielderr"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
)

// Server implements configv1.ConfigServiceServer over the config schema.
type Server struct {
	configv1.UnimplementedConfigServiceServer
	store     *store
	validator *Validator
	log       *slog.Logger
}

// NewServer returns a server storing configurations in db (whose search_path is the config schema, as
// pgdb.Open sets it) and checking instance references with v.
func NewServer(db *sqlx.DB, v *Validator, log *slog.Logger) *Server {
	return &Server{store: &store{db: db}, validator: v, log: log}
}

// CreateConfig validates and stores a new configuration. The id is chosen here (UUIDv7) and a new
// configuration is always active: proto3 cannot tell "active: false" from "not sent", so a client that wants
// it inactive updates it afterwards.
func (s *Server) CreateConfig(ctx context.Context, req *configv1.CreateConfigRequest) (*configv1.CreateConfigResponse, error) {
	in := WithDefaults(req.GetConfig())
	in.Id, in.Active = "", true
	c, err := s.check(ctx, in)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, toStatus(ctx, s.log, fmt.Errorf("new configuration id: %w", err))
	}
	c.Id, c.CreateTime, c.UpdateTime = id.String(), nil, nil
	stored, err := s.store.create(ctx, c)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	s.logChange(ctx, "configuration created", stored)
	return &configv1.CreateConfigResponse{Config: stored}, nil
}

// GetConfig returns one configuration.
func (s *Server) GetConfig(ctx context.Context, req *configv1.GetConfigRequest) (*configv1.GetConfigResponse, error) {
	id, err := parseID("id", "configuration", req.GetId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	c, err := s.store.get(ctx, id)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &configv1.GetConfigResponse{Config: c}, nil
}

// ListConfigs returns the configurations matching every filter that is set, ordered by name.
func (s *Server) ListConfigs(ctx context.Context, req *configv1.ListConfigsRequest) (*configv1.ListConfigsResponse, error) {
	f := listFilter{ExecutionMode: req.GetExecutionMode(), Active: req.Active}
	if req.GetInstanceId() != "" {
		id, err := parseID("instanceId", "instance", req.GetInstanceId())
		if err != nil {
			return nil, toStatus(ctx, s.log, err)
		}
		f.InstanceID = id
	}
	if f.ExecutionMode != configv1.ExecutionMode_EXECUTION_MODE_UNSPECIFIED {
		var vs fielderr.List
		checkEnum(&vs, "executionMode", f.ExecutionMode)
		if err := invalid(vs); err != nil {
			return nil, toStatus(ctx, s.log, err)
		}
	}
	cs, err := s.store.list(ctx, f)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &configv1.ListConfigsResponse{Configs: cs}, nil
}

// UpdateConfig replaces a configuration with the one in the request, whose id names it.
func (s *Server) UpdateConfig(ctx context.Context, req *configv1.UpdateConfigRequest) (*configv1.UpdateConfigResponse, error) {
	id, err := parseID("id", "configuration", req.GetConfig().GetId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if _, err := s.store.get(ctx, id); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	c, err := s.check(ctx, req.GetConfig())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	c.Id = id
	stored, err := s.store.update(ctx, c)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	s.logChange(ctx, "configuration updated", stored)
	return &configv1.UpdateConfigResponse{Config: stored}, nil
}

// DeleteConfig removes a configuration.
func (s *Server) DeleteConfig(ctx context.Context, req *configv1.DeleteConfigRequest) (*configv1.DeleteConfigResponse, error) {
	id, err := parseID("id", "configuration", req.GetId())
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	if err := s.store.delete(ctx, id); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	s.log.InfoContext(ctx, "configuration deleted", slog.String("config_id", id), slog.String("user", grpcx.User(ctx)))
	return &configv1.DeleteConfigResponse{}, nil
}

// ValidateConfig checks a configuration as CreateConfig (without an id) or UpdateConfig (with one) would, and
// returns it with defaults applied. Without an id it is checked as active, as a created configuration is.
func (s *Server) ValidateConfig(ctx context.Context, req *configv1.ValidateConfigRequest) (*configv1.ValidateConfigResponse, error) {
	in := WithDefaults(req.GetConfig())
	if in.Id == "" {
		in.Active = true
	} else if _, err := parseID("id", "configuration", in.Id); err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	c, err := s.check(ctx, in)
	if err != nil {
		return nil, toStatus(ctx, s.log, err)
	}
	return &configv1.ValidateConfigResponse{Config: c}, nil
}

// check validates c and its name's uniqueness (other than c itself), reporting a taken name alongside the other
// violations, or alone as a *NameTakenError.
func (s *Server) check(ctx context.Context, c *configv1.Config) (*configv1.Config, error) {
	out, err := s.validator.Validate(ctx, c)
	var invalid *fielderr.InvalidError
	if err != nil && !errors.As(err, &invalid) {
		return nil, err
	}
	if out.Name == "" {
		return out, err
	}
	taken, terr := s.store.nameTaken(ctx, out.Name, out.Id)
	switch {
	case terr != nil:
		return nil, terr
	case !taken:
		return out, err
	case invalid != nil:
		nt := &NameTakenError{Name: out.Name}
		invalid.Violations = append(invalid.Violations, fielderr.Violation{Field: "name", Description: nt.Error()})
		sortViolations(invalid.Violations)
		return nil, invalid
	}
	return nil, &NameTakenError{Name: out.Name}
}

func (s *Server) logChange(ctx context.Context, msg string, c *configv1.Config) {
	s.log.InfoContext(ctx, msg, slog.String("config_id", c.Id), slog.String("name", c.Name),
		slog.String("execution_mode", c.ExecutionMode.String()), slog.Bool("active", c.Active),
		slog.String("user", grpcx.User(ctx)))
}

// parseID returns the id of a configuration (or, with what "instance", of an instance) in canonical form, or
// an *fielderr.InvalidError naming field.
func parseID(field, what, id string) (string, error) {
	u, err := uuid.Parse(strings.TrimSpace(id))
	if err != nil {
		var vs fielderr.List
		if id == "" {
			vs.Addf(field, "is required: give the %s's id", what)
		} else {
			vs.Addf(field, "%q is not a valid id: use the %s id dhis2sync returned (a UUID)", id, what)
		}
		return "", invalid(vs)
	}
	return u.String(), nil
}
