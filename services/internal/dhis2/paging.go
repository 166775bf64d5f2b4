package dhis2

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// pager is the union of DHIS2's paging shapes: the metadata "pager" object
// (docs.dhis2.org metadata.md), the tracker root fields of 2.36–2.40 (dhis2-core PagingWrapper; tracker/view/Page) and the tracker
// "pager" object of 2.41+ (dhis2-core 2.41 tracker/view/Page).
type pager struct {
	Page      int    `json:"page"`
	PageCount int    `json:"pageCount"`
	Total     int    `json:"total"`
	PageSize  int    `json:"pageSize"`
	NextPage  string `json:"nextPage"`
	seen      bool
}

// merge fills fields of p that are unset from o (root fields complete a pager object).
func (p *pager) merge(o pager) {
	if p.Page == 0 {
		p.Page = o.Page
	}
	if p.PageCount == 0 {
		p.PageCount = o.PageCount
	}
	if p.Total == 0 {
		p.Total = o.Total
	}
	if p.PageSize == 0 {
		p.PageSize = o.PageSize
	}
	if p.NextPage == "" {
		p.NextPage = o.NextPage
	}
	p.seen = p.seen || o.seen
}

// hasNext decides whether another page follows a page of n items requested
// with pageSize.
func (p pager) hasNext(requested, n, pageSize int) bool {
	switch {
	case n == 0:
		return false
	case p.PageCount > 0:
		return requested < p.PageCount
	case p.Total > 0:
		return requested*pageSize < p.Total
	case p.NextPage != "":
		return true
	}
	// Tracker exports without totals: a full page may have a successor.
	return n >= pageSize
}

// pageSpec says how to read one page.
type pageSpec struct {
	op       string
	path     string
	query    url.Values // without page
	listKeys []string   // accepted list keys; the first array among them is the list
	pageSize int
	paged    bool
}

// readPage fetches and stream-decodes one page, yielding items as they are
// decoded. It returns the paging information and the number of items.
func (c *Client) readPage(ctx context.Context, spec pageSpec, page int, yield func(json.RawMessage) bool) (pg pager, n int, stopped bool, err error) {
	q := cloneValues(spec.query)
	if spec.paged {
		q.Set("page", strconv.Itoa(page))
		q.Set("pageSize", strconv.Itoa(spec.pageSize))
	}
	r := &request{op: spec.op, method: "GET", path: spec.path, query: q, class: classStream, idempotent: true}
	resp, err := c.do(ctx, r)
	if err != nil {
		return pg, 0, false, err
	}
	defer resp.Close()
	dec := json.NewDecoder(resp.body)
	var root pager
	listFound := false
	err = walkObject(dec, func(key string) error {
		switch {
		case key == "pager":
			if err := dec.Decode(&pg); err != nil {
				return err
			}
			pg.seen = true
			return nil
		case key == "page" || key == "pageSize" || key == "total" || key == "pageCount":
			var v *int
			if err := dec.Decode(&v); err != nil {
				return err
			}
			if v != nil {
				switch key {
				case "page":
					root.Page = *v
				case "pageSize":
					root.PageSize = *v
				case "total":
					root.Total = *v
				case "pageCount":
					root.PageCount = *v
				}
				root.seen = true
			}
			return nil
		case !listFound && containsString(spec.listKeys, key):
			isArray, err := forEachElementOrSkip(dec, func() error {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return err
				}
				n++
				if !yield(raw) {
					stopped = true
					return errStopped
				}
				return nil
			})
			listFound = listFound || isArray
			return err
		}
		return skipValue(dec)
	})
	if stopped {
		return pg, n, true, nil
	}
	if err != nil {
		return pg, n, false, c.readError(r, resp, err)
	}
	if !listFound {
		return pg, n, false, &Error{Kind: KindMalformed, Op: spec.op, Method: "GET", URL: redactURL(resp.url), HTTPStatus: resp.status,
			Message: fmt.Sprintf("the response has no list under %q", spec.listKeys[0]), Hint: hints[KindMalformed]}
	}
	pg.merge(root)
	if spec.paged && pg.Page != 0 && pg.Page != page {
		return pg, n, false, &Error{Kind: KindMalformed, Op: spec.op, Method: "GET", URL: redactURL(resp.url), HTTPStatus: resp.status,
			Message: fmt.Sprintf("asked for page %d, the server answered page %d", page, pg.Page), Hint: hints[KindMalformed]}
	}
	return pg, n, false, nil
}

var errStopped = fmt.Errorf("iteration stopped")

// pages iterates over every item of every page in order. With parallel > 1
// and a known page count, later pages are fetched concurrently (at most
// parallel pages buffered) but still yielded in order.
func (c *Client) pages(ctx context.Context, spec pageSpec, parallel int) iter.Seq2[json.RawMessage, error] {
	return func(yield func(json.RawMessage, error) bool) {
		if spec.pageSize <= 0 {
			spec.pageSize = 50
		}
		keepGoing := true
		emit := func(raw json.RawMessage) bool {
			keepGoing = yield(raw, nil)
			return keepGoing
		}
		pg, n, stopped, err := c.readPage(ctx, spec, 1, emit)
		if err != nil {
			yield(nil, err)
			return
		}
		if stopped || !spec.paged {
			return
		}
		if parallel > 1 && pg.PageCount > 1 {
			c.parallelPages(ctx, spec, pg.PageCount, parallel, yield)
			return
		}
		for page := 1; pg.hasNext(page, n, spec.pageSize); {
			page++
			pg, n, stopped, err = c.readPage(ctx, spec, page, emit)
			if err != nil {
				yield(nil, err)
				return
			}
			if stopped {
				return
			}
		}
	}
}

// parallelPages fetches pages 2..count with a bounded window of workers.
func (c *Client) parallelPages(ctx context.Context, spec pageSpec, count, parallel int, yield func(json.RawMessage, error) bool) {
	type result struct {
		items []json.RawMessage
		err   error
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// One channel per page keeps the order; the semaphore bounds buffering.
	window := make(chan struct{}, parallel)
	results := make([]chan result, count+1)
	for p := 2; p <= count; p++ {
		results[p] = make(chan result, 1)
	}
	go func() {
		for p := 2; p <= count; p++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func(p int) {
				var items []json.RawMessage
				_, _, _, err := c.readPage(ctx, spec, p, func(raw json.RawMessage) bool {
					items = append(items, raw)
					return true
				})
				results[p] <- result{items, err}
			}(p)
		}
	}()
	for p := 2; p <= count; p++ {
		var res result
		select {
		case res = <-results[p]:
		case <-ctx.Done():
			yield(nil, c.ctxError(ctx, &request{op: spec.op}, "", ctx.Err()))
			return
		}
		<-window
		if res.err != nil {
			yield(nil, res.err)
			return
		}
		for _, it := range res.items {
			if !yield(it, nil) {
				return
			}
		}
	}
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v)+2)
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
