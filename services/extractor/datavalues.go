package extractor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/dhis2sync/dhis2sync/services/internal/batch"
	"github.com/dhis2sync/dhis2sync/services/internal/datawindow"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// DefaultDataPageSize is the number of values per batch when the request gives no page size.
const DefaultDataPageSize = 5000

// dataSetsPerQuery bounds the data sets of one export request (URL length). A data element shared by data
// sets of different requests is exported by each: imports are idempotent, so it is only repeated work.
const dataSetsPerQuery = 50

// dataParams is what a data step reads, from its resources and params.
type dataParams struct {
	dataSets   []string // empty: every data set of the source
	orgUnits   []string // empty: the source's roots
	periods    []string
	start, end string
	since      string // watermark: values changed since (delta run)
}

func parseDataParams(resources []string, params map[string]string) dataParams {
	p := dataParams{
		dataSets: splitList(params["dataSets"]), orgUnits: splitList(params["orgUnits"]),
		periods: splitList(params["periods"]), start: params["startDate"], end: params["endDate"],
		since: params["since"],
	}
	for _, r := range resources {
		if ds, ok := resource.DataSetOf(r); ok && !contains(p.dataSets, ds) {
			p.dataSets = append(p.dataSets, ds)
		}
	}
	return p
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// dataChunk is one export request: data sets × one org unit (with or without its subtree) × the step's window.
type dataChunk struct {
	dataSets []string
	orgUnit  string
	children bool
}

// query is the export request of a chunk, over the configuration's window (datawindow: every period when it
// names none). includeDeleted always: a deletion on the source is a value with deleted=true, which the loader
// turns into a deletion on the destination when the configuration propagates deletions.
func (p dataParams) query(c dataChunk) dhis2.DataValueQuery {
	q := dhis2.DataValueQuery{DataSets: c.dataSets, OrgUnits: []string{c.orgUnit}, Children: c.children, IncludeDeleted: true}
	p.window().Apply(&q, p.since)
	return q
}

func (p dataParams) window() datawindow.Window {
	return datawindow.Window{Periods: p.periods, Start: p.start, End: p.end}
}

// splitChunk is the chunking rule when the source fails a chunk: the org unit alone plus one chunk per child
// with its subtree. The union is exactly the subtree, so nothing is lost and nothing is read twice. Windows are
// not split: DHIS2 selects periods wholly inside startDate–endDate, so a cut would lose the periods that
// straddle it (weeks, quarters or financial years across the cut).
func splitChunk(c dataChunk, children []string) []dataChunk {
	out := []dataChunk{{dataSets: c.dataSets, orgUnit: c.orgUnit}}
	for _, ch := range children {
		out = append(out, dataChunk{dataSets: c.dataSets, orgUnit: ch, children: true})
	}
	return out
}

// splittable reports whether a failed export may succeed in smaller pieces: timeouts, server errors and
// refusals of a too large request. Authentication, bad parameters and the like fail the step at once.
func splittable(err error) bool {
	var de *dhis2.Error
	if errors.As(err, &de) {
		return de.Retryable() || de.Kind == dhis2.KindTimeout || de.HTTPStatus == 413
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// dataValues streams the step's chunks from /api/dataValueSets into batches. Memory stays at one batch
// whatever the size of a chunk: values are decoded, packed and published as they arrive.
func (e *extraction) dataValues(ctx context.Context) error {
	p := parseDataParams(e.req.GetResources(), e.req.GetParams())
	dataSets, err := e.orAll(ctx, p.dataSets, "dataSets", nil)
	if err != nil {
		return err
	}
	roots, err := e.orAll(ctx, p.orgUnits, "organisationUnits", []string{"level:eq:1"})
	if err != nil {
		return err
	}
	if len(dataSets) == 0 || len(roots) == 0 {
		e.log.Info("nothing to read: the source has no data sets or no org units")
		return nil
	}
	e.log.Info("reading data values", slog.Int("data_sets", len(dataSets)), slog.Int("roots", len(roots)),
		slog.String("window", p.window().String()), slog.String("changed_since", p.since))
	// Chunks start one level below the roots: DHIS2 prepares a whole export before it sends the first value
	// (docs/performance.md), so smaller first chunks let the destination start importing sooner, and a
	// source that struggles with a subtree gets smaller pieces of it without waiting for a failure.
	var queue []dataChunk
	for _, ou := range roots {
		kids, err := e.children(ctx, ou)
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		for i := 0; i < len(dataSets); i += dataSetsPerQuery {
			c := dataChunk{dataSets: dataSets[i:min(i+dataSetsPerQuery, len(dataSets))], orgUnit: ou, children: true}
			if len(kids) == 0 {
				queue = append(queue, c)
				continue
			}
			queue = append(queue, splitChunk(c, kids)...)
		}
	}
	size := int(e.req.GetPageSize())
	if size <= 0 {
		size = DefaultDataPageSize
	}
	packer := &batch.Packer{MaxItems: size}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		n, err := e.readChunk(ctx, p, c, packer)
		if err == nil {
			e.log.Debug("chunk read", slog.String("org_unit", c.orgUnit), slog.Bool("children", c.children), slog.Int("values", n))
			continue
		}
		if n > 0 || !c.children || !splittable(err) || ctx.Err() != nil {
			return fmt.Errorf("source: data values of org unit %s: %w", c.orgUnit, err)
		}
		kids, kerr := e.children(ctx, c.orgUnit)
		if kerr != nil {
			return fmt.Errorf("source: %w", kerr)
		}
		e.log.Info("chunk too heavy for the source; reading it by org unit children",
			slog.String("org_unit", c.orgUnit), slog.Int("children", len(kids)), slog.String("error", err.Error()))
		queue = append(splitChunk(c, kids), queue...)
	}
	return e.pub.add(ctx, resource.DataValues, packer.Take())
}

// readChunk exports one chunk and packs its values; it returns how many values it published.
func (e *extraction) readChunk(ctx context.Context, p dataParams, c dataChunk, packer *batch.Packer) (int, error) {
	n := 0
	err := e.client.ExportDataValues(ctx, p.query(c), func(dv dhis2.DataValue) error {
		dv.LastUpdated = "" // set by the destination on import
		raw, err := json.Marshal(dv)
		if err != nil {
			return err
		}
		n++
		e.pub.planned++
		if packer.Add(raw) {
			return e.pub.add(ctx, resource.DataValues, packer.Take())
		}
		return nil
	})
	return n, err
}

// orAll returns the given UIDs, or every UID of a source collection matching filters.
func (e *extraction) orAll(ctx context.Context, given []string, plural string, filters []string) ([]string, error) {
	if len(given) > 0 {
		return given, nil
	}
	return e.ids(ctx, plural, filters)
}

func (e *extraction) children(ctx context.Context, orgUnit string) ([]string, error) {
	return e.ids(ctx, "organisationUnits", []string{"parent.id:eq:" + orgUnit})
}

func (e *extraction) ids(ctx context.Context, plural string, filters []string) ([]string, error) {
	ids, err := e.client.ListIDs(ctx, plural, filters...)
	if err != nil {
		return nil, fmt.Errorf("source: list %s: %w", plural, err)
	}
	return ids, nil
}
