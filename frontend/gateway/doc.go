// Package gateway is the dashboard's typed client of the dhis2sync gateway REST API and its job event
// stream. Bodies are protojson, decoded into the generated types of the proto module so the API has one
// source of truth.
package gateway
