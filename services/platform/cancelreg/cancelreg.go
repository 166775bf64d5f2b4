// Package cancelreg runs background work per job: each piece of work (a job runner, an extraction, a loader
// consumer) is keyed by its job and a key unique within the job, runs at most once at a time, and every piece
// of a job can be cancelled at once. The orchestrator, the extractor and the loader share it, so that
// "start unless running" and "cancel the job" mean the same in every service.
package cancelreg

import (
	"context"
	"sync"
)

// Registry tracks running work by job and key. The zero value is ready to use.
type Registry struct {
	mu   sync.Mutex
	jobs map[string]map[string]context.CancelCauseFunc
	wg   sync.WaitGroup
}

// Go runs fn in a goroutine with a context derived from parent, unless work with the same job and key runs
// already; it reports whether fn was started. The context is cancelled when fn returns or the job is
// cancelled; the work is forgotten before that, so that the same key may start again at once.
func (r *Registry) Go(parent context.Context, job, key string, fn func(ctx context.Context)) bool {
	r.mu.Lock()
	if r.jobs == nil {
		r.jobs = map[string]map[string]context.CancelCauseFunc{}
	}
	keys := r.jobs[job]
	if keys == nil {
		keys = map[string]context.CancelCauseFunc{}
		r.jobs[job] = keys
	}
	if _, busy := keys[key]; busy {
		r.mu.Unlock()
		return false
	}
	ctx, cancel := context.WithCancelCause(parent)
	keys[key] = cancel
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		defer cancel(nil)
		defer r.forget(job, key)
		fn(ctx)
	}()
	return true
}

func (r *Registry) forget(job, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.jobs[job], key)
	if len(r.jobs[job]) == 0 {
		delete(r.jobs, job)
	}
}

// Cancel cancels every running piece of work of a job with cause (context.Cause reports it; nil means
// context.Canceled) and returns how many it cancelled.
func (r *Registry) Cancel(job string, cause error) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, cancel := range r.jobs[job] {
		cancel(cause)
	}
	return len(r.jobs[job])
}

// Running reports how many pieces of work of a job run.
func (r *Registry) Running(job string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.jobs[job])
}

// Wait blocks until every piece of work started by Go has returned.
func (r *Registry) Wait() { r.wg.Wait() }
