package loader

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/datawindow"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// maxHeldDeletions bounds the deletions a data step holds while its extraction runs (≈150 bytes each, so
// ≈30 MB): a run that deletes more values than this is refused whatever the guard allows, and says how to
// propagate them in parts.
const maxHeldDeletions = 200_000

// DeletionGuardCode marks the warning of a data step whose deletions were held back.
const DeletionGuardCode = "DELETION_GUARD"

// dataDeletions holds the values a data step must delete until the step's extraction ends, so that the
// deletion guard judges them all at once: a run deletes none of a data set's values, or all of them. Values
// deleted at the source are only propagated when the configuration says so (deletion.propagate), and never
// beyond deletion.maxSharePercent of the values the destination holds in the configuration's window.
//
// Held deletions are not acknowledged: results report ackedThrough before the first batch that carries one,
// so a step resumed after a loader restart reads them again (imports are idempotent).
type dataDeletions struct {
	mu        sync.Mutex
	items     [][]byte
	firstSeq  int64 // the first batch whose deletions are held; 0 while none
	overflow  bool
	notCopied int64 // deletions left out because deletion.propagate is off
}

// take sorts a run's deleted values: held for the end of the step, or counted as left out.
func (d *dataDeletions) take(propagate bool, seq int64, items [][]byte) {
	if len(items) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !propagate {
		d.notCopied += int64(len(items))
		return
	}
	if d.firstSeq == 0 || seq < d.firstSeq {
		d.firstSeq = seq
	}
	if len(d.items)+len(items) > maxHeldDeletions {
		d.overflow = true
		d.items = nil
		return
	}
	if !d.overflow {
		d.items = append(d.items, items...)
	}
}

// ackLimit is the highest sequence a result may report as imported while deletions are held.
func (d *dataDeletions) ackLimit(acked int64) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.firstSeq > 0 && d.firstSeq-1 < acked {
		return d.firstSeq - 1
	}
	return acked
}

// finish runs once the step's last values are imported: it applies the guard to the held deletions, posts
// them or holds them back with a warning, and accounts for them in the step's last result.
func (p *dataPipe) finishDeletions(ctx context.Context, res *batchv1.Result) error {
	d := &p.deletions
	d.mu.Lock()
	items, overflow, notCopied, held := d.items, d.overflow, d.notCopied, d.firstSeq > 0
	d.mu.Unlock()
	if notCopied > 0 {
		res.Ignored += notCopied
		p.r.log.Info("values deleted at the source were left on the destination: deletion.propagate is off",
			slog.Int64("values", notCopied))
	}
	if !held {
		return nil
	}
	refuse := func(msg string, n int64) {
		res.Ignored += n
		if res.GetStatus() == string(dhis2.StatusOK) {
			res.Status = string(dhis2.StatusWarning)
		}
		res.Conflicts = append(res.Conflicts, &batchv1.Conflict{Code: DeletionGuardCode, ObjectType: "dataValues",
			Uid: strings.Join(p.stepDataSets(), ","), Message: msg})
		p.r.log.Warn("data value deletions held back", slog.String("reason", msg))
	}
	if overflow {
		refuse(fmt.Sprintf("more than %d values were deleted at the source in one run: none was deleted here; "+
			"check the source, then propagate them in parts with a narrower period filter", maxHeldDeletions), 0)
		return nil
	}
	total, err := p.destinationValues(ctx)
	if err != nil {
		return fmt.Errorf("count the destination's values for the deletion guard: %w", err)
	}
	share := int64(p.r.cfg.GetDeletion().GetMaxSharePercent())
	if share <= 0 {
		share = defaultMaxSharePercent
	}
	n := int64(len(items))
	if n*100 > share*total {
		pct := int64(100)
		if total > 0 {
			pct = n * 100 / total
		}
		refuse(fmt.Sprintf("held back %d deletions of data values: they are %d%% of the %d values the destination holds "+
			"for these data sets, above the configured maximum of %d%% per run; nothing was deleted. Check the source, or "+
			"raise deletion.maxSharePercent in the configuration if this is intended", n, pct, total, share), n)
		return nil
	}
	params := p.params
	params.ImportStrategy = "DELETE"
	sum := newConflictSet()
	for start := 0; start < len(items); start += p.target {
		var body bodyBuilder
		for _, it := range items[start:min(start+p.target, len(items))] {
			body.add(it)
		}
		ir, err := p.post(ctx, body.bytes(), params)
		if err != nil {
			return err
		}
		account(res, ir, sum)
	}
	res.Conflicts = append(res.Conflicts, sum.list...)
	return nil
}

// stepDataSets are the data sets a step names ("dataValues:<uid>"), else the configuration's filter; empty
// means every data set.
func (p *dataPipe) stepDataSets() []string {
	var out []string
	for _, r := range p.r.req.GetResources() {
		if ds, ok := strings.CutPrefix(r, "dataValues:"); ok && ds != "" {
			out = append(out, ds)
		}
	}
	if len(out) == 0 {
		out = p.r.cfg.GetFilters().GetDataSetIds()
	}
	return out
}

// destinationValues counts the live values the destination holds for the step's data sets and org units in
// the configuration's window: what the guard's share is a share of. It costs one export of those values,
// streamed and counted, and runs only in runs that delete.
func (p *dataPipe) destinationValues(ctx context.Context) (int64, error) {
	c := p.r.client
	dataSets := p.stepDataSets()
	var err error
	if len(dataSets) == 0 {
		if dataSets, err = c.ListIDs(ctx, "dataSets"); err != nil {
			return 0, err
		}
	}
	orgUnits := p.r.cfg.GetFilters().GetOrgUnitIds()
	if len(orgUnits) == 0 {
		if orgUnits, err = c.ListIDs(ctx, "organisationUnits", "level:eq:1"); err != nil {
			return 0, err
		}
	}
	if len(dataSets) == 0 || len(orgUnits) == 0 {
		return 0, nil
	}
	q := dhis2.DataValueQuery{DataSets: dataSets, OrgUnits: orgUnits, Children: true}
	datawindow.FromFilters(p.r.cfg.GetFilters()).Apply(&q, "")
	var n int64
	err = c.ExportDataValues(ctx, q, func(dv dhis2.DataValue) error {
		if !dv.Deleted {
			n++
		}
		return nil
	})
	return n, err
}
