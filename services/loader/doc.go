// Package loader is dhis2sync's LoaderService: for each (job, step, destination) it runs a durable JetStream
// pull consumer over the step's batches, coalesces them into the import requests DHIS2 likes (a whole
// dependency-closed metadata group per request, never a cycle split across requests), applies the version
// transforms for the destination, posts them with the configured import options and publishes one Result per
// import request on dhis2sync.result.<job>.<step>. Batches are acknowledged only after their Result is stored
// by JetStream, so a restarted loader resumes where the last Result left off. See README.md.
package loader
