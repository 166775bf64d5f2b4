package api

import (
	"context"
	"fmt"
	"time"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// auditEvent is one row of the audit trail.
type auditEvent struct {
	ID         int64     `db:"id"`
	Time       time.Time `db:"time"`
	Username   string    `db:"username"`
	Action     string    `db:"action"`
	ObjectID   string    `db:"object_id"`
	Outcome    string    `db:"outcome"`
	RemoteAddr string    `db:"remote_addr"`
}

func (e auditEvent) proto() *authv1.AuditEvent {
	return &authv1.AuditEvent{
		Id: e.ID, Time: timestamppb.New(e.Time), Username: e.Username, Action: e.Action,
		ObjectId: e.ObjectID, Outcome: e.Outcome, RemoteAddr: e.RemoteAddr,
	}
}

func (s *Store) insertAudit(ctx context.Context, e auditEvent) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO audit_events (username, action, object_id, outcome, remote_addr) VALUES ($1, $2, $3, $4, $5)`,
		e.Username, e.Action, e.ObjectID, e.Outcome, e.RemoteAddr)
	if err != nil {
		return fmt.Errorf("insert audit event: %w", err)
	}
	return nil
}

// listAudit returns up to limit events, newest first, older than beforeID when it is positive.
func (s *Store) listAudit(ctx context.Context, limit int, beforeID int64) ([]auditEvent, error) {
	var events []auditEvent
	err := s.db.SelectContext(ctx, &events, `
		SELECT id, time, username, action, object_id, outcome, remote_addr FROM audit_events
		WHERE $1::bigint <= 0 OR id < $1::bigint ORDER BY id DESC LIMIT $2`, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return events, nil
}
