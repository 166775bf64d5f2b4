package orchestrator

import (
	"encoding/json"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

// planDataSteps lists the steps of an aggregate, events or tracker sub-job: one step carrying the
// configuration's filters.
func planDataSteps(cfg *configv1.Config, kind string) []*stepRow {
	p, _ := json.Marshal(filterParams(cfg.GetFilters()))
	return []*stepRow{{Name: kind, Kind: kind, Resources: dataResources[kind], Params: p}}
}
