package conventions

import (
	"go/ast"
	"go/token"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// idKeys are the one spelling of each identifier that log records carry; "job", "jobID", "jobId" or "job-id"
// for the same thing would split a search across processes.
var idKeys = []string{"job_id", "step_id", "instance_id", "config_id"}

// snakeKey is the shape of every log key: lower case words joined by underscores.
var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// attrFuncs build a slog.Attr from a key and a value.
var attrFuncs = map[string]bool{"String": true, "Int": true, "Int64": true, "Uint64": true, "Float64": true,
	"Bool": true, "Time": true, "Duration": true, "Any": true, "Group": true}

// logMethods are the *slog.Logger methods and how many leading arguments (context, level, message) precede the
// key-value pairs.
var logMethods = map[string]int{"Debug": 1, "Info": 1, "Warn": 1, "Error": 1, "DebugContext": 2, "InfoContext": 2,
	"WarnContext": 2, "ErrorContext": 2, "Log": 3, "LogAttrs": 3, "With": 0}

// checkKey returns what is wrong with a log key, or "".
func checkKey(key string) string {
	norm := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(key))
	for _, want := range idKeys {
		entity := strings.TrimSuffix(want, "_id")
		if (norm == entity || norm == entity+"id") && key != want {
			return "name the " + entity + " " + strconv.Quote(want)
		}
	}
	if key == "id" {
		return `say whose id: "job_id", "step_id", "instance_id", "config_id", "user_id" …`
	}
	if !snakeKey.MatchString(key) {
		return "log keys are snake_case"
	}
	return ""
}

// isLogger reports whether the receiver of a method call looks like a logger: slog itself, or a variable or
// field whose name says log ("log", "s.log", "logger", "st.Logger").
func isLogger(x ast.Expr, slogName string) bool {
	var name string
	switch v := x.(type) {
	case *ast.Ident:
		name = v.Name
		if slogName != "" && name == slogName {
			return true
		}
	case *ast.SelectorExpr:
		name = v.Sel.Name
	case *ast.CallExpr: // log.With(...).Info(...)
		if sel, ok := v.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "With" {
			return isLogger(sel.X, slogName)
		}
	}
	return strings.Contains(strings.ToLower(name), "log")
}

// logKeys returns the literal keys of one call: the key of slog.String("key", …) and friends, or the keys of
// the key-value arguments of a logger method.
func logKeys(call *ast.CallExpr, slogName string) []*ast.BasicLit {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	var keys []*ast.BasicLit
	lit := func(e ast.Expr) *ast.BasicLit {
		if b, ok := e.(*ast.BasicLit); ok && b.Kind == token.STRING {
			return b
		}
		return nil
	}
	if id, ok := sel.X.(*ast.Ident); ok && slogName != "" && id.Name == slogName && attrFuncs[sel.Sel.Name] {
		if len(call.Args) > 0 {
			if b := lit(call.Args[0]); b != nil {
				keys = append(keys, b)
			}
		}
		return keys
	}
	skip, ok := logMethods[sel.Sel.Name]
	if !ok || !isLogger(sel.X, slogName) || len(call.Args) < skip {
		return nil
	}
	// As slog reads them: a string is a key followed by its value; anything else is an Attr.
	args := call.Args[skip:]
	for i := 0; i < len(args); i++ {
		if b := lit(args[i]); b != nil {
			keys = append(keys, b)
			i++
		}
	}
	return keys
}

// TestLogKeys keeps log keys consistent across the services, the gateway and the dashboard.
func TestLogKeys(t *testing.T) {
	seen := 0
	for _, sf := range repoFiles(t) {
		slogName := importName(sf.file, "log/slog")
		ast.Inspect(sf.file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			for _, b := range logKeys(call, slogName) {
				seen++
				key, err := strconv.Unquote(b.Value)
				if err != nil {
					continue
				}
				if msg := checkKey(key); msg != "" {
					t.Errorf("%s: log key %q: %s", sf.fset.Position(b.Pos()), key, msg)
				}
			}
			return true
		})
	}
	if seen < 100 {
		t.Fatalf("only %d log keys found: does the test still recognise the log calls?", seen)
	}
}

func TestCheckKey(t *testing.T) {
	for key, bad := range map[string]bool{"job_id": false, "step_id": false, "instance_id": false, "config_id": false,
		"job": true, "jobID": true, "jobId": true, "job-id": true, "JobID": true, "step": true, "stepId": true,
		"instance": true, "instanceID": true, "config": true, "configId": true, "id": true, "orgUnit": true,
		"error": false, "took": false, "config_name": false, "base_url": false} {
		if got := checkKey(key) != ""; got != bad {
			t.Errorf("checkKey(%q) flags = %v, want %v", key, got, bad)
		}
	}
}
