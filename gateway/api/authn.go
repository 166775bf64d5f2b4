package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	msgSignInFirst  = "sign in first: send Authorization: Bearer <token> (POST /api/v1/auth/login)"
	msgTokenInvalid = "the bearer token is unknown or has expired: sign in again (POST /api/v1/auth/login)"
)

// principal is the signed-in caller behind a bearer token.
type principal struct {
	UserID    string
	Username  string
	Role      authv1.Role // the token's role: the user's, or lower for an API token
	TokenHash []byte
	APIToken  bool
}

// callInfo travels in the request context from the HTTP layer to the backends and the AuthService.
type callInfo struct {
	Principal  *principal // nil before sign-in
	RemoteAddr string
	HTTPMethod string
}

// mutation reports whether the call may change something, which is what the audit trail records.
func (c *callInfo) mutation() bool {
	return c.HTTPMethod != http.MethodGet && c.HTTPMethod != http.MethodHead
}

type callInfoKey struct{}

func withCallInfo(ctx context.Context, c *callInfo) context.Context {
	return context.WithValue(ctx, callInfoKey{}, c)
}

// callInfoFrom returns the call's info; calls that did not come through the HTTP layer get an empty one.
func callInfoFrom(ctx context.Context) *callInfo {
	if c, ok := ctx.Value(callInfoKey{}).(*callInfo); ok {
		return c
	}
	return &callInfo{}
}

// isPublic lists the requests served without a token.
func isPublic(r *http.Request) bool {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/auth/login":
		return true
	case r.Method == http.MethodGet && (r.URL.Path == "/api/v1/openapi.json" || r.URL.Path == "/healthz"):
		return true
	}
	return false
}

// authenticate resolves the bearer token of every non-public request to a principal, answering 401 when there
// is none or it is unknown or expired. Authorization happens later, per gRPC method (roles.go).
func (g *Gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &callInfo{RemoteAddr: remoteHost(r), HTTPMethod: r.Method}
		ctx := withCallInfo(r.Context(), info)
		if !isPublic(r) {
			token, ok := bearerToken(r)
			if !ok {
				g.writeError(w, r, status.Error(codes.Unauthenticated, msgSignInFirst))
				return
			}
			p, err := g.store.principal(ctx, hashToken(token))
			switch {
			case errors.Is(err, errNotFound):
				g.writeError(w, r, status.Error(codes.Unauthenticated, msgTokenInvalid))
				return
			case err != nil:
				g.log.Error("checking a bearer token failed", "error", err)
				g.writeError(w, r, status.Error(codes.Unavailable, "the gateway cannot check sign-ins right now: its database is unavailable"))
				return
			}
			info.Principal = p
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header; the scheme is case-insensitive
// (RFC 9110 §11.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// remoteHost is the client's IP address as the connection shows it. X-Forwarded-For is not trusted: anyone
// can send it, and the rate limiter and the audit trail must not be fooled by it.
func remoteHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}
