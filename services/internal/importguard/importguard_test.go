// Package importguard holds the test that keeps the simulator independent of what it tests: the simulator never
// imports the DHIS2 client, the client never imports the simulator, and no service or command imports the
// simulator outside its tests (the dhis2sim command and the demo command, which exist to run it, aside).
package importguard

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const (
	module    = "github.com/dhis2sync/dhis2sync/services/"
	client    = module + "internal/dhis2"
	simulator = module + "dhis2sim"
)

// runsSimulator lists the packages whose purpose is to run the simulator.
var runsSimulator = map[string]bool{"cmd/dhis2sim": true, "cmd/dhis2sync-demo": true}

func TestImportBoundaries(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		pkg := filepath.ToSlash(filepath.Dir(rel))
		test := strings.HasSuffix(path, "_test.go")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			inSim := pkg == "dhis2sim" || strings.HasPrefix(pkg, "dhis2sim/")
			inClient := pkg == "internal/dhis2" || strings.HasPrefix(pkg, "internal/dhis2/")
			switch {
			case inSim && isUnder(p, client):
				t.Errorf("%s imports the DHIS2 client %s: the simulator must stay independent of what it tests", rel, p)
			case inClient && !test && isUnder(p, simulator):
				t.Errorf("%s imports the simulator %s: the client must not depend on it", rel, p)
			case !inSim && !inClient && !test && !runsSimulator[pkg] && isUnder(p, simulator):
				t.Errorf("%s imports the simulator %s outside tests", rel, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d Go files checked under %s: is the walk rooted right?", checked, root)
	}
}

func isUnder(path, pkg string) bool { return path == pkg || strings.HasPrefix(path, pkg+"/") }
