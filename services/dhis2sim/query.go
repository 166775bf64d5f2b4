package dhis2sim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// filterExpr is one "property:operator:value" metadata filter (docs@2.40 metadata.md "Metadata object
// filter"). Paths may be nested ("dataSetElements.dataSet.id"); references are followed through the store.
type filterExpr struct {
	path []string
	op   string
	val  string
	list []string // for in / !in
}

var filterOps = map[string]bool{
	"eq": true, "!eq": true, "ne": true, "like": true, "!like": true, "$like": true, "!$like": true,
	"like$": true, "!like$": true, "ilike": true, "!ilike": true, "$ilike": true, "!$ilike": true,
	"ilike$": true, "!ilike$": true, "gt": true, "ge": true, "lt": true, "le": true, "null": true,
	"!null": true, "empty": true, "token": true, "!token": true, "in": true, "!in": true,
}

func parseFilter(s string) (filterExpr, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) < 2 {
		return filterExpr{}, fmt.Errorf("invalid filter %q", s)
	}
	f := filterExpr{path: strings.Split(parts[0], "."), op: parts[1]}
	if !filterOps[f.op] {
		return filterExpr{}, fmt.Errorf("invalid filter operator %q", f.op)
	}
	if len(parts) == 3 {
		f.val = parts[2]
	}
	if f.op == "in" || f.op == "!in" {
		v := strings.TrimSuffix(strings.TrimPrefix(f.val, "["), "]")
		if v != "" {
			f.list = strings.Split(v, ",")
		}
	}
	return f, nil
}

// values collects the leaf values at a path, flattening lists and following references.
func (s *Server) pathValues(v any, path []string) []any {
	if len(path) == 0 {
		if list, ok := v.([]any); ok {
			return list
		}
		return []any{v}
	}
	switch x := v.(type) {
	case []any:
		var out []any
		for _, e := range x {
			out = append(out, s.pathValues(e, path)...)
		}
		return out
	case map[string]any:
		next, ok := x[path[0]]
		if !ok && path[0] != "id" {
			if id := refID(x); id != "" {
				if o, _, found := s.meta.lookup(id); found {
					next, ok = o[path[0]]
				}
			}
		}
		if path[0] == "displayName" && !ok {
			next, ok = x["name"]
		}
		if !ok {
			return []any{nil}
		}
		return s.pathValues(next, path[1:])
	}
	return []any{nil}
}

func (s *Server) matchFilter(obj map[string]any, f filterExpr) bool {
	if len(f.path) == 1 && f.path[0] == "identifiable" {
		for _, k := range []string{"id", "code", "name", "shortName"} {
			if s.matchFilter(obj, filterExpr{path: []string{k}, op: strings.Replace(f.op, "token", "ilike", 1), val: f.val}) {
				return !strings.HasPrefix(f.op, "!")
			}
		}
		return strings.HasPrefix(f.op, "!")
	}
	vals := s.pathValues(obj, f.path)
	negated := strings.HasPrefix(f.op, "!") || f.op == "ne"
	base := strings.TrimPrefix(f.op, "!")
	if f.op == "ne" {
		base = "eq"
	}
	switch base {
	case "null":
		any := false
		for _, v := range vals {
			if v == nil {
				any = true
			}
		}
		if len(vals) == 0 {
			any = true
		}
		return any != negated
	case "empty":
		return len(vals) == 0 || (len(vals) == 1 && vals[0] == nil)
	}
	matched := false
	for _, v := range vals {
		if v == nil {
			continue
		}
		if compareOp(base, scalarString(v), f) {
			matched = true
			break
		}
	}
	return matched != negated
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case map[string]any:
		return refID(x)
	}
	return fmt.Sprint(v)
}

func compareOp(op, have string, f filterExpr) bool {
	want := f.val
	lh, lw := strings.ToLower(have), strings.ToLower(want)
	switch op {
	case "eq":
		return have == want
	case "like":
		return strings.Contains(have, want)
	case "$like":
		return strings.HasPrefix(have, want)
	case "like$":
		return strings.HasSuffix(have, want)
	case "ilike":
		return strings.Contains(lh, lw)
	case "$ilike":
		return strings.HasPrefix(lh, lw)
	case "ilike$":
		return strings.HasSuffix(lh, lw)
	case "token":
		for _, t := range strings.Fields(lw) {
			if !strings.Contains(lh, t) {
				return false
			}
		}
		return true
	case "in":
		for _, w := range f.list {
			if have == w {
				return true
			}
		}
		return false
	case "gt", "ge", "lt", "le":
		c := compareValues(have, want)
		switch op {
		case "gt":
			return c > 0
		case "ge":
			return c >= 0
		case "lt":
			return c < 0
		}
		return c <= 0
	}
	return false
}

