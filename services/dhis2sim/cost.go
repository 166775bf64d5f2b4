package dhis2sim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Endpoint classifies requests for the cost model.
type Endpoint string

// Endpoint classes of the cost model (docs/performance.md).
const (
	EndpointMetadataList     Endpoint = "metadata-list"     // GET /api/<type>, /api/<type>/{id}
	EndpointMetadataExport   Endpoint = "metadata-export"   // GET /api/metadata
	EndpointMetadataImport   Endpoint = "metadata-import"   // POST /api/metadata, single-object writes
	EndpointDataValuesExport Endpoint = "datavalues-export" // GET /api/dataValueSets
	EndpointDataValuesImport Endpoint = "datavalues-import" // POST /api/dataValueSets
	EndpointTrackerExport    Endpoint = "tracker-export"    // GET /api/tracker/*, legacy event/TEI lists
	EndpointTrackerImport    Endpoint = "tracker-import"    // POST /api/tracker, legacy imports
)

// EndpointCost is the server work of one request: Base + items·PerItem, which is also its latency when it
// runs alone on an idle server.
type EndpointCost struct {
	Base    time.Duration
	PerItem time.Duration
	// Serial marks endpoints whose requests run one at a time (atomic metadata imports gain nothing from
	// parallel requests); they still share the server with every other request while they run.
	Serial bool
}

// CostModel describes a simulated DHIS2 server as one shared capacity (costserver.go): every request of every
// class brings its work (EndpointCost); the k requests in progress share the server's throughput, which grows
// linearly from 1 at one request to Speedup at SaturateAt requests and stays flat beyond (DHIS2 2.41/2.42 reach
// ≈1.8× at 4 parallel import streams and nothing more; 2.43 ≈3× at 6), so each progresses at Gain(k)/k.
// Asynchronous imports (async=true) do the same work after the response plus AsyncOverhead of queueing.
// docs/performance.md lists every constant with its source. The zero value is the "none" model: no delay.
type CostModel struct {
	Name          string
	Endpoints     map[Endpoint]EndpointCost
	Speedup       float64
	SaturateAt    int
	AsyncOverhead time.Duration
}

// IsZero reports whether the model adds no latency.
func (c CostModel) IsZero() bool { return len(c.Endpoints) == 0 }

// Gain is the server's aggregate throughput with k requests in progress, in units of one request alone.
func (c CostModel) Gain(k int) float64 {
	if k <= 1 || c.Speedup <= 1 || c.SaturateAt <= 1 {
		return 1
	}
	steps := float64(min(k, c.SaturateAt)-1) / float64(c.SaturateAt-1)
	return 1 + (c.Speedup-1)*steps
}

// MaxGain is the most the server gains from parallel requests, and MaxGainAt the fewest requests that reach it.
func (c CostModel) MaxGain() float64 { return c.Gain(c.MaxGainAt()) }

// MaxGainAt is the number of requests in progress at which the server's throughput stops growing.
func (c CostModel) MaxGainAt() int {
	if c.Speedup <= 1 || c.SaturateAt <= 1 {
		return 1
	}
	return c.SaturateAt
}

// Contention is the latency multiplier of each of k equal requests in progress together.
func (c CostModel) Contention(k int, serial bool) float64 {
	if k <= 1 {
		return 1
	}
	if serial {
		return float64(k)
	}
	return float64(k) / c.Gain(k)
}

// Work is the server work of one request of class ep with n items: its latency alone on an idle server.
func (c CostModel) Work(ep Endpoint, items int) time.Duration {
	ec, ok := c.Endpoints[ep]
	if !ok {
		return 0
	}
	return ec.Base + time.Duration(items)*ec.PerItem
}

// Estimate is the time one request of class ep with n items takes while concurrency equal requests (including
// this one) are in progress on the server.
func (c CostModel) Estimate(ep Endpoint, items, concurrency int) time.Duration {
	ec := c.Endpoints[ep]
	return time.Duration(float64(c.Work(ep, items)) * c.Contention(concurrency, ec.Serial))
}

