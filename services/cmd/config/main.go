// Command config serves the ConfigService: sync configurations and their validation (services/config).
package main

import (
	"github.com/dhis2sync/dhis2sync/services/config"
	"github.com/dhis2sync/dhis2sync/services/platform/service"
	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func main() {
	service.Main(settings.Config, config.Run)
}
