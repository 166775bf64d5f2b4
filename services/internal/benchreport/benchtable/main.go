// Command benchtable turns the rows the sync benchmarks append (DHIS2SYNC_BENCH_OUT) into the benchmark table:
// it prints the Markdown table, writes the report as JSON and, with -compare, fails when a ratio to the limit
// is more than -tolerance worse than in a committed report.
//
//	go run ./internal/benchreport/benchtable -rows /tmp/rows.jsonl -out ../docs/bench.json
//	go run ./internal/benchreport/benchtable -rows /tmp/rows.jsonl -compare ../docs/bench-quick.json
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dhis2sync/dhis2sync/services/internal/benchreport"

	"github.com/dhis2sync/dhis2sync/services/platform/settings"
)

func main() {
	rows := flag.String("rows", "", "JSON lines appended by the benchmarks (DHIS2SYNC_BENCH_OUT)")
	out := flag.String("out", "", "write the report as JSON here")
	compare := flag.String("compare", "", "committed report to compare the ratios with")
	tolerance := flag.Float64("tolerance", 0.2, "largest accepted increase of a ratio (0.2 = 20%)")
	command := flag.String("command", "make bench", "command that produced the rows (recorded in the report)")
	load := flag.String("load", settings.String("DHIS2SYNC_BENCH_LOAD", ""), "what else the machine was doing (recorded in the report)")
	flag.Parse()
	if err := run(*rows, *out, *compare, *tolerance, *command, *load); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(rowsPath, out, compare string, tolerance float64, command, load string) error {
	if rowsPath == "" {
		return fmt.Errorf("-rows is required: the file the benchmarks appended to (DHIS2SYNC_BENCH_OUT)")
	}
	rows, err := benchreport.ReadRows(rowsPath)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s holds no rows: did the benchmarks run with DHIS2SYNC_BENCH_OUT=%s?", rowsPath, rowsPath)
	}
	fmt.Print(benchreport.Table(rows))
	if out != "" {
		if err := benchreport.WriteReport(out, &benchreport.Report{Command: command, Load: load, Rows: rows}); err != nil {
			return err
		}
		fmt.Println("written to", out)
	}
	if compare != "" {
		old, err := benchreport.ReadReport(compare)
		if err != nil {
			return err
		}
		if reg := benchreport.Regressions(rows, old.Rows, tolerance); len(reg) > 0 {
			for _, r := range reg {
				fmt.Fprintln(os.Stderr, "regression:", r)
			}
			return fmt.Errorf("%d ratio(s) regressed against %s", len(reg), compare)
		}
		fmt.Printf("no ratio more than %.0f%% worse than %s\n", tolerance*100, compare)
	}
	return nil
}
