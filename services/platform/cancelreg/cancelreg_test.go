package cancelreg

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestGoRunsOncePerKeyAndCancelStopsTheJob(t *testing.T) {
	var r Registry
	stop := errors.New("stopped by the test")
	causes := make(chan error, 3)
	block := func(ctx context.Context) { <-ctx.Done(); causes <- context.Cause(ctx) }
	if !r.Go(context.Background(), "job", "a", block) || !r.Go(context.Background(), "job", "b", block) {
		t.Fatal("Go refused new work")
	}
	if r.Go(context.Background(), "job", "a", block) {
		t.Fatal("Go started a key that runs already")
	}
	if !r.Go(context.Background(), "other", "a", block) {
		t.Fatal("Go refused the same key of another job")
	}
	if n := r.Running("job"); n != 2 {
		t.Fatalf("Running = %d, want 2", n)
	}
	if n := r.Cancel("job", stop); n != 2 {
		t.Fatalf("Cancel = %d, want 2", n)
	}
	for range 2 {
		select {
		case c := <-causes:
			if !errors.Is(c, stop) {
				t.Fatalf("cause = %v, want %v", c, stop)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("cancelled work did not stop")
		}
	}
	if r.Running("other") != 1 {
		t.Fatal("cancelling a job stopped another job's work")
	}
	r.Cancel("other", nil)
	r.Wait()
	if r.Running("job") != 0 || r.Running("other") != 0 {
		t.Fatal("finished work is still registered")
	}
	// A key that finished may start again.
	done := make(chan struct{})
	if !r.Go(context.Background(), "job", "a", func(context.Context) { close(done) }) {
		t.Fatal("Go refused a key whose work had finished")
	}
	<-done
	r.Wait()
}
