package orchestrator

import (
	"encoding/json"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// planDataSteps lists the steps of an aggregate, events or tracker sub-job. Each ends with a verify step over
// what it copied: the extractor compares events, enrollments, tracked entities and relationships record by
// record as it compares data values, so no sub-job claims a copy it has not proven.
func planDataSteps(cfg *configv1.Config, kind string) []*stepRow {
	if kind == kindAggregate {
		return planAggregateSteps(cfg)
	}
	p, _ := json.Marshal(filterParams(cfg.GetFilters()))
	none, _ := json.Marshal(map[string]string{})
	return []*stepRow{
		{Name: kind, Kind: kind, Resources: dataResources[kind], Params: p},
		{Name: "verify", Kind: kindVerify, Resources: dataResources[kind], Params: none},
	}
}

// planAggregateSteps splits aggregate data into steps the extractor reads as chunks, then verifies them:
//   - one step per data set of the configuration's filter, resource "dataValues:<dataSetUid>", so that each
//     data set has its own watermark per destination (a data set added to the filter later is read in full
//     while the others stay delta); with no data set filter, one step "dataValues" over every data set of the
//     source (the extractor lists them);
//   - org units: the filter's (each with its subtree), else the source's roots (the extractor reads them);
//   - periods: the filter's periods, else its start and/or end dates, else every period of the source's history
//     (the extractor's rule, services/extractor/datavalues.go); delta runs add the watermark (params.since →
//     lastUpdated);
//   - a last step "verify" over every data step's resources: the extractor compares source and destinations
//     per data set and period (counts and checksums) and lists differences value by value, so a data job
//     proves its copy the way a metadata job does.
//
// Within a step the extractor reads one chunk per (data sets, org unit root) and splits a chunk the source
// cannot serve into the org unit alone plus one chunk per child subtree (services/extractor/README.md).
func planAggregateSteps(cfg *configv1.Config) []*stepRow {
	f := cfg.GetFilters()
	params := filterParams(f)
	delete(params, "programs")
	delete(params, "dataSets")
	var out []*stepRow
	if len(f.GetDataSetIds()) == 0 {
		p, _ := json.Marshal(params)
		out = append(out, &stepRow{Name: resource.DataValues, Kind: kindAggregate, Resources: []string{resource.DataValues}, Params: p})
	}
	for _, ds := range f.GetDataSetIds() {
		sp := map[string]string{"dataSets": ds}
		for k, v := range params {
			sp[k] = v
		}
		p, _ := json.Marshal(sp)
		out = append(out, &stepRow{Name: resource.DataValues + " " + ds, Kind: kindAggregate, Resources: []string{resource.DataValuesOf(ds)}, Params: p})
	}
	var all []string
	for _, st := range out {
		all = append(all, st.Resources...)
	}
	p, _ := json.Marshal(map[string]string{})
	return append(out, &stepRow{Name: "verify", Kind: kindVerify, Resources: all, Params: p})
}
