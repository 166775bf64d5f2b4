package dhis2

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// ListQuery selects objects of one metadata collection (docs.dhis2.org metadata.md).
type ListQuery struct {
	// Fields is the field filter, e.g. ":owner" or "id,name,dataSets[id]".
	// Empty means DHIS2's default (id,displayName).
	Fields string
	// Filters are "property:operator:value" expressions, combined with AND
	// unless RootJunctionOr is set. See FilterUpdatedAfter.
	Filters        []string
	RootJunctionOr bool
	// Order is "property:asc|desc", e.g. "id:asc" for a stable order.
	Order string
	// PageSize defaults to 200.
	PageSize int
	// NoPaging asks for everything in one streamed response (paging=false).
	NoPaging bool
	// Parallel > 1 fetches up to that many later pages concurrently once the
	// page count is known; items are still yielded in order.
	Parallel int
	// Extra parameters, added as is.
	Extra url.Values
}

// FilterUpdatedAfter returns the filter for objects changed after t, in the
// server's time zone (nil means UTC).
func FilterUpdatedAfter(t time.Time, serverZone *time.Location) string {
	return "lastUpdated:gt:" + FormatTime(t, serverZone)
}

var pluralPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

func (q ListQuery) values() url.Values {
	v := cloneValues(q.Extra)
	if q.Fields != "" {
		v.Set("fields", q.Fields)
	}
	for _, f := range q.Filters {
		v.Add("filter", f)
	}
	if q.RootJunctionOr {
		v.Set("rootJunction", "OR")
	}
	if q.Order != "" {
		v.Set("order", q.Order)
	}
	if q.NoPaging {
		v.Set("paging", "false")
	}
	return v
}

// ListObjects iterates over every object of a metadata collection such as
// "dataElements", page after page, decoding each page as a stream.
func (c *Client) ListObjects(ctx context.Context, plural string, q ListQuery) iter.Seq2[json.RawMessage, error] {
	if !pluralPattern.MatchString(plural) {
		return errSeq(invalidInput("list objects", "%q is not a DHIS2 collection name (e.g. dataElements)", plural))
	}
	if q.PageSize <= 0 {
		q.PageSize = 200
	}
	spec := pageSpec{op: "list " + plural, path: plural, query: q.values(), listKeys: []string{plural},
		pageSize: q.PageSize, paged: !q.NoPaging}
	return c.pages(ctx, spec, q.Parallel)
}

// ListIDs returns the ids of every object of a collection that matches the filters, in id order.
func (c *Client) ListIDs(ctx context.Context, plural string, filters ...string) ([]string, error) {
	var out []string
	for raw, err := range c.ListObjects(ctx, plural, ListQuery{Fields: "id", Filters: filters, Order: "id:asc", PageSize: 1000}) {
		if err != nil {
			return nil, err
		}
		var o struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("list %s: %w", plural, err)
		}
		out = append(out, o.ID)
	}
	return out, nil
}

// CountObjects returns how many objects match, from the pager total.
func (c *Client) CountObjects(ctx context.Context, plural string, filters ...string) (int, error) {
	if !pluralPattern.MatchString(plural) {
		return 0, invalidInput("count objects", "%q is not a DHIS2 collection name (e.g. dataElements)", plural)
	}
	q := ListQuery{Fields: "id", Filters: filters}.values()
	spec := pageSpec{op: "count " + plural, path: plural, query: q, listKeys: []string{plural}, pageSize: 1, paged: true}
	pg, _, _, err := c.readPage(ctx, spec, 1, func(json.RawMessage) bool { return true })
	if err != nil {
		return 0, err
	}
	return pg.Total, nil
}

// TypeQuery narrows one collection of a metadata export.
type TypeQuery struct {
	Fields  string   // "<plural>:fields"
	Filters []string // "<plural>:filter"
	Order   string   // "<plural>:order"
}

// MetadataQuery drives GET /api/metadata (docs.dhis2.org metadata.md).
type MetadataQuery struct {
	// Types selects collections; an empty map exports everything.
	Types map[string]TypeQuery
	// Fields defaults to ":owner", the form DHIS2 re-imports.
	Fields string
	// Filters apply to every selected collection.
	Filters []string
	// ExcludeDefaults drops the generated "default" objects (defaults=EXCLUDE).
	ExcludeDefaults bool
	SkipSharing     bool
	Extra           url.Values
}

