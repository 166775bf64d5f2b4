// Package extractor is dhis2sync's ExtractorService: it reads a source DHIS2 step by step and publishes each
// page, normalised, as a Batch on NATS JetStream (dhis2sync.batch.<job>.<step>), and it verifies a finished
// run by comparing the source with every destination (VerifyStep). See README.md for the contract.
//
// Everything streams: pages are read one at a time through the shared DHIS2 client (which owns every version
// difference), packed into batches sized by bytes, and published as soon as they are full, so memory stays
// bounded by one page whatever the size of the source.
package extractor
