package loader

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	batchv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/batch/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/batch"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// defaultMaxSharePercent is the deletion guard when the configuration sets none.
const defaultMaxSharePercent = 10

type deletedItem struct {
	Resource string `json:"resource"`
	ID       string `json:"id"`
}

// deleteRun deletes what the source deleted: dependents first (reverse DHIS2 order, as DHIS2 deletes in
// forward order within one request and would refuse with E4030), one request per type. A type that would lose
// more than the configured share of its objects on the destination loses none: its deletions are held back with
// a warning (the job completes with warnings and its log says how to allow them), and the other types proceed.
func (r *stepRun) deleteRun(ctx context.Context, run []*held, res *batchv1.Result) error {
	byType := map[string][]string{}
	for _, h := range run {
		if len(h.batch.GetPayload()) > 0 && h.batch.GetResource() != resource.DeletedObjects {
			r.poison(ctx, run, h, fmt.Errorf("a deletions step received %s objects instead of deleted-object entries; nothing was deleted", h.batch.GetResource()))
			return nil
		}
		items, err := batch.Decode(h.batch.GetEncoding(), h.batch.GetPayload())
		if err != nil {
			r.poison(ctx, run, h, err)
			return nil
		}
		for _, it := range items {
			var d deletedItem
			if err := json.Unmarshal(it, &d); err != nil || d.Resource == "" || d.ID == "" {
				r.poison(ctx, run, h, fmt.Errorf("an item is not a deleted object"))
				return nil
			}
			byType[d.Resource] = append(byType[d.Resource], d.ID)
		}
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	// Dependents first: the reverse of DHIS2's commit order.
	slices.SortFunc(types, func(a, b string) int { return planIndex[b] - planIndex[a] })
	share := int(r.cfg.GetDeletion().GetMaxSharePercent())
	if share <= 0 {
		share = defaultMaxSharePercent
	}
	existing := map[string][]string{}
	for _, t := range types {
		ids, total, err := r.existingOnDestination(ctx, t, byType[t])
		if err != nil {
			return r.destinationError(ctx, run, err)
		}
		if len(ids) > 0 && len(ids)*100 > share*total {
			msg := fmt.Sprintf("held back %d deletions of %s: they are %d%% of the %d on the destination, above the "+
				"configured maximum of %d%% per run; nothing of this type was deleted. Check the source, or raise "+
				"deletion.maxSharePercent in the configuration if this is intended", len(ids), t, len(ids)*100/total, total, share)
			r.log.Warn("deletions held back", slog.String("type", t), slog.String("reason", msg))
			res.Conflicts = append(res.Conflicts, &batchv1.Conflict{Code: DeletionGuardCode, ObjectType: t, Message: msg})
			res.Ignored += int64(len(byType[t]))
			if res.GetStatus() == string(dhis2.StatusOK) || res.GetStatus() == "" {
				res.Status = string(dhis2.StatusWarning)
			}
			continue
		}
		existing[t] = ids
		res.Ignored += int64(len(byType[t]) - len(ids))
	}
	params := r.params
	params.ImportStrategy = "DELETE"
	for _, t := range types {
		ids := existing[t]
		if len(ids) == 0 {
			continue
		}
		refs := make([]map[string]any, len(ids))
		for i, id := range ids {
			refs[i] = map[string]any{"id": id}
		}
		p := newPayload()
		for _, ref := range refs {
			p.add(t, ref)
		}
		ir, err := r.post(ctx, run, p, params)
		if err != nil {
			return err
		}
		r.account(res, ir, p, false)
	}
	return nil
}

// existingOnDestination returns which of ids exist on the destination and how many objects of the type it has.
func (r *stepRun) existingOnDestination(ctx context.Context, plural string, ids []string) ([]string, int, error) {
	if !dhis2.CapabilitiesFor(r.dstV).ResourceExists(plural) {
		return nil, 0, nil
	}
	total, err := r.client.CountObjects(ctx, plural)
	if err != nil {
		return nil, 0, err
	}
	var out []string
	for chunk := range slices.Chunk(ids, 100) {
		q := dhis2.ListQuery{Fields: "id", Filters: []string{"id:in:[" + strings.Join(chunk, ",") + "]"}, PageSize: len(chunk)}
		for raw, err := range r.client.ListObjects(ctx, plural, q) {
			if err != nil {
				return nil, 0, err
			}
			var o struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(raw, &o) == nil && o.ID != "" {
				out = append(out, o.ID)
			}
		}
	}
	return out, total, nil
}

// destinationError hands the run back on transient failures and fails the step otherwise.
func (r *stepRun) destinationError(ctx context.Context, run []*held, err error) error {
	if transient(err) {
		r.handBack(ctx, run, err)
		return errHandedBack
	}
	r.fail(ctx, run, "destination: "+err.Error())
	return nil
}
