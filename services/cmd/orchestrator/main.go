// Command orchestrator serves dhis2sync's jobs: planning, running, progress, logs, retries, cancellation,
// resume and the scheduler (see services/orchestrator/README.md).
package main

import (
	"github.com/dhis2sync/dhis2sync/services/orchestrator"
	"github.com/dhis2sync/dhis2sync/services/platform/service"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func main() {
	service.Main(settings.Orchestrator, orchestrator.Run)
}
