// Package benchreport collects the rows the sync benchmarks measure (services/loader, *bench_test.go), renders
// them as the one table `make bench` prints and the README shows, and compares a run with a committed one.
//
// A workload (e.g. 100,000 data values) is measured in several shapes in the same run: dhis2sync at its
// defaults, DHIS2's own synchronisation approach, the seed system's shape (50–100 items per request, one at a
// time) and, without cost model, the pipeline's own ceiling. Every row carries the workload's limit: the least
// time the simulated DHIS2 allows for it (dhis2sim.CostModel.Limit), so ratio = wall / limit ≥ 1.
package benchreport

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Shapes of a workload, in table order.
const (
	ShapeDhis2sync = "dhis2sync"    // the defaults a configuration gets
	ShapeNative    = "dhis2-native" // DHIS2's own sync jobs: their page sizes, one stream
	ShapeSeed      = "seed"         // the seed system: 50 items per request, one request at a time
	ShapeCeiling   = "ceiling"      // dhis2sync without cost model: what the pipeline itself moves
)

// Row is one measured run.
type Row struct {
	Workload     string  `json:"workload"` // e.g. "100,000 data values"
	Order        int     `json:"order"`    // table order of the workload
	Shape        string  `json:"shape"`
	Settings     string  `json:"settings"` // request size, parallelism
	Cost         string  `json:"cost"`     // the simulators' cost model, "none" for the ceiling
	Items        int     `json:"items"`
	WallSeconds  float64 `json:"wallSeconds"`
	LimitSeconds float64 `json:"limitSeconds"` // 0 without cost model
	Ratio        float64 `json:"ratio"`        // wall / limit
	PeakHeapMB   float64 `json:"peakHeapMB"`   // growth of the benchmark process's heap during the run
}

// Report is what `make bench` writes (docs/bench.json).
type Report struct {
	Command string `json:"command"`
	Load    string `json:"load,omitempty"` // what else the machine was doing
	Rows    []Row  `json:"rows"`
}

// Append adds a row to a JSON-lines file (benchmarks append as they finish).
func Append(path string, r Row) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	raw, _ := json.Marshal(r)
	_, err = f.Write(append(raw, '\n'))
	return errors.Join(err, f.Close())
}

// ReadRows reads a JSON-lines file written by Append; a later row of the same workload and shape replaces an
// earlier one.
func ReadRows(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	byKey := map[string]Row{}
	var keys []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		k := r.Workload + "\x00" + r.Shape
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = r
	}
	out := make([]Row, 0, len(keys))
	for _, k := range keys {
		out = append(out, byKey[k])
	}
	sortRows(out)
	return out, sc.Err()
}

func sortRows(rows []Row) {
	rank := map[string]int{ShapeDhis2sync: 0, ShapeNative: 1, ShapeSeed: 2, ShapeCeiling: 3}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Order != rows[j].Order {
			return rows[i].Order < rows[j].Order
		}
		return rank[rows[i].Shape] < rank[rows[j].Shape]
	})
}

// ReadReport reads a report written by WriteReport.
func ReadReport(path string) (*Report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// WriteReport writes a report as indented JSON.
func WriteReport(path string, r *Report) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}

// Table renders rows as one Markdown table: a line per workload with dhis2sync's time, the limit and the
// ratio, then each baseline's time and ratio, the ceiling and dhis2sync's peak heap.
func Table(rows []Row) string {
	sortRows(rows)
	var b strings.Builder
	b.WriteString("| workload | dhis2sync | limit | ratio | DHIS2's own approach | ratio | seed shape | ratio | no cost model | peak heap |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	var order []string
	by := map[string]map[string]Row{}
	for _, r := range rows {
		if by[r.Workload] == nil {
			by[r.Workload] = map[string]Row{}
			order = append(order, r.Workload)
		}
		by[r.Workload][r.Shape] = r
	}
	cell := func(r Row, ok bool) (string, string) {
		if !ok {
			return "—", "—"
		}
		ratio := "—"
		if r.LimitSeconds > 0 {
			ratio = fmt.Sprintf("%.2f×", r.Ratio)
		}
		return fmt.Sprintf("%.1f s", r.WallSeconds), ratio
	}
	for _, w := range order {
		s := by[w]
		main, okMain := s[ShapeDhis2sync]
		t, ratio := cell(main, okMain)
		nt, nr := cell(s[ShapeNative], has(s, ShapeNative))
		st, sr := cell(s[ShapeSeed], has(s, ShapeSeed))
		ceiling := "—"
		if c, ok := s[ShapeCeiling]; ok && c.WallSeconds > 0 {
			ceiling = fmt.Sprintf("%.1f s", c.WallSeconds)
		}
		limit, heap, cost := "—", "—", ""
		if okMain {
			limit = fmt.Sprintf("%.1f s", main.LimitSeconds)
			heap = fmt.Sprintf("%.0f MB", main.PeakHeapMB)
			cost = ", " + main.Cost + " cost"
		}
		fmt.Fprintf(&b, "| %s%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", w, cost, t, limit, ratio, nt, nr, st, sr, ceiling, heap)
	}
	return b.String()
}

func has(m map[string]Row, k string) bool { _, ok := m[k]; return ok }

// Regressions lists the rows of current whose ratio is more than tolerance (0.2 = 20 %) above the same
// workload and shape in committed. Rows without a limit, or missing from either side, are not compared.
func Regressions(current, committed []Row, tolerance float64) []string {
	old := map[string]Row{}
	for _, r := range committed {
		old[r.Workload+"\x00"+r.Shape] = r
	}
	var out []string
	for _, r := range current {
		o, ok := old[r.Workload+"\x00"+r.Shape]
		if !ok || o.Ratio <= 0 || r.Ratio <= 0 || r.Shape != ShapeDhis2sync {
			continue
		}
		if r.Ratio > o.Ratio*(1+tolerance) {
			out = append(out, fmt.Sprintf("%s (%s): %.2f× the limit, committed %.2f× (more than %.0f%% worse)",
				r.Workload, r.Shape, r.Ratio, o.Ratio, tolerance*100))
		}
	}
	return out
}
