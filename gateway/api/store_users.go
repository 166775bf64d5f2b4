package api

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type userRow struct {
	ID           string    `db:"id"`
	Username     string    `db:"username"`
	PasswordHash string    `db:"password_hash"`
	Role         int32     `db:"role"`
	CreatedAt    time.Time `db:"created_at"`
}

func (u userRow) proto() *authv1.User {
	return &authv1.User{Id: u.ID, Username: u.Username, Role: authv1.Role(u.Role), CreateTime: timestamppb.New(u.CreatedAt)}
}

// createUser inserts a user; a username taken in any letter case is errAlreadyExists.
func (s *Store) createUser(ctx context.Context, username, passwordHash string, role authv1.Role) (userRow, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return userRow{}, fmt.Errorf("new user id: %w", err)
	}
	var u userRow
	err = s.db.GetContext(ctx, &u, `
		INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, $4)
		RETURNING id, username, password_hash, role, created_at`, id, username, passwordHash, int32(role))
	if isUniqueViolation(err) {
		return userRow{}, errAlreadyExists
	}
	if err != nil {
		return userRow{}, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

func (s *Store) userByName(ctx context.Context, username string) (userRow, error) {
	var u userRow
	err := s.db.GetContext(ctx, &u, `
		SELECT id, username, password_hash, role, created_at FROM users WHERE lower(username) = lower($1)`, username)
	if errors.Is(err, sql.ErrNoRows) {
		return userRow{}, errNotFound
	}
	if err != nil {
		return userRow{}, fmt.Errorf("select user: %w", err)
	}
	return u, nil
}

func (s *Store) userByID(ctx context.Context, id string) (userRow, error) {
	if _, err := uuid.Parse(id); err != nil {
		return userRow{}, errNotFound
	}
	var u userRow
	err := s.db.GetContext(ctx, &u, `SELECT id, username, password_hash, role, created_at FROM users WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return userRow{}, errNotFound
	}
	if err != nil {
		return userRow{}, fmt.Errorf("select user: %w", err)
	}
	return u, nil
}

func (s *Store) listUsers(ctx context.Context) ([]userRow, error) {
	var users []userRow
	if err := s.db.SelectContext(ctx, &users, `
		SELECT id, username, password_hash, role, created_at FROM users ORDER BY lower(username)`); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// errLastAdmin refuses to delete the only remaining admin, which would lock everyone out of user management.
var errLastAdmin = errors.New("last admin")

// deleteUser removes a user and, by cascade, their tokens.
func (s *Store) deleteUser(ctx context.Context, id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return errNotFound
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var role int32
	// Lock the admins so two concurrent deletions cannot remove the last two together.
	if _, err := tx.ExecContext(ctx, `SELECT id FROM users WHERE role = $1 FOR UPDATE`, int32(admin)); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	err = tx.GetContext(ctx, &role, `SELECT role FROM users WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound
	}
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if authv1.Role(role) == admin {
		var admins int
		if err := tx.GetContext(ctx, &admins, `SELECT count(*) FROM users WHERE role = $1`, int32(admin)); err != nil {
			return fmt.Errorf("delete user: %w", err)
		}
		if admins <= 1 {
			return errLastAdmin
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return nil
}

// EnsureAdmin creates the first admin when no user exists. Without a password it refuses, because a platform
// nobody can sign in to is useless and a default password is a hole.
func (s *Store) EnsureAdmin(ctx context.Context, username, password string) (created bool, err error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM users`); err != nil {
		return false, fmt.Errorf("count users: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	if password == "" {
		return false, errors.New("no platform user exists yet: set DHIS2SYNC_ADMIN_PASSWORD (and optionally DHIS2SYNC_ADMIN_USER, default \"admin\") to create the first admin at start")
	}
	if username == "" {
		username = "admin"
	}
	hash, err := hashPassword(password)
	if err != nil {
		return false, fmt.Errorf("DHIS2SYNC_ADMIN_PASSWORD: %w", err)
	}
	_, err = s.createUser(ctx, username, hash, admin)
	if errors.Is(err, errAlreadyExists) { // another replica created it first
		return false, nil
	}
	return err == nil, err
}
