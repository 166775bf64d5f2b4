// Package orchestrator owns dhis2sync jobs: it plans a configuration into sub-jobs and steps, drives each step
// through the loader and extractor, counts the loader's results from NATS JetStream into PostgreSQL, and keeps
// every job's state, progress and log, with retries, cancellation, resume after a restart and the cron
// scheduler. PostgreSQL is the source of truth; JetStream is only the transport (docs/adr/0001).
package orchestrator
