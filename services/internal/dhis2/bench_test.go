package dhis2

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// heapSampler records the peak HeapInuse while a benchmark runs.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func startHeapSampler() *heapSampler {
	runtime.GC()
	s := &heapSampler{stop: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > s.peak.Load() {
				s.peak.Store(ms.HeapInuse)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// cpuTime is the process's user+system CPU time: on a shared machine it
// measures the work done independently of what else runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRate reports items per wall second and per CPU second (the latter
// includes the in-process test server's work when there is one).
func reportRate(b *testing.B, items int, unit string, wallStart time.Time, cpuStart time.Duration) {
	total := float64(items) * float64(b.N)
	b.ReportMetric(total/time.Since(wallStart).Seconds(), unit+"/s")
	if cpu := cpuTime() - cpuStart; cpu > 0 {
		b.ReportMetric(total/cpu.Seconds(), unit+"/cpu-s")
	}
}

func (s *heapSampler) report(b *testing.B) {
	close(s.stop)
	s.wg.Wait()
	b.ReportMetric(float64(s.peak.Load())/(1<<20), "peak-heap-MB")
}

// dataValueServer streams n generated data values, gzip-compressed when asked.
func dataValueServer(b *testing.B, n int, compress bool) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		var out *bufio.Writer
		if compress {
			w.Header().Set("Content-Encoding", "gzip")
			zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
			defer zw.Close()
			out = bufio.NewWriterSize(zw, 64<<10)
		} else {
			out = bufio.NewWriterSize(w, 64<<10)
		}
		defer out.Flush()
		out.WriteString(`{"dataSet":"pBOMPrpg1QX","dataValues":[`)
		buf := make([]byte, 0, 512)
		for i := range n {
			buf = buf[:0]
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, `{"dataElement":"de`...)
			buf = strconv.AppendInt(buf, int64(i%3000+100000000), 10)
			buf = append(buf, `","period":"2024`...)
			buf = strconv.AppendInt(buf, int64(i%12+10), 10)
			buf = append(buf, `","orgUnit":"ou`...)
			buf = strconv.AppendInt(buf, int64(i/36000+100000000), 10)
			buf = append(buf, `","categoryOptionCombo":"HllvX50cXC0","attributeOptionCombo":"HllvX50cXC0","value":"`...)
			buf = strconv.AppendInt(buf, int64(i%977), 10)
			buf = append(buf, `","storedBy":"admin","created":"2024-01-05T10:11:12.123","lastUpdated":"2024-01-05T10:11:12.123","comment":"","followup":false}`...)
			out.Write(buf)
		}
		out.WriteString(`]}`)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchmarkDataValues(b *testing.B, compress bool) {
	const n = 1_000_000
	srv := dataValueServer(b, n, compress)
	c, err := New(Options{BaseURL: srv.URL, Auth: Auth{Username: "admin", Password: "district"}, RatePerSecond: -1})
	if err != nil {
		b.Fatal(err)
	}
	q := DataValueQuery{DataSets: []string{"pBOMPrpg1QX"}, Periods: []string{"2024"}, OrgUnits: []string{"ImspTQPwCqd"}, Children: true}
	b.ReportAllocs()
	hs := startHeapSampler()
	start, cpuStart := time.Now(), cpuTime()
	for b.Loop() {
		count := 0
		err := c.ExportDataValues(context.Background(), q, func(dv DataValue) error {
			count++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("got %d values", count)
		}
	}
	reportRate(b, n, "values", start, cpuStart)
	hs.report(b)
}

// BenchmarkExportDataValues1M decodes 1,000,000 streamed data values.
func BenchmarkExportDataValues1M(b *testing.B) { benchmarkDataValues(b, false) }

// BenchmarkExportDataValues1MGzip is the same over a gzip-compressed response.
func BenchmarkExportDataValues1MGzip(b *testing.B) { benchmarkDataValues(b, true) }

func metadataObject(buf []byte, i int) []byte {
	buf = append(buf, `{"id":"de`...)
	buf = strconv.AppendInt(buf, int64(100000000+i), 10)
	buf = append(buf, `","name":"Data element `...)
	buf = strconv.AppendInt(buf, int64(i), 10)
	buf = append(buf, `","shortName":"DE `...)
	buf = strconv.AppendInt(buf, int64(i), 10)
	buf = append(buf, `","valueType":"NUMBER","domainType":"AGGREGATE","aggregationType":"SUM","categoryCombo":{"id":"bjDvmb4bfuf"},"lastUpdated":"2024-01-05T10:11:12.123","sharing":{"owner":"M5zQapPyTZI","external":false,"public":"rw------","users":{},"userGroups":{}},"attributeValues":[],"translations":[]}`...)
	return buf
}

// BenchmarkListObjects100k pages through 100,000 metadata objects (pages of 1,000).
func BenchmarkListObjects100k(b *testing.B) {
	const n, size = 100_000, 1000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		w.Header().Set("Content-Type", "application/json")
		out := bufio.NewWriterSize(w, 64<<10)
		defer out.Flush()
		fmt.Fprintf(out, `{"pager":{"page":%d,"pageCount":%d,"total":%d,"pageSize":%d},"dataElements":[`, page, n/size, n, size)
		buf := make([]byte, 0, 1024)
		for i := (page - 1) * size; i < page*size; i++ {
			buf = buf[:0]
			if i > (page-1)*size {
				buf = append(buf, ',')
			}
			out.Write(metadataObject(buf, i))
		}
		out.WriteString(`]}`)
	}))
	b.Cleanup(srv.Close)
	c, err := New(Options{BaseURL: srv.URL, Auth: Auth{Username: "admin", Password: "district"}, RatePerSecond: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	hs := startHeapSampler()
	start, cpuStart := time.Now(), cpuTime()
	for b.Loop() {
		count := 0
		for _, err := range c.ListObjects(context.Background(), "dataElements", ListQuery{PageSize: size, Fields: ":owner"}) {
			if err != nil {
				b.Fatal(err)
			}
			count++
		}
		if count != n {
			b.Fatalf("got %d objects", count)
		}
	}
	reportRate(b, n, "objects", start, cpuStart)
	hs.report(b)
}

// BenchmarkExportMetadata100k streams one /api/metadata answer of 100,000 objects.
func BenchmarkExportMetadata100k(b *testing.B) {
	const n = 100_000
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		out := bufio.NewWriterSize(w, 64<<10)
		defer out.Flush()
		out.WriteString(`{"system":{"id":"x","rev":"abc","version":"2.41.1","date":"2024-01-01T00:00:00.000"},"dataElements":[`)
		buf := make([]byte, 0, 1024)
		for i := range n {
			buf = buf[:0]
			if i > 0 {
				buf = append(buf, ',')
			}
			out.Write(metadataObject(buf, i))
		}
		out.WriteString(`]}`)
	}))
	b.Cleanup(srv.Close)
	c, err := New(Options{BaseURL: srv.URL, Auth: Auth{Username: "admin", Password: "district"}, RatePerSecond: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	hs := startHeapSampler()
	start, cpuStart := time.Now(), cpuTime()
	for b.Loop() {
		count := 0
		err := c.ExportMetadata(context.Background(), MetadataQuery{}, func(string, json.RawMessage) error {
			count++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("got %d objects", count)
		}
	}
	reportRate(b, n, "objects", start, cpuStart)
	hs.report(b)
}

// BenchmarkDecodeDataValues1M measures the decoder alone, without HTTP, on
// the same 1,000,000 values held in memory.
func BenchmarkDecodeDataValues1M(b *testing.B) {
	const n = 1_000_000
	var doc bytes.Buffer
	doc.WriteString(`{"dataSet":"pBOMPrpg1QX","dataValues":[`)
	for i := range n {
		if i > 0 {
			doc.WriteByte(',')
		}
		fmt.Fprintf(&doc, `{"dataElement":"de%d","period":"2024%02d","orgUnit":"ou%d","categoryOptionCombo":"HllvX50cXC0","attributeOptionCombo":"HllvX50cXC0","value":"%d","storedBy":"admin","created":"2024-01-05T10:11:12.123","lastUpdated":"2024-01-05T10:11:12.123","comment":"","followup":false}`,
			i%3000+100000000, i%12+1, i/36000+100000000, i%977)
	}
	doc.WriteString(`]}`)
	data := doc.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start, cpuStart := time.Now(), cpuTime()
	for b.Loop() {
		count := 0
		err := decodeDataValueSet(bufio.NewReaderSize(bytes.NewReader(data), 64<<10), func(DataValue) error {
			count++
			return nil
		})
		if err != nil || count != n {
			b.Fatalf("%d values, %v", count, err)
		}
	}
	reportRate(b, n, "values", start, cpuStart)
}
