// Command instance-registry serves the registry of DHIS2 instances (services/instanceregistry).
package main

import (
	"github.com/dhis2sync/dhis2sync/services/instanceregistry"
	"github.com/dhis2sync/dhis2sync/services/platform/service"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func main() {
	service.Main(settings.InstanceRegistry, instanceregistry.Run)
}
