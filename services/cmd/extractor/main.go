// Command extractor serves the ExtractorService: it reads source DHIS2 instances step by step, publishes the
// pages as batches on NATS JetStream, and verifies finished runs.
package main

import (
	"github.com/dhis2sync/dhis2sync/services/extractor"
	"github.com/dhis2sync/dhis2sync/services/platform/service"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func main() { service.Main(settings.Extractor, extractor.Run) }
