package dhis2sim

import (
	"context"
	"sync"
	"time"
)

// capacity is the simulated server's one shared capacity (processor sharing): every request in progress, of
// whatever class, holds a share of it. With k requests in progress the server does Gain(k) units of work per
// unit of time, split equally, so a request slows down when others arrive after it and speeds up when they
// finish; exports, metadata, data value and tracker imports slow each other as they do on one DHIS2.
// Serial classes (atomic metadata imports) also queue behind each other before they take their share.
type capacity struct {
	serial chan struct{} // one serial request in progress at a time

	mu    sync.Mutex
	model CostModel
	jobs  map[*psJob]struct{}
	last  time.Time
	timer *time.Timer
}

// psJob is a request in progress: the work it still needs, in seconds of the server alone.
type psJob struct {
	remaining float64
	done      chan struct{}
}

func newCapacity(m CostModel) *capacity {
	return &capacity{model: m, serial: make(chan struct{}, 1), jobs: map[*psJob]struct{}{}}
}

// serve runs work on the server and returns when it is done or ctx ends.
func (c *capacity) serve(ctx context.Context, work time.Duration, serial bool) {
	if work <= 0 {
		return
	}
	if serial {
		select {
		case c.serial <- struct{}{}:
			defer func() { <-c.serial }()
		case <-ctx.Done():
			return
		}
	}
	j := &psJob{remaining: work.Seconds(), done: make(chan struct{})}
	c.mu.Lock()
	c.advance(time.Now())
	c.jobs[j] = struct{}{}
	c.schedule()
	c.mu.Unlock()
	select {
	case <-j.done:
	case <-ctx.Done():
		c.mu.Lock()
		c.advance(time.Now())
		if _, ok := c.jobs[j]; ok {
			delete(c.jobs, j)
			c.schedule()
		}
		c.mu.Unlock()
	}
}

// rate is the progress per second of each of the jobs in progress.
func (c *capacity) rate() float64 {
	k := len(c.jobs)
	if k == 0 {
		return 0
	}
	return c.model.Gain(k) / float64(k)
}

// advance credits every job with the work done since the last event and finishes those that are done.
// Called with mu held.
func (c *capacity) advance(now time.Time) {
	if len(c.jobs) > 0 {
		done := now.Sub(c.last).Seconds() * c.rate()
		for j := range c.jobs {
			j.remaining -= done
			if j.remaining <= 1e-6 {
				delete(c.jobs, j)
				close(j.done)
			}
		}
	}
	c.last = now
}

// schedule arms the timer for the next job to finish. Called with mu held.
func (c *capacity) schedule() {
	if len(c.jobs) == 0 {
		if c.timer != nil {
			c.timer.Stop()
		}
		return
	}
	next := -1.0
	for j := range c.jobs {
		if next < 0 || j.remaining < next {
			next = j.remaining
		}
	}
	d := time.Duration(next / c.rate() * float64(time.Second))
	if c.timer == nil {
		c.timer = time.AfterFunc(d, c.tick)
		return
	}
	c.timer.Reset(d)
}

func (c *capacity) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance(time.Now())
	c.schedule()
}

// inProgress is the number of requests holding a share of the server (for tests).
func (c *capacity) inProgress() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.jobs)
}

func (s *Server) shared() *capacity {
	s.capOnce.Do(func() { s.capacity = newCapacity(s.opts.Cost) })
	return s.capacity
}

// Cost is the server's cost model.
func (s *Server) Cost() CostModel {
	c := s.shared()
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.model
}

// SetCost replaces the cost model (Options.Cost), e.g. to load a benchmark's data at no cost and then measure
// a sync at full cost. Requests already in progress keep the share they hold.
func (s *Server) SetCost(m CostModel) {
	c := s.shared()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advance(time.Now())
	c.model = m
	c.schedule()
}

// applyCost holds a request for the server time the cost model gives it on the shared capacity. It returns
// early when the client goes away (DHIS2 would go on, but the answer would reach nobody).
func (s *Server) applyCost(ctx context.Context, ep Endpoint, n int) {
	m := s.Cost()
	if m.IsZero() {
		return
	}
	s.shared().serve(ctx, m.Work(ep, n), m.Endpoints[ep].Serial)
}

// applyAsyncCost is applyCost for the job of an async=true import, after its response: DHIS2's job queue adds
// AsyncOverhead, then the import does the same work as a synchronous one and runs to completion whatever the
// client does (the task reports it running until then).
func (s *Server) applyAsyncCost(ep Endpoint, n int) {
	m := s.Cost()
	if m.IsZero() {
		return
	}
	time.Sleep(m.AsyncOverhead)
	s.shared().serve(context.Background(), m.Work(ep, n), m.Endpoints[ep].Serial)
}
