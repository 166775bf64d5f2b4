package dhis2sim

import (
	"sync"
	"sync/atomic"
)

// Stats are request and item counters, for tests and the /__sim/stats endpoint.
type Stats struct {
	Requests      map[string]int64 `json:"requests"` // per endpoint, e.g. "GET /api/dataValueSets"
	ItemsImported int64            `json:"itemsImported"`
	ItemsExported int64            `json:"itemsExported"`
	FaultsFired   int64            `json:"faultsFired"`
}

type statsCounter struct {
	mu       sync.Mutex
	requests map[string]int64
	imp, exp atomic.Int64
	faults   atomic.Int64
}

func (c *statsCounter) init() { c.requests = map[string]int64{} }

func (c *statsCounter) request(endpoint string) {
	c.mu.Lock()
	c.requests[endpoint]++
	c.mu.Unlock()
}

func (c *statsCounter) imported(n int) { c.imp.Add(int64(n)) }
func (c *statsCounter) exported(n int) { c.exp.Add(int64(n)) }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	req := make(map[string]int64, len(s.stats.requests))
	for k, v := range s.stats.requests {
		req[k] = v
	}
	s.stats.mu.Unlock()
	return Stats{Requests: req, ItemsImported: s.stats.imp.Load(), ItemsExported: s.stats.exp.Load(),
		FaultsFired: s.stats.faults.Load()}
}
