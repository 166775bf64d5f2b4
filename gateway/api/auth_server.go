package api

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unicode"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	defaultAPITokenDays = 90
	maxAPITokenDays     = 3650
	defaultAuditLimit   = 100
	maxAuditLimit       = 1000
)

// authServer implements AuthService inside the gateway: users, sign-in, tokens and the audit trail. Every
// method starts by checking the role table, as backend calls do in backendConn.
type authServer struct {
	authv1.UnimplementedAuthServiceServer
	store      *Store
	audit      auditor
	limiter    *loginLimiter // failures per username and address
	addrLimit  *loginLimiter // failures per address whatever the username, so rotating names cannot burn CPU on bcrypt
	sessionTTL time.Duration
	log        *slog.Logger
}

// require checks the role table for method and returns the signed-in caller.
func (s *authServer) require(ctx context.Context, method string) (*principal, error) {
	p := callInfoFrom(ctx).Principal
	if err := authorize(p, method); err != nil {
		if callInfoFrom(ctx).mutation() {
			s.audit.record(ctx, "", method, "", err)
		}
		return nil, err
	}
	return p, nil
}

func (s *authServer) internal(what string, err error) error {
	s.log.Error(what, slog.String("error", err.Error()))
	return status.Errorf(codes.Internal, "%s failed; the gateway log has the details", what)
}

func (s *authServer) Login(ctx context.Context, req *authv1.LoginRequest) (*authv1.LoginResponse, error) {
	const method = authv1.AuthService_Login_FullMethodName
	name := strings.TrimSpace(req.GetUsername())
	addr := callInfoFrom(ctx).RemoteAddr
	resp, userID, err := s.login(ctx, name, req.GetPassword(), limiterKey(strings.ToLower(name), addr), addr)
	s.audit.record(ctx, name, method, userID, err)
	return resp, err
}

func (s *authServer) login(ctx context.Context, name, password, key, addr string) (*authv1.LoginResponse, string, error) {
	if name == "" || password == "" {
		return nil, "", status.Error(codes.InvalidArgument, "send a username and a password")
	}
	if s.limiter.blocked(key) {
		return nil, "", status.Errorf(codes.ResourceExhausted,
			"too many failed sign-ins for %q from this address: wait a minute, then try again", name)
	}
	if s.addrLimit.blocked(addr) {
		return nil, "", status.Error(codes.ResourceExhausted,
			"too many failed sign-ins from this address: wait a minute, then try again")
	}
	u, err := s.store.userByName(ctx, name)
	if err != nil && !errors.Is(err, errNotFound) {
		return nil, "", s.internal("sign-in", err)
	}
	if !checkPassword(u.PasswordHash, password) { // an unknown user has an empty hash
		s.limiter.failed(key)
		s.addrLimit.failed(addr)
		return nil, u.ID, status.Error(codes.Unauthenticated, "wrong username or password")
	}
	s.limiter.succeeded(key)
	token, err := newToken()
	if err != nil {
		return nil, u.ID, s.internal("sign-in", err)
	}
	if err := s.store.deleteExpiredTokens(ctx); err != nil {
		s.log.Warn("purging expired tokens failed", slog.String("error", err.Error()))
	}
	expires, err := s.store.createToken(ctx, hashToken(token), u.ID, tokenSession, "", authv1.Role(u.Role), s.sessionTTL)
	if err != nil {
		return nil, u.ID, s.internal("sign-in", err)
	}
	return &authv1.LoginResponse{Token: token, ExpireTime: timestamppb.New(expires), User: u.proto()}, u.ID, nil
}

func (s *authServer) Logout(ctx context.Context, _ *authv1.LogoutRequest) (*authv1.LogoutResponse, error) {
	const method = authv1.AuthService_Logout_FullMethodName
	p, err := s.require(ctx, method)
	if err != nil {
		return nil, err
	}
	if err = s.store.deleteToken(ctx, p.TokenHash); err != nil {
		err = s.internal("sign-out", err)
	}
	s.audit.record(ctx, "", method, p.UserID, err)
	if err != nil {
		return nil, err
	}
	return &authv1.LogoutResponse{}, nil
}

