// Package conventions holds the tests that keep the whole code base (services, gateway, frontend) to rules a
// reviewer would otherwise have to remember: the environment is read only through services/platform/settings,
// loggers are built only by services/platform/logging, and log records name jobs, steps, instances and
// configurations with the same keys everywhere, so one query finds a job across every process's log.
package conventions

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sourceFile is one parsed non-test Go file of the repository.
type sourceFile struct {
	rel  string // slash path from the repository root, e.g. "services/loader/consumer.go"
	fset *token.FileSet
	file *ast.File
}

// repoFiles parses every non-test Go file of the Go modules that make up dhis2sync (proto aside: generated).
func repoFiles(t *testing.T) []sourceFile {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	var files []sourceFile
	for _, mod := range []string{"services", "gateway", "frontend"} {
		err := filepath.WalkDir(filepath.Join(root, mod), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name := d.Name(); name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			files = append(files, sourceFile{rel: filepath.ToSlash(rel), fset: fset, file: f})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 200 {
		t.Fatalf("only %d Go files found under %s: is the walk rooted right?", len(files), root)
	}
	return files
}

// importName returns the name a file uses for the import path, "" when it does not import it.
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == path {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return path[strings.LastIndex(path, "/")+1:]
		}
	}
	return ""
}

// pkgCall reports whether call is pkg.name(...) for the package imported as pkg.
func pkgCall(call *ast.CallExpr, pkg string) (name string, ok bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || pkg == "" {
		return "", false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok || id.Name != pkg {
		return "", false
	}
	return sel.Sel.Name, true
}

func inDir(rel, dir string) bool { return strings.HasPrefix(rel, dir+"/") }

// TestEnvironmentOnlyThroughSettings: no process reads a variable on its own, so every variable is documented in
// one place and a malformed value fails the same way everywhere.
func TestEnvironmentOnlyThroughSettings(t *testing.T) {
	for _, sf := range repoFiles(t) {
		if inDir(sf.rel, "services/platform/settings") {
			continue
		}
		osName := importName(sf.file, "os")
		ast.Inspect(sf.file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if name, ok := pkgCall(call, osName); ok && (name == "Getenv" || name == "LookupEnv") {
				t.Errorf("%s: os.%s: read the environment through services/platform/settings (Load, String, Duration, Int, Bool)",
					sf.fset.Position(call.Pos()), name)
			}
			return true
		})
	}
}

// TestLoggersOnlyFromLogging: one logger builder, so LOG_LEVEL and LOG_FORMAT mean the same in every process.
func TestLoggersOnlyFromLogging(t *testing.T) {
	for _, sf := range repoFiles(t) {
		if inDir(sf.rel, "services/platform/logging") {
			continue
		}
		slogName := importName(sf.file, "log/slog")
		ast.Inspect(sf.file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			if name, ok := pkgCall(call, slogName); ok && (name == "NewJSONHandler" || name == "NewTextHandler") {
				t.Errorf("%s: slog.%s: build loggers with services/platform/logging.New", sf.fset.Position(call.Pos()), name)
			}
			return true
		})
	}
}
