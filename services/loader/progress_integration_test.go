package loader_test

import (
	"testing"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
)

// Progress counts one unit: the items a step's results cover add up to the total the extractor planned, for
// data values as for tracked entities (which DHIS2 reports with their nested enrollments and events).
func TestResultsCoverThePlannedItems(t *testing.T) {
	t.Parallel()
	r := newDataRig(t, dataRigOptions{srcVersion: "2.40.1", dstVersions: map[string]string{"dst": "2.41.0"}, scale: demodata.Small})
	check := func(name string, results []*batchv1.Result) {
		t.Helper()
		var items, reported int64
		for _, res := range results {
			items += res.GetItems()
			reported += res.GetCreated() + res.GetUpdated()
		}
		planned := results[len(results)-1].GetPlannedTotal()
		if planned == 0 || items != planned {
			t.Errorf("%s: results cover %d items, the extractor planned %d (DHIS2 reported %d objects)", name, items, planned, reported)
		}
	}
	check("data values", r.run("dv", dataStep{name: "dv", pageSize: 1000})["dst"])
	check("tracker", r.runTracker("tr", nil)["dst"])
}
