// Command gateway serves the dhis2sync REST API: every service over HTTP/JSON, sign-in, roles, the audit
// trail and live job events (text/event-stream). See README.md.
package main

import (
	"github.com/dhis2sync/dhis2sync/gateway/api"
	"github.com/dhis2sync/dhis2sync/services/platform/service"
)

func main() {
	service.Main("gateway", api.Run)
}