func (s *authServer) GetCurrentUser(ctx context.Context, _ *authv1.GetCurrentUserRequest) (*authv1.GetCurrentUserResponse, error) {
	p, err := s.require(ctx, authv1.AuthService_GetCurrentUser_FullMethodName)
	if err != nil {
		return nil, err
	}
	u, err := s.store.userByID(ctx, p.UserID)
	if err != nil {
		return nil, s.internal("reading the current user", err)
	}
	user := u.proto()
	user.Role = p.Role // what this token may do, which for an API token can be less than the user's role
	return &authv1.GetCurrentUserResponse{User: user}, nil
}

func (s *authServer) CreateUser(ctx context.Context, req *authv1.CreateUserRequest) (*authv1.CreateUserResponse, error) {
	const method = authv1.AuthService_CreateUser_FullMethodName
	if _, err := s.require(ctx, method); err != nil {
		return nil, err
	}
	u, err := s.createUser(ctx, req)
	s.audit.record(ctx, "", method, u.ID, err)
	if err != nil {
		return nil, err
	}
	return &authv1.CreateUserResponse{User: u.proto()}, nil
}

func (s *authServer) createUser(ctx context.Context, req *authv1.CreateUserRequest) (userRow, error) {
	name := strings.TrimSpace(req.GetUsername())
	if err := validUsername(name); err != nil {
		return userRow{}, err
	}
	if n := len(req.GetPassword()); n < minPasswordLen || n > maxPasswordLen {
		return userRow{}, status.Errorf(codes.InvalidArgument, "the password must be %d to %d bytes long", minPasswordLen, maxPasswordLen)
	}
	role := req.GetRole()
	if role == authv1.Role_ROLE_UNSPECIFIED {
		role = viewer
	}
	if role < viewer || role > admin {
		return userRow{}, status.Error(codes.InvalidArgument, "role must be ROLE_VIEWER, ROLE_OPERATOR or ROLE_ADMIN")
	}
	hash, err := hashPassword(req.GetPassword())
	if err != nil {
		return userRow{}, status.Error(codes.InvalidArgument, err.Error())
	}
	u, err := s.store.createUser(ctx, name, hash, role)
	switch {
	case errors.Is(err, errAlreadyExists):
		return userRow{}, status.Errorf(codes.AlreadyExists, "a user named %q already exists", name)
	case err != nil:
		return userRow{}, s.internal("creating the user", err)
	}
	return u, nil
}

func validUsername(name string) error {
	if name == "" || len(name) > 64 {
		return status.Error(codes.InvalidArgument, "the username must be 1 to 64 characters long")
	}
	for _, r := range name {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return status.Error(codes.InvalidArgument, "the username must not contain spaces or control characters")
		}
	}
	return nil
}

func (s *authServer) ListUsers(ctx context.Context, _ *authv1.ListUsersRequest) (*authv1.ListUsersResponse, error) {
	if _, err := s.require(ctx, authv1.AuthService_ListUsers_FullMethodName); err != nil {
		return nil, err
	}
	rows, err := s.store.listUsers(ctx)
	if err != nil {
		return nil, s.internal("listing users", err)
	}
	resp := &authv1.ListUsersResponse{Users: make([]*authv1.User, 0, len(rows))}
	for _, u := range rows {
		resp.Users = append(resp.Users, u.proto())
	}
	return resp, nil
}

