package dhis2

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/dhis2-versions.md from the capability table")

// versionsDocPath is the committed document, relative to this package.
var versionsDocPath = filepath.Join("..", "..", "..", "docs", "dhis2-versions.md")

// TestVersionsDoc fails when docs/dhis2-versions.md is not what the capability and transformation tables print,
// so a change to the table without the document (or the reverse) cannot be committed unnoticed.
func TestVersionsDoc(t *testing.T) {
	for f := range features {
		if _, ok := featureNotes[f]; !ok {
			t.Errorf("feature %q has no featureNotes entry: say what it means and cite its DHIS2 source", f)
		}
	}
	for f := range featureNotes {
		if _, ok := features[f]; !ok {
			t.Errorf("featureNotes names %q, which the capability table does not have", f)
		}
	}
	want := VersionsDoc()
	if *update {
		if err := os.WriteFile(versionsDocPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(versionsDocPath)
	if err != nil {
		t.Fatalf("%v: run go generate ./internal/dhis2 (from services/) to write it", err)
	}
	if string(got) != want {
		t.Fatalf("%s differs from the capability table: run go generate ./internal/dhis2 (from services/) and commit it\n%s",
			versionsDocPath, firstDiff(string(got), want))
	}
}

func TestVersionsDocCells(t *testing.T) {
	cases := []struct {
		spans []span
		minor int
		want  string
	}{
		{[]span{from(38)}, 37, "—"},
		{[]span{from(38)}, 38, "yes"},
		{[]span{before(41)}, 40, "yes"},
		{[]span{before(41)}, 41, "—"},
		{features[FeatureEventChartsExported], 39, "before 2.39.6"},
		{[]span{{since: v3(40, 4)}}, 40, "from 2.40.4"},
	}
	for _, c := range cases {
		if got := cell(c.spans, c.minor); got != c.want {
			t.Errorf("cell(%v, %d) = %q, want %q", c.spans, c.minor, got, c.want)
		}
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  committed: %s\n  generated: %s", i+1, gl, wl)
		}
	}
	return ""
}
