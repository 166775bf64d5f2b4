package dhis2

import (
	"context"
	"encoding/json"
	"net/url"
)

// This file holds the cheap "has anything changed since T?" requests automatic mode polls with. Each answers
// with at most one small page; none reads the changed objects themselves. T is the source's own clock, as its
// /api/system/info serverDate gave it (a previous probe's start), so that clock skew between dhis2sync and
// the source cannot hide a change.

// ChangedObjects counts the objects of a metadata collection changed after since: GET /api/<plural>?fields=id
// &pageSize=1&filter=lastUpdated:gt:<since>, reading pager.total (DHIS2 counts with the same filters in a
// separate query; one row of the collection is returned).
func (c *Client) ChangedObjects(ctx context.Context, plural, since string) (int, error) {
	return c.CountObjects(ctx, plural, "lastUpdated:gt:"+since)
}

// DeletedSince counts the entries of /api/deletedObjects with deletedAt >= since (DHIS2's filter is inclusive)
// for the given short class names (all when empty), from the pager of a one-row page. It needs a superuser.
func (c *Client) DeletedSince(ctx context.Context, klass []string, since string) (int, error) {
	v := url.Values{}
	for _, k := range klass {
		v.Add("klass", k)
	}
	v.Set("deletedAt", since)
	v.Set("fields", "uid")
	spec := pageSpec{op: "count deleted objects", path: "deletedObjects", query: v, listKeys: []string{"deletedObjects"},
		pageSize: 1, paged: true}
	pg, _, _, err := c.readPage(ctx, spec, 1, func(json.RawMessage) bool { return true })
	if err != nil {
		return 0, err
	}
	return pg.Total, nil
}

// ChangedDataValues counts the data values (deleted ones included) of q changed since q.LastUpdated, up to
// limit: /api/dataValueSets with lastUpdated=<since>&includeDeleted=true&limit=<limit>. DHIS2's limit is a bare
// SQL LIMIT, which is all a probe needs: the answer holds at most limit values. It reports whether the count
// stopped at the limit.
func (c *Client) ChangedDataValues(ctx context.Context, q DataValueQuery, limit int) (int, bool, error) {
	q.IncludeDeleted, q.Limit = true, limit
	n := 0
	err := c.ExportDataValues(ctx, q, func(DataValue) error {
		n++
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	if limit > 0 && n > limit { // a server that ignores limit still answers; the count is capped here
		n = limit
	}
	return n, limit > 0 && n >= limit, nil
}

// ChangedTracker counts the tracker objects of a kind changed after q.UpdatedAfter (deleted ones included), up
// to limit, from the first page of /api/tracker/<kind> with only the uid field: tracker totals need
// totalPages=true, which DHIS2 documents as expensive, so the probe reads one page of uids instead. It reports
// whether the count stopped at the limit.
func (c *Client) ChangedTracker(ctx context.Context, kind TrackerKind, q TrackerQuery, limit int) (int, bool, error) {
	if limit <= 0 {
		limit = 100
	}
	q.IncludeDeleted, q.PageSize, q.NoPaging = true, limit, false
	q.Fields = trackerUIDField[kind]
	n := 0
	for _, err := range c.ExportTracker(ctx, kind, q) {
		if err != nil {
			return 0, false, err
		}
		n++
		if n >= limit {
			return n, true, nil
		}
	}
	return n, false, nil
}

// trackerUIDField is the uid property of each tracker collection (its name is the same in 2.36–2.42).
var trackerUIDField = map[TrackerKind]string{
	TrackedEntities: "trackedEntity", Enrollments: "enrollment", Events: "event", Relationships: "relationship",
}
