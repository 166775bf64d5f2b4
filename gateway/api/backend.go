package api

import (
	"context"

	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// Backend is a gRPC service the gateway forwards to.
type Backend struct {
	Name string                   // service name for messages, e.g. "instance-registry"
	Addr string                   // where it was dialled, for messages
	Conn grpc.ClientConnInterface // usually from grpcx.Identity.Dial
}

// backendConn is the gateway's client interceptor, shaped as a connection so that the generated clients use it
// unchanged: every call is authorized against the role table, carries the user name (and never the client's
// bearer token) to the service, is audited when it changes something, and a service that cannot be reached
// becomes Unavailable (HTTP 503) with a message that names it.
type backendConn struct {
	Backend
	audit auditor
}

var _ grpc.ClientConnInterface = (*backendConn)(nil)

func (b *backendConn) Invoke(ctx context.Context, method string, req, resp any, opts ...grpc.CallOption) error {
	info := callInfoFrom(ctx)
	err := authorize(info.Principal, method)
	if err == nil {
		var p peer.Peer
		err = b.Conn.Invoke(outgoing(ctx, info), method, req, resp, append(opts, grpc.Peer(&p))...)
		err = b.explain(err, &p)
	}
	if info.mutation() {
		b.audit.record(ctx, "", method, objectID(req, resp), err)
	}
	return err
}

func (b *backendConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	info := callInfoFrom(ctx)
	if err := authorize(info.Principal, method); err != nil {
		if info.mutation() {
			b.audit.record(ctx, "", method, "", err)
		}
		return nil, err
	}
	p := new(peer.Peer)
	s, err := b.Conn.NewStream(outgoing(ctx, info), desc, method, append(opts, grpc.Peer(p))...)
	if err != nil {
		return nil, b.explain(err, p)
	}
	return &backendStream{ClientStream: s, b: b, peer: p}, nil
}

// outgoing sets the metadata the service sees: the user name from the verified token, replacing anything a
// client tried to pass itself, and no Authorization (grpc-gateway forwards it by default).
func outgoing(ctx context.Context, info *callInfo) context.Context {
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	md.Delete("authorization")
	md.Delete(grpcx.UserHeader)
	if info.Principal != nil {
		md.Set(grpcx.UserHeader, info.Principal.Username)
	}
	return metadata.NewOutgoingContext(ctx, md)
}

// explain rewrites the error of a call that never reached the service (no peer was picked) into a message
// that says which service is down and where the gateway looked for it. Unavailable errors the service itself
// returned (such as an unreachable DHIS2) pass through unchanged.
func (b *backendConn) explain(err error, p *peer.Peer) error {
	if err == nil || status.Code(err) != codes.Unavailable || (p != nil && p.Addr != nil) {
		return err
	}
	return status.Errorf(codes.Unavailable,
		"the %s service is unavailable at %s: it may not be running (start it, or check DHIS2SYNC_%s_ADDR): %s",
		b.Name, b.Addr, envName(b.Name), status.Convert(err).Message())
}

func envName(service string) string {
	out := []byte(service)
	for i, c := range out {
		switch {
		case c == '-':
			out[i] = '_'
		case c >= 'a' && c <= 'z':
			out[i] = c - 'a' + 'A'
		}
	}
	return string(out)
}

// backendStream explains stream errors the same way as unary ones.
type backendStream struct {
	grpc.ClientStream
	b    *backendConn
	peer *peer.Peer
}

func (s *backendStream) Header() (metadata.MD, error) {
	md, err := s.ClientStream.Header()
	return md, s.b.explain(err, s.peer)
}

func (s *backendStream) RecvMsg(m any) error {
	return s.b.explain(s.ClientStream.RecvMsg(m), s.peer)
}

func (s *backendStream) SendMsg(m any) error {
	return s.b.explain(s.ClientStream.SendMsg(m), s.peer)
}
