package api

import (
	"fmt"
	"path"

	authv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/auth/v1"
	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	instancev1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/instance/v1"
	orchestratorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/orchestrator/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	// anyone marks a method that needs no sign-in (only Login).
	anyone   = authv1.Role_ROLE_UNSPECIFIED
	viewer   = authv1.Role_ROLE_VIEWER
	operator = authv1.Role_ROLE_OPERATOR
	admin    = authv1.Role_ROLE_ADMIN
)

// minRole is the one authorization table: every gRPC method reachable through the gateway with the lowest
// role allowed to call it. Roles are ordered viewer < operator < admin. A method missing here is denied to
// everyone, which keeps internal RPCs (InstanceService.GetCredentials returns DHIS2 secrets) off the public API.
var minRole = map[string]authv1.Role{
	authv1.AuthService_Login_FullMethodName:           anyone,
	authv1.AuthService_Logout_FullMethodName:          viewer,
	authv1.AuthService_GetCurrentUser_FullMethodName:  viewer,
	authv1.AuthService_CreateApiToken_FullMethodName:  viewer, // capped at the caller's own role
	authv1.AuthService_CreateUser_FullMethodName:      admin,
	authv1.AuthService_ListUsers_FullMethodName:       admin,
	authv1.AuthService_DeleteUser_FullMethodName:      admin,
	authv1.AuthService_ListAuditEvents_FullMethodName: admin,

	instancev1.InstanceService_ListInstances_FullMethodName:  viewer,
	instancev1.InstanceService_GetInstance_FullMethodName:    viewer,
	instancev1.InstanceService_CreateInstance_FullMethodName: admin,
	instancev1.InstanceService_UpdateInstance_FullMethodName: admin,
	instancev1.InstanceService_DeleteInstance_FullMethodName: admin,
	instancev1.InstanceService_TestConnection_FullMethodName: admin, // records the result on the instance

	configv1.ConfigService_ListConfigs_FullMethodName:    viewer,
	configv1.ConfigService_GetConfig_FullMethodName:      viewer,
	configv1.ConfigService_ValidateConfig_FullMethodName: viewer, // checks a draft, changes nothing
	configv1.ConfigService_CreateConfig_FullMethodName:   admin,
	configv1.ConfigService_UpdateConfig_FullMethodName:   admin,
	configv1.ConfigService_DeleteConfig_FullMethodName:   admin,

	orchestratorv1.OrchestratorService_ListJobs_FullMethodName:     viewer,
	orchestratorv1.OrchestratorService_GetJob_FullMethodName:       viewer,
	orchestratorv1.OrchestratorService_ListJobLogs_FullMethodName:  viewer,
	orchestratorv1.OrchestratorService_WatchJob_FullMethodName:     viewer,
	orchestratorv1.OrchestratorService_LaunchConfig_FullMethodName: operator,
	orchestratorv1.OrchestratorService_CancelJob_FullMethodName:    operator,
	orchestratorv1.OrchestratorService_RetryJob_FullMethodName:     operator,

	orchestratorv1.AutomationService_GetAutomationState_FullMethodName:   viewer,
	orchestratorv1.AutomationService_ListAutomationStates_FullMethodName: viewer,
	orchestratorv1.AutomationService_SendTestAlert_FullMethodName:        admin, // reaches outside recipients
}

// authorize says whether p may call method; p is nil for a caller who has not signed in. The error is a gRPC
// status the REST layer turns into 401 or 403 with a message a person can act on.
func authorize(p *principal, method string) error {
	need, known := minRole[method]
	switch {
	case !known:
		return status.Errorf(codes.PermissionDenied, "%s is not available through the gateway", shortMethod(method))
	case need == anyone:
		return nil
	case p == nil:
		return status.Error(codes.Unauthenticated, msgSignInFirst)
	case p.Role < need || p.Role < viewer:
		return status.Errorf(codes.PermissionDenied,
			"%s needs the %s role; %q has the %s role (ask an administrator for a higher role)",
			shortMethod(method), roleName(need), p.Username, roleName(p.Role))
	}
	return nil
}

// roleName is the short, lower-case name people use: viewer, operator, admin.
func roleName(r authv1.Role) string {
	switch r {
	case viewer:
		return "viewer"
	case operator:
		return "operator"
	case admin:
		return "admin"
	}
	return fmt.Sprintf("unknown (%d)", int32(r))
}

// shortMethod turns "/dhis2sync.instance.v1.InstanceService/CreateInstance" into "CreateInstance".
func shortMethod(method string) string { return path.Base(method) }
