// Package faults holds the fault matrix: the real dhis2sync processes, two or more simulated DHIS2 and a job in
// flight, while one thing at a time goes wrong — a service killed (SIGKILL) and restarted, NATS or PostgreSQL
// restarted, a destination answering 503 for a minute, a flaky or stalling DHIS2, ten jobs at once. Each row
// passes only when the job completes, its verification passes and an independent comparison of the simulators'
// state (read over their HTTP API, not through dhis2sync) finds nothing missing or duplicated.
//
// The tests carry the build tag "faults" so that `make test` does not run them: `make test-faults` does.
package faults