// EstimateTotal is the wall time the model needs for n items sent in requests of batch items with the
// given number of parallel streams (requests of one stream run back to back), the server doing nothing else.
func (c CostModel) EstimateTotal(ep Endpoint, n, batch, streams int) time.Duration {
	if n <= 0 || batch <= 0 {
		return 0
	}
	if streams < 1 {
		streams = 1
	}
	requests := (n + batch - 1) / batch
	k := min(streams, requests)
	full := n / batch
	var total time.Duration
	total += time.Duration(full) * c.Estimate(ep, batch, k)
	if rest := n % batch; rest > 0 {
		total += c.Estimate(ep, rest, k)
	}
	return total / time.Duration(k)
}

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

// profiles are calibrated from published DHIS2 measurements where there are any; docs/performance.md gives the
// source of every figure, or says it is an estimate (metadata import and export, the per-value cost of data
// value imports, the per-item cost of tracker exports and the async overhead have no published measurement).
var profiles = map[string]CostModel{
	"2.41": {Name: "2.41", Speedup: 1.8, SaturateAt: 4, AsyncOverhead: ms(1000), Endpoints: map[Endpoint]EndpointCost{
		EndpointMetadataList:     {Base: ms(35), PerItem: ms(1)},
		EndpointMetadataExport:   {Base: ms(800), PerItem: ms(0.8)},
		EndpointMetadataImport:   {Base: ms(1500), PerItem: ms(8), Serial: true},
		EndpointDataValuesExport: {Base: ms(75), PerItem: ms(0.1)},
		EndpointDataValuesImport: {Base: ms(100), PerItem: ms(0.3)},
		EndpointTrackerExport:    {Base: ms(65), PerItem: ms(1)},
		EndpointTrackerImport:    {Base: ms(100), PerItem: ms(1.4)},
	}},
}

func init() {
	p42 := cloneModel(profiles["2.41"], "2.42")
	p42.Endpoints[EndpointTrackerImport] = EndpointCost{Base: ms(100), PerItem: ms(1.65)}
	p42.Endpoints[EndpointTrackerExport] = EndpointCost{Base: ms(225), PerItem: ms(1)}
	profiles["2.42"] = p42
	p43 := cloneModel(profiles["2.41"], "2.43")
	p43.Endpoints[EndpointTrackerImport] = EndpointCost{Base: ms(100), PerItem: ms(0.4)}
	p43.Endpoints[EndpointTrackerExport] = EndpointCost{Base: ms(106), PerItem: ms(0.5)}
	p43.Speedup, p43.SaturateAt = 3, 6
	profiles["2.43"] = p43
}

func cloneModel(m CostModel, name string) CostModel {
	c := CostModel{Name: name, Speedup: m.Speedup, SaturateAt: m.SaturateAt, AsyncOverhead: m.AsyncOverhead,
		Endpoints: map[Endpoint]EndpointCost{}}
	for k, v := range m.Endpoints {
		c.Endpoints[k] = v
	}
	return c
}

// CostProfiles lists the named cost models.
func CostProfiles() []string {
	names := []string{"none"}
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names[1:])
	return names
}

// ParseCostModel returns a named cost model: "none" (or "") or a calibrated profile such as "2.41".
// A profile may be scaled with "×F" or "*F", e.g. "2.41*0.1" for a ten times faster server.
func ParseCostModel(name string) (CostModel, error) {
	name = strings.TrimSpace(name)
	if name == "" || name == "none" {
		return CostModel{}, nil
	}
	base, factor := name, 1.0
	if i := strings.IndexAny(name, "*×"); i >= 0 {
		base = name[:i]
		f := strings.TrimLeft(name[i:], "*×")
		if _, err := fmt.Sscanf(f, "%g", &factor); err != nil || factor < 0 {
			return CostModel{}, fmt.Errorf("cost model %q: invalid factor %q", name, f)
		}
	}
	p, ok := profiles[base]
	if !ok {
		return CostModel{}, fmt.Errorf("unknown cost model %q (known: %s)", name, strings.Join(CostProfiles(), ", "))
	}
	c := cloneModel(p, name)
	c.AsyncOverhead = time.Duration(float64(c.AsyncOverhead) * factor)
	for k, v := range c.Endpoints {
		v.Base = time.Duration(float64(v.Base) * factor)
		v.PerItem = time.Duration(float64(v.PerItem) * factor)
		c.Endpoints[k] = v
	}
	return c, nil
}
