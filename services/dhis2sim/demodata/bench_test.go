package demodata

import (
	"encoding/json"
	"io"
	"testing"
)

// BenchmarkDataValues streams the large scale's million data values per iteration.
func BenchmarkDataValues(b *testing.B) {
	g := New(1, Large)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for range g.DataValues() {
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "values/s")
	b.ReportMetric(float64(n)/float64(b.N), "values/op")
}

// BenchmarkMetadataLarge builds and marshals the large scale's metadata export.
func BenchmarkMetadataLarge(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		g := New(1, Large)
		if err := json.NewEncoder(io.Discard).Encode(g.Metadata()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvents streams the large scale's event-programme events.
func BenchmarkEvents(b *testing.B) {
	g := New(1, Large)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for range g.Events() {
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkTrackedEntities streams the large scale's tracked entities with enrollments and events.
func BenchmarkTrackedEntities(b *testing.B) {
	g := New(1, Large)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for range g.TrackedEntities() {
			n++
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "entities/s")
}