func (s *authServer) DeleteUser(ctx context.Context, req *authv1.DeleteUserRequest) (*authv1.DeleteUserResponse, error) {
	const method = authv1.AuthService_DeleteUser_FullMethodName
	if _, err := s.require(ctx, method); err != nil {
		return nil, err
	}
	// Deleting yourself is allowed while another admin remains; the cascade then ends your sessions.
	err := s.store.deleteUser(ctx, req.GetId())
	switch {
	case errors.Is(err, errNotFound):
		err = status.Errorf(codes.NotFound, "no user with id %q", req.GetId())
	case errors.Is(err, errLastAdmin):
		err = status.Error(codes.FailedPrecondition, "this is the last admin: create another admin before deleting it")
	case err != nil:
		err = s.internal("deleting the user", err)
	}
	s.audit.record(ctx, "", method, req.GetId(), err)
	if err != nil {
		return nil, err
	}
	return &authv1.DeleteUserResponse{}, nil
}

func (s *authServer) CreateApiToken(ctx context.Context, req *authv1.CreateApiTokenRequest) (*authv1.CreateApiTokenResponse, error) {
	const method = authv1.AuthService_CreateApiToken_FullMethodName
	p, err := s.require(ctx, method)
	if err != nil {
		return nil, err
	}
	resp, err := s.createAPIToken(ctx, p, req)
	s.audit.record(ctx, "", method, p.UserID, err)
	return resp, err
}

func (s *authServer) createAPIToken(ctx context.Context, p *principal, req *authv1.CreateApiTokenRequest) (*authv1.CreateApiTokenResponse, error) {
	if p.APIToken {
		// Otherwise a leaked token could renew itself for ever.
		return nil, status.Error(codes.PermissionDenied, "API tokens cannot create API tokens: sign in with a password to create one")
	}
	name := strings.TrimSpace(req.GetName())
	if name == "" || len(name) > 100 {
		return nil, status.Error(codes.InvalidArgument, "give the token a name of 1 to 100 characters, such as the integration that will use it")
	}
	role := req.GetRole()
	if role == authv1.Role_ROLE_UNSPECIFIED {
		role = p.Role
	}
	if role < viewer || role > admin {
		return nil, status.Error(codes.InvalidArgument, "role must be ROLE_VIEWER, ROLE_OPERATOR or ROLE_ADMIN")
	}
	if role > p.Role {
		return nil, status.Errorf(codes.PermissionDenied, "a token can have at most your own role (%s), not %s", roleName(p.Role), roleName(role))
	}
	days := req.GetValidDays()
	if days == 0 {
		days = defaultAPITokenDays
	}
	if days < 1 || days > maxAPITokenDays {
		return nil, status.Errorf(codes.InvalidArgument, "validDays must be between 1 and %d", maxAPITokenDays)
	}
	token, err := newToken()
	if err != nil {
		return nil, s.internal("creating the token", err)
	}
	expires, err := s.store.createToken(ctx, hashToken(token), p.UserID, tokenAPI, name, role, time.Duration(days)*24*time.Hour)
	if err != nil {
		return nil, s.internal("creating the token", err)
	}
	return &authv1.CreateApiTokenResponse{Token: token, ExpireTime: timestamppb.New(expires)}, nil
}

func (s *authServer) ListAuditEvents(ctx context.Context, req *authv1.ListAuditEventsRequest) (*authv1.ListAuditEventsResponse, error) {
	if _, err := s.require(ctx, authv1.AuthService_ListAuditEvents_FullMethodName); err != nil {
		return nil, err
	}
	limit := int(req.GetLimit())
	switch {
	case limit < 0:
		return nil, status.Error(codes.InvalidArgument, "limit must not be negative")
	case limit == 0:
		limit = defaultAuditLimit
	case limit > maxAuditLimit:
		limit = maxAuditLimit
	}
	rows, err := s.store.listAudit(ctx, limit, req.GetBeforeId())
	if err != nil {
		return nil, s.internal("reading the audit trail", err)
	}
	resp := &authv1.ListAuditEventsResponse{Events: make([]*authv1.AuditEvent, 0, len(rows))}
	for _, e := range rows {
		resp.Events = append(resp.Events, e.proto())
	}
	return resp, nil
}
