package api

import (
	"context"
	"log/slog"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// auditor writes the audit trail. A failed write is logged, never returned: the call it describes has already
// happened and its caller deserves its real outcome.
type auditor struct {
	store *Store
	log   *slog.Logger
}

// record writes one event for method, by the caller in ctx (or username when the caller is not signed in,
// as in a failed login), with the gRPC code of err as outcome.
func (a auditor) record(ctx context.Context, username, method, objectID string, err error) {
	info := callInfoFrom(ctx)
	if username == "" && info.Principal != nil {
		username = info.Principal.Username
	}
	e := auditEvent{
		Username: username, Action: method, ObjectID: objectID,
		Outcome: status.Code(err).String(), RemoteAddr: info.RemoteAddr,
	}
	// The client may have gone; the trail must still be written.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if werr := a.store.insertAudit(ctx, e); werr != nil {
		a.log.Error("audit event lost", slog.String("action", method), slog.String("user", username),
			slog.String("object_id", objectID), slog.String("outcome", e.Outcome), slog.String("error", werr.Error()))
	}
}

// objectID finds the id of the object a call is about: the request's id (or config_id, or the id of a message
// it carries, as in UpdateConfig), else the id of the object the response returns (as after a create).
func objectID(req, resp any) string {
	for _, v := range []any{req, resp} {
		m, ok := v.(proto.Message)
		if !ok || m == nil {
			continue
		}
		if id := idOf(m.ProtoReflect(), true); id != "" {
			return id
		}
	}
	return ""
}

func idOf(m protoreflect.Message, nested bool) string {
	if !m.IsValid() {
		return ""
	}
	fields := m.Descriptor().Fields()
	for _, name := range []protoreflect.Name{"id", "config_id"} {
		if f := fields.ByName(name); f != nil && f.Kind() == protoreflect.StringKind && f.Cardinality() != protoreflect.Repeated {
			if id := m.Get(f).String(); id != "" {
				return id
			}
		}
	}
	if !nested {
		return ""
	}
	for i := range fields.Len() {
		f := fields.Get(i)
		if f.Kind() == protoreflect.MessageKind && !f.IsList() && !f.IsMap() && m.Has(f) {
			if id := idOf(m.Get(f).Message(), false); id != "" {
				return id
			}
		}
	}
	return ""
}
