package benchreport

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestRowsTableAndRegressions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.jsonl")
	rows := []Row{
		{Workload: "100,000 data values", Order: 2, Shape: ShapeSeed, Cost: "2.41", WallSeconds: 240, LimitSeconds: 17, Ratio: 14.1},
		{Workload: "100,000 data values", Order: 2, Shape: ShapeDhis2sync, Cost: "2.41", WallSeconds: 20, LimitSeconds: 17, Ratio: 1.18, PeakHeapMB: 40},
		{Workload: "8,958 metadata objects", Order: 1, Shape: ShapeDhis2sync, Cost: "2.41", WallSeconds: 90, LimitSeconds: 74.7, Ratio: 1.2},
		{Workload: "100,000 data values", Order: 2, Shape: ShapeNative, Cost: "2.41", WallSeconds: 34, LimitSeconds: 17, Ratio: 2},
	}
	for _, r := range rows {
		if err := Append(path, r); err != nil {
			t.Fatal(err)
		}
	}
	// A rerun of a shape replaces its row.
	rerun := rows[1]
	rerun.WallSeconds, rerun.Ratio = 22, 1.29
	if err := Append(path, rerun); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRows(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0].Workload != "8,958 metadata objects" || got[1].Shape != ShapeDhis2sync || got[1].WallSeconds != 22 {
		t.Fatalf("rows %+v", got)
	}
	table := Table(got)
	for _, want := range []string{"| 100,000 data values, 2.41 cost | 22.0 s | 17.0 s | 1.29× | 34.0 s | 2.00× | 240.0 s | 14.10× | — | 40 MB |",
		"| 8,958 metadata objects, 2.41 cost | 90.0 s | 74.7 s | 1.20× | — | — | — |"} {
		if !strings.Contains(table, want) {
			t.Fatalf("table lacks %q:\n%s", want, table)
		}
	}
	// 1.29 against a committed 1.18 is within 20 %; 1.5 is not; baselines are not ours to regress.
	if reg := Regressions(got, rows, 0.2); len(reg) != 0 {
		t.Fatalf("regressions %v", reg)
	}
	worse := append([]Row(nil), got...)
	worse[1].Ratio = 1.5
	worse[3].Ratio = 30
	if reg := Regressions(worse, rows, 0.2); len(reg) != 1 || !strings.Contains(reg[0], "1.50×") {
		t.Fatalf("regressions %v", reg)
	}
}
