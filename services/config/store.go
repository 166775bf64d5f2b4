package config

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

// store reads and writes config.configs. Its connection's search_path is the config schema.
type store struct {
	db *sqlx.DB
}

// listFilter restricts a list; zero fields do not filter.
type listFilter struct {
	InstanceID    string // source or any destination
	ExecutionMode configv1.ExecutionMode
	Active        *bool
}

type row struct {
	ID         string    `db:"id"`
	Body       []byte    `db:"body"`
	CreateTime time.Time `db:"create_time"`
	UpdateTime time.Time `db:"update_time"`
}

const rowColumns = `id, body, create_time, update_time`

// create inserts c, whose id is set, and returns it as stored.
func (s *store) create(ctx context.Context, c *configv1.Config) (*configv1.Config, error) {
	body, err := marshalBody(c)
	if err != nil {
		return nil, err
	}
	var r row
	err = s.db.GetContext(ctx, &r, `INSERT INTO configs
		(id, name, source_instance_id, destination_instance_ids, sync_type, execution_mode, active, body)
		VALUES ($1, $2, $3, $4::uuid[], $5, $6, $7, $8)
		RETURNING `+rowColumns,
		c.Id, c.Name, c.SourceInstanceId, pq.Array(c.DestinationInstanceIds), c.SyncType.String(),
		c.ExecutionMode.String(), c.Active, body)
	if err != nil {
		return nil, storeError("create configuration", c, err)
	}
	return r.config()
}

func (s *store) get(ctx context.Context, id string) (*configv1.Config, error) {
	var r row
	if err := s.db.GetContext(ctx, &r, `SELECT `+rowColumns+` FROM configs WHERE id = $1`, id); err != nil {
		return nil, storeError("get configuration", &configv1.Config{Id: id}, err)
	}
	return r.config()
}

// update replaces the configuration with c's id and returns it as stored; create_time is kept.
func (s *store) update(ctx context.Context, c *configv1.Config) (*configv1.Config, error) {
	body, err := marshalBody(c)
	if err != nil {
		return nil, err
	}
	var r row
	err = s.db.GetContext(ctx, &r, `UPDATE configs SET name = $2, source_instance_id = $3,
		destination_instance_ids = $4::uuid[], sync_type = $5, execution_mode = $6, active = $7, body = $8,
		update_time = now()
		WHERE id = $1
		RETURNING `+rowColumns,
		c.Id, c.Name, c.SourceInstanceId, pq.Array(c.DestinationInstanceIds), c.SyncType.String(),
		c.ExecutionMode.String(), c.Active, body)
	if err != nil {
		return nil, storeError("update configuration", c, err)
	}
	return r.config()
}

func (s *store) delete(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM configs WHERE id = $1`, id)
	if err != nil {
		return storeError("delete configuration", &configv1.Config{Id: id}, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return nil
}

// list returns the matching configurations ordered by name.
func (s *store) list(ctx context.Context, f listFilter) ([]*configv1.Config, error) {
	var (
		where []string
		args  []any
	)
	if f.InstanceID != "" {
		args = append(args, f.InstanceID)
		where = append(where, fmt.Sprintf("(source_instance_id = $%d OR destination_instance_ids @> ARRAY[$%[1]d::uuid])", len(args)))
	}
	if f.ExecutionMode != configv1.ExecutionMode_EXECUTION_MODE_UNSPECIFIED {
		args = append(args, f.ExecutionMode.String())
		where = append(where, fmt.Sprintf("execution_mode = $%d", len(args)))
	}
	if f.Active != nil {
		args = append(args, *f.Active)
		where = append(where, fmt.Sprintf("active = $%d", len(args)))
	}
	q := `SELECT ` + rowColumns + ` FROM configs`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	var rows []row
	if err := s.db.SelectContext(ctx, &rows, q+` ORDER BY lower(name), id`, args...); err != nil {
		return nil, storeError("list configurations", nil, err)
	}
	out := make([]*configv1.Config, 0, len(rows))
	for _, r := range rows {
		c, err := r.config()
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// nameTaken reports whether a configuration other than exceptID has name, ignoring case.
func (s *store) nameTaken(ctx context.Context, name, exceptID string) (bool, error) {
	var taken bool
	err := s.db.GetContext(ctx, &taken, `SELECT EXISTS (SELECT 1 FROM configs
		WHERE lower(name) = lower($1) AND ($2 = '' OR id::text <> $2))`, name, exceptID)
	if err != nil {
		return false, storeError("check configuration name", nil, err)
	}
	return taken, nil
}

// marshalBody encodes c without the fields that have their own columns.
func marshalBody(c *configv1.Config) ([]byte, error) {
	b := proto.Clone(c).(*configv1.Config)
	b.Id, b.CreateTime, b.UpdateTime = "", nil, nil
	body, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encode configuration: %w", err)
	}
	return body, nil
}

func (r row) config() (*configv1.Config, error) {
	var c configv1.Config
	// Unknown fields are dropped so that a body written by a newer version still reads.
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(r.Body, &c); err != nil {
		return nil, fmt.Errorf("decode configuration %s: %w", r.ID, err)
	}
	c.Id = r.ID
	c.CreateTime = timestamppb.New(r.CreateTime)
	c.UpdateTime = timestamppb.New(r.UpdateTime)
	return &c, nil
}

// storeError turns "no rows" into ErrNotFound and the name index's unique violation into a *NameTakenError.
func storeError(op string, c *configv1.Config, err error) error {
	var pqErr *pq.Error
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %s", ErrNotFound, c.GetId())
	case errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "configs_name_unique":
		return &NameTakenError{Name: c.GetName()}
	}
	return fmt.Errorf("%s: %w", op, err)
}