// compareValues compares as dates, then numbers, then strings.
func compareValues(a, b string) int {
	if ta, err := parseTime(a); err == nil {
		if tb, err := parseTime(b); err == nil {
			return ta.Compare(tb)
		}
	}
	if fa, err := strconv.ParseFloat(a, 64); err == nil {
		if fb, err := strconv.ParseFloat(b, 64); err == nil {
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(a, b)
}

type orderExpr struct {
	prop     string
	desc, ci bool
}

func parseOrder(s string) ([]orderExpr, error) {
	var out []orderExpr
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		prop, dir, _ := strings.Cut(part, ":")
		o := orderExpr{prop: prop}
		switch strings.ToLower(dir) {
		case "", "asc":
		case "desc":
			o.desc = true
		case "iasc":
			o.ci = true
		case "idesc":
			o.desc, o.ci = true, true
		default:
			return nil, fmt.Errorf("invalid order direction %q", dir)
		}
		out = append(out, o)
	}
	return out, nil
}

func (s *Server) sortObjects(objs []map[string]any, order []orderExpr) {
	if len(order) == 0 {
		return
	}
	key := func(o map[string]any, e orderExpr) string {
		vals := s.pathValues(o, strings.Split(e.prop, "."))
		if len(vals) == 0 || vals[0] == nil {
			return ""
		}
		v := scalarString(vals[0])
		if e.ci {
			v = strings.ToLower(v)
		}
		return v
	}
	sort.SliceStable(objs, func(i, j int) bool {
		for _, e := range order {
			c := compareValues(key(objs[i], e), key(objs[j], e))
			if c == 0 {
				continue
			}
			if e.desc {
				return c > 0
			}
			return c < 0
		}
		return false
	})
}

// pager is DHIS2's Pager (core@2.40 common/Pager.java); nextPage/prevPage are absolute URLs.
type pager struct {
	Page      int    `json:"page"`
	Total     int    `json:"total"`
	PageSize  int    `json:"pageSize"`
	PageCount int    `json:"pageCount"`
	NextPage  string `json:"nextPage,omitempty"`
	PrevPage  string `json:"prevPage,omitempty"`
}

// paging reads page/pageSize/paging (default page 1, size 50).
type paging struct {
	enabled        bool
	page, pageSize int
}

func readPaging(q map[string][]string) (paging, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	p := paging{enabled: true, page: 1, pageSize: 50}
	if v := get("paging"); strings.EqualFold(v, "false") {
		p.enabled = false
	}
	if v := get("skipPaging"); strings.EqualFold(v, "true") {
		p.enabled = false
	}
	if v := get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("invalid page %q", v)
		}
		p.page = n
	}
	if v := get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, fmt.Errorf("invalid pageSize %q", v)
		}
		p.pageSize = n
	}
	return p, nil
}

// window returns the slice bounds of the current page and the pager.
func (p paging) window(total int, pageURL func(page int) string) (int, int, *pager) {
	if !p.enabled {
		return 0, total, nil
	}
	count := (total + p.pageSize - 1) / p.pageSize
	pg := &pager{Page: p.page, Total: total, PageSize: p.pageSize, PageCount: count}
	if p.page < count {
		pg.NextPage = pageURL(p.page + 1)
	}
	if p.page > 1 {
		pg.PrevPage = pageURL(p.page - 1)
	}
	from := min((p.page-1)*p.pageSize, total)
	to := min(from+p.pageSize, total)
	return from, to, pg
}

// pageURL rebuilds the request URL with another page number.
func pageURL(base, path string, query map[string][]string) func(int) string {
	return func(n int) string {
		q := make(map[string][]string, len(query))
		for k, v := range query {
			q[k] = v
		}
		q["page"] = []string{strconv.Itoa(n)}
		return base + path + "?" + encodeQuery(q)
	}
}

func encodeQuery(q map[string][]string) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(queryEscape(k))
			b.WriteByte('=')
			b.WriteString(queryEscape(v))
		}
	}
	return b.String()
}

// queryEscape escapes like url.QueryEscape but keeps the characters DHIS2 URLs use readable.
func queryEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-_.~:,[]!*$", c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
