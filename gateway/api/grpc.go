package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/grpcx"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

const (
	msgGRPCSignInFirst  = "sign in first: send the metadata authorization: Bearer <token> (dhis2sync.auth.v1.AuthService/Login returns one)"
	msgGRPCTokenInvalid = "the bearer token is unknown or has expired: sign in again (dhis2sync.auth.v1.AuthService/Login)"
)

// GRPCServer returns the public API over gRPC, for integrators: the services of the REST API under the same
// names, with reflection, behind the same bearer tokens, role table and audit trail. The services it proxies
// to see the gateway's service identity and the signed-in user, as for REST.
func (g *Gateway) GRPCServer() (*grpcx.Server, error) {
	s := grpcx.NewPublicServer(g.log,
		grpc.ChainUnaryInterceptor(g.grpcAuthUnary),
		grpc.ChainStreamInterceptor(g.grpcAuthStream),
		grpc.MaxRecvMsgSize(maxBodyBytes),
	)
	authv1.RegisterAuthServiceServer(s.Server, g.auth)
	for _, b := range g.backends {
		desc, err := proxyDesc(b.desc, b.conn, g.streamsCtx)
		if err != nil {
			return nil, err
		}
		s.RegisterService(desc, nil)
	}
	return s, nil
}

// grpcCallInfo authenticates a gRPC call as authenticate does an HTTP request. The caller's metadata never
// reaches the services: backendConn sets what they see.
func (g *Gateway) grpcCallInfo(ctx context.Context, method string) (context.Context, error) {
	info := &callInfo{HTTPMethod: httpVerb(method)}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		info.RemoteAddr = p.Addr.String()
		if host, _, err := net.SplitHostPort(info.RemoteAddr); err == nil {
			info.RemoteAddr = host
		}
	}
	md, _ := metadata.FromIncomingContext(ctx)
	token, hasToken := grpcBearer(md)
	ctx = withCallInfo(metadata.NewIncomingContext(ctx, metadata.MD{}), info)
	if method == authv1.AuthService_Login_FullMethodName || strings.HasPrefix(method, "/grpc.health.v1.") || strings.HasPrefix(method, "/grpc.reflection.") {
		return ctx, nil
	}
	if !hasToken {
		return ctx, status.Error(codes.Unauthenticated, msgGRPCSignInFirst)
	}
	p, err := g.store.principal(ctx, hashToken(token))
	switch {
	case errors.Is(err, errNotFound):
		return ctx, status.Error(codes.Unauthenticated, msgGRPCTokenInvalid)
	case err != nil:
		g.log.Error("checking a bearer token failed", slog.String("error", err.Error()))
		return ctx, status.Error(codes.Unavailable, "the gateway cannot check sign-ins right now: its database is unavailable")
	}
	info.Principal = p
	return ctx, nil
}

func (g *Gateway) grpcAuthUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, err := g.grpcCallInfo(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (g *Gateway) grpcAuthStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, err := g.grpcCallInfo(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	return handler(srv, &ctxStream{ServerStream: ss, ctx: ctx})
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }

// grpcBearer reads "authorization: Bearer <token>" metadata; the scheme is case-insensitive as in HTTP.
func grpcBearer(md metadata.MD) (string, bool) {
	for _, v := range md.Get("authorization") {
		scheme, token, ok := strings.Cut(strings.TrimSpace(v), " ")
		token = strings.TrimSpace(token)
		if ok && strings.EqualFold(scheme, "Bearer") && token != "" {
			return token, true
		}
	}
	return "", false
}

// httpVerb is the HTTP method the REST API maps a gRPC method to (google.api.http), so that the audit trail
// records the same calls whichever protocol made them; a method without a REST route counts as a change.
func httpVerb(method string) string {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(strings.ReplaceAll(strings.TrimPrefix(method, "/"), "/", ".")))
	if err != nil {
		return http.MethodPost
	}
	md, ok := d.(protoreflect.MethodDescriptor)
	if !ok {
		return http.MethodPost
	}
	rule, _ := proto.GetExtension(md.Options(), annotations.E_Http).(*annotations.HttpRule)
	if rule.GetGet() != "" {
		return http.MethodGet
	}
	return http.MethodPost
}

