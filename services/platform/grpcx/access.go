package grpcx

import (
	"context"
	"slices"
	"strings"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

const (
	gateway      = settings.Gateway
	config       = settings.Config
	orchestrator = settings.Orchestrator
	extractor    = settings.Extractor
	loader       = settings.Loader
)

// access is the one table of which services may call each internal gRPC method, keyed by full method name.
// A method missing here is refused to every caller (TestEveryInternalMethodHasARule keeps it complete). When
// the gateway is the caller it must name the signed-in user it acts for: it reaches the services only on a
// user's behalf, after checking that user's role (gateway/api/roles.go).
var access = map[string][]string{
	// DHIS2 secrets: only the processes that speak to DHIS2 with them.
	instancev1.InstanceService_GetCredentials_FullMethodName: {extractor, loader},

	instancev1.InstanceService_ListInstances_FullMethodName:  {gateway, orchestrator},
	instancev1.InstanceService_GetInstance_FullMethodName:    {gateway, config, orchestrator},
	instancev1.InstanceService_CreateInstance_FullMethodName: {gateway},
	instancev1.InstanceService_UpdateInstance_FullMethodName: {gateway},
	instancev1.InstanceService_DeleteInstance_FullMethodName: {gateway},
	instancev1.InstanceService_TestConnection_FullMethodName: {gateway},

	configv1.ConfigService_ListConfigs_FullMethodName:    {gateway, orchestrator}, // the scheduler reads schedules
	configv1.ConfigService_GetConfig_FullMethodName:      {gateway, orchestrator}, // a launch reads its configuration
	configv1.ConfigService_ValidateConfig_FullMethodName: {gateway},
	configv1.ConfigService_CreateConfig_FullMethodName:   {gateway},
	configv1.ConfigService_UpdateConfig_FullMethodName:   {gateway, orchestrator}, // the watcher switches off an automatic configuration after repeated failures
	configv1.ConfigService_DeleteConfig_FullMethodName:   {gateway},

	orchestratorv1.OrchestratorService_ListJobs_FullMethodName:     {gateway},
	orchestratorv1.OrchestratorService_GetJob_FullMethodName:       {gateway},
	orchestratorv1.OrchestratorService_ListJobLogs_FullMethodName:  {gateway},
	orchestratorv1.OrchestratorService_WatchJob_FullMethodName:     {gateway},
	orchestratorv1.OrchestratorService_LaunchConfig_FullMethodName: {gateway},
	orchestratorv1.OrchestratorService_CancelJob_FullMethodName:    {gateway},
	orchestratorv1.OrchestratorService_RetryJob_FullMethodName:     {gateway},

	orchestratorv1.AutomationService_GetAutomationState_FullMethodName:   {gateway},
	orchestratorv1.AutomationService_ListAutomationStates_FullMethodName: {gateway},
	orchestratorv1.AutomationService_SendTestAlert_FullMethodName:        {gateway},

	extractorv1.ChangeProbeService_ProbeChanges_FullMethodName: {orchestrator}, // automatic mode's watcher

	extractorv1.ExtractorService_ExtractStep_FullMethodName: {orchestrator},
	extractorv1.ExtractorService_CancelJob_FullMethodName:   {orchestrator},
	extractorv1.ExtractorService_VerifyStep_FullMethodName:  {orchestrator},

	loaderv1.LoaderService_LoadStep_FullMethodName:  {orchestrator},
	loaderv1.LoaderService_CancelJob_FullMethodName: {orchestrator},
}

// openPrefixes are the methods any client may call: health checks (load balancers and scripts have no
// certificate) and reflection, which describes only the public protobuf schema.
var openPrefixes = []string{"/grpc.health.v1.Health/", "/grpc.reflection.v1.ServerReflection/", "/grpc.reflection.v1alpha.ServerReflection/"}

// Callers returns the services allowed to call method, and whether the method has a rule at all.
func Callers(method string) ([]string, bool) {
	c, ok := access[method]
	return slices.Clone(c), ok
}

// Caller returns the service that made the call, as its verified certificate names it, or "" when the
// caller presented none.
func Caller(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return ""
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.VerifiedChains) == 0 || len(info.State.VerifiedChains[0]) == 0 {
		return ""
	}
	return info.State.VerifiedChains[0][0].Subject.CommonName
}

// authorize applies the access table to a call: Unauthenticated without a service certificate, never data;
// PermissionDenied for a service the table does not name.
func authorize(ctx context.Context, method string) error {
	for _, p := range openPrefixes {
		if strings.HasPrefix(method, p) {
			return nil
		}
	}
	caller := Caller(ctx)
	if caller == "" {
		return status.Errorf(codes.Unauthenticated,
			"%s needs a dhis2sync service certificate: internal gRPC is mutual TLS with the certificates in DHIS2SYNC_IDENTITY_DIR (integrators use the gateway's public API)", method)
	}
	allowed, known := access[method]
	switch {
	case !known:
		return status.Errorf(codes.PermissionDenied, "%s has no access rule, so no service may call it", method)
	case !slices.Contains(allowed, caller):
		return status.Errorf(codes.PermissionDenied, "the %s service may not call %s (allowed: %s)", caller, method, strings.Join(allowed, ", "))
	case caller == gateway && User(ctx) == "":
		return status.Errorf(codes.PermissionDenied, "the gateway calls %s only on behalf of a signed-in user, and named none", method)
	}
	return nil
}

func authorizeUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := authorize(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func authorizeStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := authorize(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}
