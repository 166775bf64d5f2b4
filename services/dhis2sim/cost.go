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

// EndpointCost is latency = Base + items·PerItem for one request running alone.
type EndpointCost struct {
	Base    time.Duration
	PerItem time.Duration
	// Serial marks endpoints that gain nothing from parallel requests (atomic metadata imports).
	Serial bool
}

// CostModel turns a request into server time: base plus per-item cost, stretched by a contention factor
// when k requests of the same class run at once. The server's aggregate throughput grows linearly from one
// stream to Speedup× at SaturateAt streams and stays flat beyond (PERFORMANCE rows 2 and 6: 2.41/2.42 reach
// ≈1.8× at 4 streams; 2.43 ≈3× at 6), so one request takes k/speedup(k) times its solo latency.
// The zero value is the "none" model: no delay.
type CostModel struct {
	Name       string
	Endpoints  map[Endpoint]EndpointCost
	Speedup    float64
	SaturateAt int
}

// IsZero reports whether the model adds no latency.
func (c CostModel) IsZero() bool { return len(c.Endpoints) == 0 }

// Contention is the latency multiplier with k concurrent requests.
func (c CostModel) Contention(k int, serial bool) float64 {
	if k <= 1 {
		return 1
	}
	if serial || c.Speedup <= 1 || c.SaturateAt <= 1 {
		return float64(k)
	}
	steps := float64(min(k, c.SaturateAt)-1) / float64(c.SaturateAt-1)
	speedup := 1 + (c.Speedup-1)*steps
	return float64(k) / speedup
}

// Estimate is the time the model gives one request of class ep with n items while concurrency requests of
// that class (including this one) are in flight. It is a pure function, for benchmarks that compare a
// measured run with what the simulated DHIS2 alone needs.
func (c CostModel) Estimate(ep Endpoint, items, concurrency int) time.Duration {
	ec, ok := c.Endpoints[ep]
	if !ok {
		return 0
	}
	solo := ec.Base + time.Duration(items)*ec.PerItem
	return time.Duration(float64(solo) * c.Contention(concurrency, ec.Serial))
}

// EstimateTotal is the wall time the model needs for n items sent in requests of batch items with the
// given number of parallel streams (requests of one stream run back to back).
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

// profiles are calibrated from the published DHIS2 figures in docs/performance.md (LAN, mid-range of each published band):
//   - "2.41": metadata lists 35 ms + 1 ms/object (rows 13–14); /api/metadata export 800 ms + 0.8 ms/object;
//     metadata import 1.5 s + 8 ms/object, serial; dataValueSets export 75 ms + 0.1 ms/value (rows 10–11),
//     import 100 ms + 0.3 ms/value (rows 12, 20); tracker import 100 ms + 1.4 ms/entity (row 1), export
//     65 ms + 1 ms/item (row 8); 1.8× at 4 streams (rows 2, 6).
//   - "2.42": as 2.41 with tracker import 1.65 ms/entity (row 1) and slower tracker export (225 ms base).
//   - "2.43": tracker import 0.4 ms/entity, 3× at 6 streams (rows 1, 2).
var profiles = map[string]CostModel{
	"2.41": {Name: "2.41", Speedup: 1.8, SaturateAt: 4, Endpoints: map[Endpoint]EndpointCost{
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
	c := CostModel{Name: name, Speedup: m.Speedup, SaturateAt: m.SaturateAt, Endpoints: map[Endpoint]EndpointCost{}}
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
	for k, v := range c.Endpoints {
		v.Base = time.Duration(float64(v.Base) * factor)
		v.PerItem = time.Duration(float64(v.PerItem) * factor)
		c.Endpoints[k] = v
	}
	return c, nil
}
