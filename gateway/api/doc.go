// Package api is the dhis2sync gateway: the public REST API (grpc-gateway over the instance-registry, config
// and orchestrator services, plus the AuthService it implements itself), bearer-token authentication, the
// role table that authorizes every gRPC method, the audit trail of every mutation, and the text/event-stream
// plumbing for live job events.
//
// A request flows: authenticate (bearer token → user and role) → grpc-gateway route → backend connection
// (authorize against the role table, forward the user name, call, audit, explain an unreachable service).
package api