// proxyDesc turns a generated service description into one whose handlers forward every call through conn,
// which authorizes it against the role table, audits it and passes the user to the service. Streams end when
// streams ends (the gateway is stopping), as REST event streams do, instead of holding up the shutdown.
func proxyDesc(desc *grpc.ServiceDesc, conn grpc.ClientConnInterface, streams context.Context) (*grpc.ServiceDesc, error) {
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(desc.ServiceName))
	if err != nil {
		return nil, fmt.Errorf("public gRPC: %s: %w", desc.ServiceName, err)
	}
	sd := d.(protoreflect.ServiceDescriptor)
	types := func(name string) (in, out protoreflect.MessageType, err error) {
		md := sd.Methods().ByName(protoreflect.Name(name))
		if md == nil {
			return nil, nil, fmt.Errorf("public gRPC: %s has no method %s", desc.ServiceName, name)
		}
		if in, err = protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName()); err != nil {
			return nil, nil, err
		}
		out, err = protoregistry.GlobalTypes.FindMessageByName(md.Output().FullName())
		return in, out, err
	}
	out := &grpc.ServiceDesc{ServiceName: desc.ServiceName, HandlerType: (*any)(nil), Metadata: desc.Metadata}
	for _, m := range desc.Methods {
		in, res, err := types(m.MethodName)
		if err != nil {
			return nil, err
		}
		out.Methods = append(out.Methods, grpc.MethodDesc{MethodName: m.MethodName, Handler: unaryProxy(conn, "/"+desc.ServiceName+"/"+m.MethodName, in, res)})
	}
	for _, st := range desc.Streams {
		if st.ClientStreams {
			return nil, fmt.Errorf("public gRPC: %s/%s streams from the client, which the proxy does not support", desc.ServiceName, st.StreamName)
		}
		in, res, err := types(st.StreamName)
		if err != nil {
			return nil, err
		}
		out.Streams = append(out.Streams, grpc.StreamDesc{StreamName: st.StreamName, ServerStreams: true,
			Handler: streamProxy(conn, "/"+desc.ServiceName+"/"+st.StreamName, in, res, streams)})
	}
	return out, nil
}

func unaryProxy(conn grpc.ClientConnInterface, method string, in, out protoreflect.MessageType) grpc.MethodHandler {
	return func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
		req := in.New().Interface()
		if err := dec(req); err != nil {
			return nil, err
		}
		call := func(ctx context.Context, req any) (any, error) {
			resp := out.New().Interface()
			if err := conn.Invoke(ctx, method, req, resp); err != nil {
				return nil, err
			}
			return resp, nil
		}
		if icpt == nil {
			return call(ctx, req)
		}
		return icpt(ctx, req, &grpc.UnaryServerInfo{FullMethod: method}, call)
	}
}

func streamProxy(conn grpc.ClientConnInterface, method string, in, out protoreflect.MessageType, streams context.Context) grpc.StreamHandler {
	return func(_ any, ss grpc.ServerStream) error {
		req := in.New().Interface()
		if err := ss.RecvMsg(req); err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(ss.Context())
		defer cancel()
		defer context.AfterFunc(streams, cancel)()
		cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, method)
		if err != nil {
			return err
		}
		if err := cs.SendMsg(req); err != nil && !errors.Is(err, io.EOF) { // io.EOF: RecvMsg has the status
			return err
		}
		if err := cs.CloseSend(); err != nil {
			return err
		}
		for {
			resp := out.New().Interface()
			if err := cs.RecvMsg(resp); errors.Is(err, io.EOF) {
				return nil
			} else if streams.Err() != nil {
				return status.Error(codes.Unavailable, "the gateway is stopping: watch again in a moment")
			} else if err != nil {
				return err
			}
			if err := ss.SendMsg(resp); err != nil {
				return err
			}
		}
	}
}
