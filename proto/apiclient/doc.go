// Package apiclient is the typed client of the dhis2sync gateway REST API and its job event stream: the
// dashboard, the demo command and the end-to-end tests all drive dhis2sync through it, exactly as an
// integrator would. Bodies are protojson, decoded into the generated types of this module so the API has one
// source of truth.
//
// It lives in the proto module because the frontend and services modules both depend on that module and on
// nothing else in common (a package under services/internal would be invisible to the frontend).
package apiclient
