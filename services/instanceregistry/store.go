package instanceregistry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// store reads and writes registry.instances. Its connection's search_path is the registry schema.
type store struct {
	db *sqlx.DB
}

const instanceColumns = `id, name, description, base_url, auth_type, username, secret, secret_key_id, is_source,
	is_destination, active, insecure_skip_verify, version, revision, system_name, server_time_zone,
	connection_status, connection_message, last_connection_test, create_time, update_time`

// listFilter restricts a list; nil fields do not filter.
type listFilter struct {
	IsSource, IsDestination, Active *bool
}

func (s *store) create(ctx context.Context, in *instance) error {
	const q = `INSERT INTO instances (id, name, description, base_url, auth_type, username, secret, secret_key_id,
		is_source, is_destination, active, insecure_skip_verify, connection_status, connection_message)
		VALUES (:id, :name, :description, :base_url, :auth_type, :username, :secret, :secret_key_id,
		:is_source, :is_destination, :active, :insecure_skip_verify, :connection_status, :connection_message)
		RETURNING create_time, update_time`
	rows, err := s.db.NamedQueryContext(ctx, q, in)
	if err != nil {
		return storeError("create instance", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return storeError("create instance", rows.Err())
	}
	return storeError("create instance", rows.Scan(&in.CreateTime, &in.UpdateTime))
}

func (s *store) get(ctx context.Context, id string) (*instance, error) {
	var in instance
	err := s.db.GetContext(ctx, &in, `SELECT `+instanceColumns+` FROM instances WHERE id = $1`, id)
	if err != nil {
		return nil, storeError("get instance", err)
	}
	return &in, nil
}

func (s *store) list(ctx context.Context, f listFilter) ([]*instance, error) {
	var out []*instance
	err := s.db.SelectContext(ctx, &out, `SELECT `+instanceColumns+` FROM instances
		WHERE ($1::boolean IS NULL OR is_source = $1)
		  AND ($2::boolean IS NULL OR is_destination = $2)
		  AND ($3::boolean IS NULL OR active = $3)
		ORDER BY lower(name), id`, f.IsSource, f.IsDestination, f.Active)
	if err != nil {
		return nil, storeError("list instances", err)
	}
	return out, nil
}

// update locks the row, lets change compute the new row from the current one and writes it. An error from
// change aborts without writing.
func (s *store) update(ctx context.Context, id string, change func(cur *instance) (*instance, error)) (*instance, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, storeError("update instance", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var cur instance
	if err := tx.GetContext(ctx, &cur, `SELECT `+instanceColumns+` FROM instances WHERE id = $1 FOR UPDATE`, id); err != nil {
		return nil, storeError("update instance", err)
	}
	next, err := change(&cur)
	if err != nil {
		return nil, err
	}
	const q = `UPDATE instances SET name = :name, description = :description, base_url = :base_url,
		auth_type = :auth_type, username = :username, secret = :secret, secret_key_id = :secret_key_id,
		is_source = :is_source, is_destination = :is_destination, active = :active,
		insecure_skip_verify = :insecure_skip_verify, version = :version, revision = :revision,
		system_name = :system_name, server_time_zone = :server_time_zone, connection_status = :connection_status,
		connection_message = :connection_message, last_connection_test = :last_connection_test, update_time = now()
		WHERE id = :id RETURNING update_time`
	q2, args, err := sqlx.Named(q, next)
	if err != nil {
		return nil, fmt.Errorf("update instance: %w", err)
	}
	if err := tx.QueryRowxContext(ctx, tx.Rebind(q2), args...).Scan(&next.UpdateTime); err != nil {
		return nil, storeError("update instance", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, storeError("update instance", err)
	}
	return next, nil
}

func (s *store) delete(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM instances WHERE id = $1`, id)
	if err != nil {
		return storeError("delete instance", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrNotFound
	}
	return nil
}

// recordConnection stores the outcome of a connection test. A failed test keeps the version detected by the
// last successful one (the server is probably still that version) and records why it failed.
func (s *store) recordConnection(ctx context.Context, id string, r connectionResult) (*instance, error) {
	var in instance
	err := s.db.GetContext(ctx, &in, `UPDATE instances SET
		connection_status = $2, connection_message = $3, last_connection_test = $4,
		version = CASE WHEN $5 = '' THEN version ELSE $5 END,
		revision = CASE WHEN $5 = '' THEN revision ELSE $6 END,
		system_name = CASE WHEN $5 = '' THEN system_name ELSE $7 END,
		server_time_zone = CASE WHEN $5 = '' THEN server_time_zone ELSE $8 END
		WHERE id = $1 RETURNING `+instanceColumns,
		id, statusColumn(r.Status), r.Message, r.Time, r.Version, r.Revision, r.SystemName, r.ServerTimeZone)
	if err != nil {
		return nil, storeError("record connection test", err)
	}
	return &in, nil
}

// sealedUnderOtherKeys returns the ids of instances whose secret was sealed under a key other than keyID.
func (s *store) sealedUnderOtherKeys(ctx context.Context, keyID string) ([]string, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM instances WHERE secret_key_id <> $1 ORDER BY id`, keyID); err != nil {
		return nil, storeError("find secrets to reseal", err)
	}
	return ids, nil
}

// storeError turns database errors into the package's errors; others are wrapped with op.
func storeError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "23505": // unique_violation: the only unique index besides the key is the name
			return ErrDuplicateName
		case "22P02": // invalid_text_representation: an id that is not a UUID
			return ErrNotFound
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

// reseal replaces a secret by the same secret sealed under another key, unless it changed meanwhile.
func (s *store) reseal(ctx context.Context, id string, old, sealed []byte, keyID string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE instances SET secret = $3, secret_key_id = $4 WHERE id = $1 AND secret = $2`,
		id, old, sealed, keyID)
	if err != nil {
		return false, storeError("reseal secret", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