func (q MetadataQuery) values() url.Values {
	v := cloneValues(q.Extra)
	fields := q.Fields
	if fields == "" {
		fields = ":owner"
	}
	v.Set("fields", fields)
	for _, f := range q.Filters {
		v.Add("filter", f)
	}
	if q.ExcludeDefaults {
		v.Set("defaults", "EXCLUDE")
	}
	if q.SkipSharing {
		v.Set("skipSharing", "true")
	}
	for plural, t := range q.Types {
		v.Set(plural, "true")
		if t.Fields != "" {
			v.Set(plural+":fields", t.Fields)
		}
		for _, f := range t.Filters {
			v.Add(plural+":filter", f)
		}
		if t.Order != "" {
			v.Set(plural+":order", t.Order)
		}
	}
	return v
}

// ExportMetadata streams GET /api/metadata, calling fn for every object
// with its collection name. Header values ("system", "package", "date")
// are skipped. Memory stays bounded by the largest single object.
func (c *Client) ExportMetadata(ctx context.Context, q MetadataQuery, fn func(plural string, obj json.RawMessage) error) error {
	for plural := range q.Types {
		if !pluralPattern.MatchString(plural) {
			return invalidInput("export metadata", "%q is not a DHIS2 collection name (e.g. dataElements)", plural)
		}
	}
	r := &request{op: "export metadata", method: "GET", path: "metadata", query: q.values(), class: classStream, idempotent: true}
	resp, err := c.do(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Close()
	dec := json.NewDecoder(resp.body)
	var fnErr error
	err = walkObject(dec, func(key string) error {
		_, err := forEachElementOrSkip(dec, func() error {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return err
			}
			if err := fn(key, raw); err != nil {
				fnErr = err
				return errStopped
			}
			return nil
		})
		return err
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return c.readError(r, resp, err)
	}
	return nil
}

// DeletedObject is one entry of /api/deletedObjects (docs.dhis2.org metadata.md).
type DeletedObject struct {
	Klass     string `json:"klass"` // short class name, e.g. DataElement
	UID       string `json:"uid"`
	Code      string `json:"code,omitempty"`
	DeletedAt string `json:"deletedAt"`
	DeletedBy string `json:"deletedBy,omitempty"`
}

// DeletedQuery selects deleted objects. It needs a superuser account.
type DeletedQuery struct {
	Klass     []string // short class names; empty means all
	DeletedAt string   // "since", as a DHIS2 date or timestamp
	PageSize  int      // default 500
}

// DeletedObjects iterates over /api/deletedObjects.
func (c *Client) DeletedObjects(ctx context.Context, q DeletedQuery) iter.Seq2[DeletedObject, error] {
	v := url.Values{}
	for _, k := range q.Klass {
		v.Add("klass", k)
	}
	if q.DeletedAt != "" {
		v.Set("deletedAt", q.DeletedAt)
	}
	if q.PageSize <= 0 {
		q.PageSize = 500
	}
	spec := pageSpec{op: "list deleted objects", path: "deletedObjects", query: v, listKeys: []string{"deletedObjects"},
		pageSize: q.PageSize, paged: true}
	return func(yield func(DeletedObject, error) bool) {
		for raw, err := range c.pages(ctx, spec, 0) {
			if err != nil {
				yield(DeletedObject{}, err)
				return
			}
			var d DeletedObject
			if err := json.Unmarshal(raw, &d); err != nil {
				yield(DeletedObject{}, &Error{Kind: KindMalformed, Op: spec.op, Err: err, Hint: hints[KindMalformed]})
				return
			}
			if !yield(d, nil) {
				return
			}
		}
	}
}

// ShortClassName turns "org.hisp.dhis.dataelement.DataElement" into "DataElement".
func ShortClassName(klass string) string {
	if i := strings.LastIndexByte(klass, '.'); i >= 0 {
		return klass[i+1:]
	}
	return klass
}

func errSeq(err error) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) { yield(nil, err) }
}
