// Command loader serves the LoaderService: it consumes batches from NATS JetStream and imports them into the
// destination DHIS2 instances, publishing a result per import request.
package main

import (
	"github.com/dhis2sync/dhis2sync/services/loader"
	"github.com/dhis2sync/dhis2sync/services/platform/service"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func main() { service.Main(settings.Loader, loader.Run) }
