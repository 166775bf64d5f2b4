package dhis2sim

import "time"

// Transfer is a sync workload as the cost model sees it: Items read from a source server through one of
// Exports and written to a destination server through Import (source and destination are two servers, each
// with its own capacity).
type Transfer struct {
	Exports []Endpoint // any of these can read the items (e.g. paged lists or one /api/metadata)
	Import  Endpoint
	Items   int
}

// Limit is the least wall time the model allows for a transfer, whatever the request sizes, the number of
// parallel requests and their order: a lower bound that no client can beat, used as the yardstick of every
// benchmark. It is the minimum, over the number m of import requests, of
//
//	max(export before the first import + the import floor of m requests, whole export + one last import)
//
// where the import floor of m requests is (m·base + items·perItem)/Gain(m) (m equal requests all in progress;
// serial imports gain nothing), the export floor is the same over the export endpoints, the export before the
// first import is the whole export when m = 1 and a one-item page otherwise (reading overlaps writing, but the
// first page cannot), and one last import (of a single item) must follow the end of the export.
func (c CostModel) Limit(t Transfer) time.Duration {
	if c.IsZero() || t.Items <= 0 {
		return 0
	}
	exportAll, firstPage := time.Duration(-1), time.Duration(-1)
	for _, ep := range t.Exports {
		if _, ok := c.Endpoints[ep]; !ok {
			continue
		}
		if e := c.floor(ep, t.Items); exportAll < 0 || e < exportAll {
			exportAll = e
		}
		if f := c.Work(ep, 1); firstPage < 0 || f < firstPage {
			firstPage = f
		}
	}
	exportAll, firstPage = max(exportAll, 0), max(firstPage, 0)
	last := c.Work(t.Import, 1)
	best := time.Duration(-1)
	for m := 1; m <= min(t.Items, max(c.MaxGainAt(), 2)); m++ {
		before := firstPage
		if m == 1 {
			before = exportAll
		}
		d := max(before+c.importFloor(t.Import, t.Items, m), exportAll+last)
		if best < 0 || d < best {
			best = d
		}
	}
	return best
}

// floor is the least time the server needs for n items of class ep over any number of requests.
func (c CostModel) floor(ep Endpoint, n int) time.Duration {
	best := time.Duration(-1)
	for m := 1; m <= min(n, c.MaxGainAt()); m++ {
		if d := c.importFloor(ep, n, m); best < 0 || d < best {
			best = d
		}
	}
	return best
}

// importFloor is the least time for n items of class ep in m requests: all in progress together, sharing the
// server at Gain(m) (serial classes run one at a time, so their time adds up).
func (c CostModel) importFloor(ep Endpoint, n, m int) time.Duration {
	ec := c.Endpoints[ep]
	work := time.Duration(m)*ec.Base + time.Duration(n)*ec.PerItem
	if ec.Serial {
		return work
	}
	return time.Duration(float64(work) / c.Gain(m))
}

// MetadataTransfer is the transfer of n metadata objects: paged lists or one /api/metadata export, then
// atomic metadata imports.
func MetadataTransfer(n int) Transfer {
	return Transfer{Exports: []Endpoint{EndpointMetadataList, EndpointMetadataExport}, Import: EndpointMetadataImport, Items: n}
}

// DataValuesTransfer is the transfer of n aggregate data values.
func DataValuesTransfer(n int) Transfer {
	return Transfer{Exports: []Endpoint{EndpointDataValuesExport}, Import: EndpointDataValuesImport, Items: n}
}

// TrackerTransfer is the transfer of n tracker objects (events, or tracked entities with what they carry).
func TrackerTransfer(n int) Transfer {
	return Transfer{Exports: []Endpoint{EndpointTrackerExport}, Import: EndpointTrackerImport, Items: n}
}
