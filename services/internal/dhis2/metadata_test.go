package dhis2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestExportMetadataStreamsEveryCollection(t *testing.T) {
	body := readSample(t, "metadata_tracker_program_basic.json")
	var want map[string]json.RawMessage
	if err := json.Unmarshal(body, &want); err != nil {
		t.Fatal(err)
	}
	var gotQuery string
	srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotQuery = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	c, _ := testClient(t, srv.URL)
	got := map[string]int{}
	q := MetadataQuery{ExcludeDefaults: true, Types: map[string]TypeQuery{"programs": {Fields: "id,name", Filters: []string{"id:eq:x"}}}}
	err := c.ExportMetadata(context.Background(), q, func(plural string, obj json.RawMessage) error {
		if !json.Valid(obj) {
			t.Errorf("%s: invalid object", plural)
		}
		got[plural]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for plural, raw := range want {
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			if got[plural] != 0 {
				t.Errorf("header %s reported as objects", plural)
			}
			continue
		}
		if got[plural] != len(list) {
			t.Errorf("%s: %d objects, want %d", plural, got[plural], len(list))
		}
	}
	for _, want := range []string{"fields=%3Aowner", "defaults=EXCLUDE", "programs=true", "programs%3Afields=id%2Cname", "programs%3Afilter=id%3Aeq%3Ax"} {
		if !strings.Contains(gotQuery, want) {
			t.Errorf("query %q lacks %q", gotQuery, want)
		}
	}
	stop := errors.New("stop")
	if err := c.ExportMetadata(context.Background(), MetadataQuery{}, func(string, json.RawMessage) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error = %v", err)
	}
	if err := c.ExportMetadata(context.Background(), MetadataQuery{Types: map[string]TypeQuery{"bad name": {}}}, nil); !errors.Is(err, KindInvalidInput) {
		t.Errorf("bad collection name: %v", err)
	}
}

func TestDeletedObjectsPages(t *testing.T) {
	const total = 1203
	srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q["klass"][0] != "DataElement" || q["klass"][1] != "Indicator" || q.Get("deletedAt") != "2024-01-01" {
			t.Errorf("query %v", q)
		}
		page, _ := strconv.Atoi(q.Get("page"))
		size, _ := strconv.Atoi(q.Get("pageSize"))
		var items []map[string]any
		for i := (page - 1) * size; i < min(page*size, total); i++ {
			items = append(items, map[string]any{"klass": "DataElement", "uid": fmt.Sprintf("del%08d", i), "deletedAt": "2024-02-01T00:00:00.000", "deletedBy": "admin"})
		}
		writeJSON(w, 200, map[string]any{"pager": map[string]any{"page": page, "pageCount": (total + size - 1) / size, "total": total, "pageSize": size},
			"deletedObjects": items})
	})
	c, _ := testClient(t, srv.URL)
	n := 0
	for d, err := range c.DeletedObjects(context.Background(), DeletedQuery{Klass: []string{"DataElement", "Indicator"}, DeletedAt: "2024-01-01"}) {
		if err != nil {
			t.Fatal(err)
		}
		if d.UID != fmt.Sprintf("del%08d", n) || d.Klass != "DataElement" || d.DeletedBy != "admin" {
			t.Fatalf("item %d = %+v", n, d)
		}
		n++
	}
	if n != total {
		t.Fatalf("got %d, want %d", n, total)
	}
}

func TestPagingGuards(t *testing.T) {
	t.Run("server ignores page", func(t *testing.T) {
		srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"pager": map[string]any{"page": 1, "pageCount": 3}, "dataElements": []any{map[string]any{"id": "a"}}})
		})
		c, _ := testClient(t, srv.URL)
		var err error
		for _, e := range c.ListObjects(context.Background(), "dataElements", ListQuery{PageSize: 1}) {
			err = e
		}
		if !errors.Is(err, KindMalformed) || !strings.Contains(err.Error(), "asked for page 2") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("no list in the answer", func(t *testing.T) {
		srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"pager": map[string]any{"page": 1}, "somethingElse": []any{}})
		})
		c, _ := testClient(t, srv.URL)
		for _, err := range c.ListObjects(context.Background(), "dataElements", ListQuery{}) {
			if !errors.Is(err, KindMalformed) {
				t.Fatalf("err = %v", err)
			}
		}
	})
	t.Run("invalid collection name", func(t *testing.T) {
		c, _ := testClient(t, "http://127.0.0.1:1")
		for _, err := range c.ListObjects(context.Background(), "../users", ListQuery{}) {
			if !errors.Is(err, KindInvalidInput) {
				t.Fatalf("err = %v", err)
			}
		}
	})
}

func TestAsyncJobFinishingWithoutReport(t *testing.T) {
	srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(readSample(t, "metadata_import_async_started_v44_recorded.json"))
		case strings.HasPrefix(r.URL.Path, "/api/system/tasks/"):
			writeJSON(w, 200, []any{map[string]any{"level": "ERROR", "message": "Import failed: out of memory", "completed": true}})
		default:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte("null"))
		}
	})
	c, _ := testClient(t, srv.URL)
	_, err := c.ImportMetadata(context.Background(), `{"dataElements":[]}`, MetadataImportParams{Async: true})
	if !errors.Is(err, KindImportFailed) || !strings.Contains(err.Error(), "cb48ri1yBy2") {
		t.Fatalf("err = %v", err)
	}
}
