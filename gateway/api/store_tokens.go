package api

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
)

const (
	tokenSession = "session"
	tokenAPI     = "api"
)

// createToken stores the hash of a new token and returns its expiry as the database computed it.
func (s *Store) createToken(ctx context.Context, hash []byte, userID, kind, name string, role authv1.Role, ttl time.Duration) (time.Time, error) {
	var expires time.Time
	err := s.db.GetContext(ctx, &expires, `
		INSERT INTO tokens (hash, user_id, kind, name, role, expires_at)
		VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 millisecond')
		RETURNING expires_at`, hash, userID, kind, name, int32(role), ttl.Milliseconds())
	if err != nil {
		return time.Time{}, fmt.Errorf("insert token: %w", err)
	}
	return expires, nil
}

// principal resolves an unexpired token hash. The role is the lower of the token's and the user's current
// role, so demoting a user also demotes their API tokens.
func (s *Store) principal(ctx context.Context, hash []byte) (*principal, error) {
	var row struct {
		UserID   string `db:"user_id"`
		Username string `db:"username"`
		Role     int32  `db:"role"`
		Kind     string `db:"kind"`
	}
	err := s.db.GetContext(ctx, &row, `
		SELECT t.user_id, u.username, least(t.role, u.role) AS role, t.kind
		FROM tokens t JOIN users u ON u.id = t.user_id
		WHERE t.hash = $1 AND t.expires_at > now()`, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("select token: %w", err)
	}
	return &principal{UserID: row.UserID, Username: row.Username, Role: authv1.Role(row.Role), TokenHash: hash, APIToken: row.Kind == tokenAPI}, nil
}

func (s *Store) deleteToken(ctx context.Context, hash []byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM tokens WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("delete token: %w", err)
	}
	return nil
}

// deleteExpiredTokens keeps the table from growing with every sign-in.
func (s *Store) deleteExpiredTokens(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM tokens WHERE expires_at <= now()`); err != nil {
		return fmt.Errorf("delete expired tokens: %w", err)
	}
	return nil
}
