package extractor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/batch"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// DefaultPageSize is the metadata page size when the request gives none.
const DefaultPageSize = 1000

// extraction is one running step.
type extraction struct {
	req    *extractorv1.ExtractStepRequest
	client *dhis2.Client
	pub    *stepPublisher
	pol    Policies
	log    *slog.Logger
	srcV   dhis2.Version // the source's version, read when the step started
}

// runStep reads the step and publishes its batches; it always ends the step with a last batch, carrying an
// error when reading failed, so that the loader and the orchestrator never wait for a step that stopped.
func (x *Extractor) runStep(ctx context.Context, req *extractorv1.ExtractStepRequest, read reader) {
	log := x.log.With(slog.String("job_id", req.GetJobId()), slog.String("step_id", req.GetStepId()))
	pub := &stepPublisher{js: x.js, job: req.GetJobId(), step: req.GetStepId(), after: req.GetAfterSequence()}
	res := strings.Join(req.GetResources(), "+")
	start := time.Now()
	err := x.extract(ctx, req, read, pub, log)
	msg := ""
	if err != nil {
		msg = failureMessage(ctx, err)
		log.Warn("extraction failed", slog.String("error", msg))
	}
	// A cancelled context must still let the closing batch out.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := pub.finish(fctx, res, msg); err != nil {
		log.Error("could not publish the step's last batch; the orchestrator will notice the missing marker", slog.String("error", err.Error()))
		return
	}
	log.Info("extraction done", slog.Int64("batches", pub.seq), slog.Int64("items", pub.items), slog.Duration("took", time.Since(start)))
}

func failureMessage(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return "extraction cancelled: the job was cancelled or the extractor stopped; nothing more was read from the source"
	}
	return err.Error()
}

func (x *Extractor) extract(ctx context.Context, req *extractorv1.ExtractStepRequest, read reader, pub *stepPublisher, log *slog.Logger) error {
	client, err := x.clients.Get(ctx, req.GetSourceInstanceId())
	if err != nil {
		return err
	}
	// The watermark is the source's clock before anything is read, so nothing changed during the read is lost.
	info, err := client.SystemInfo(ctx)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	pub.version = info.Version.String()
	pub.serverDate = serverDate(info)
	pol := PoliciesOf(req.GetConfig())
	pol.Log = log
	return read(&extraction{req: req, client: client, pub: pub, pol: pol, log: log, srcV: info.Version}, ctx)
}

// serverDate is /api/system/info's serverDate as the server wrote it (it is fed back to DHIS2 filters).
func serverDate(info *dhis2.SystemInfo) string {
	var s string
	if raw, ok := info.Raw["serverDate"]; ok && json.Unmarshal(raw, &s) == nil && s != "" {
		return s
	}
	if info.ServerDate.IsZero() {
		return ""
	}
	return dhis2.FormatTime(info.ServerDate, nil)
}

func (e *extraction) listQuery() dhis2.ListQuery {
	q := dhis2.ListQuery{Fields: ":owner", PageSize: int(e.req.GetPageSize()), Order: e.req.GetParams()["order"]}
	if q.PageSize <= 0 {
		q.PageSize = DefaultPageSize
	}
	if since := e.req.GetParams()["since"]; since != "" {
		q.Filters = append(q.Filters, "lastUpdated:ge:"+since)
	}
	return q
}

// metadata streams every resource of the step in order.
func (e *extraction) metadata(ctx context.Context) error {
	caps := dhis2.CapabilitiesFor(e.srcV)
	q := e.listQuery()
	var resources []string
	for _, r := range withCompanions(e.req.GetResources()) {
		if !caps.ResourceExists(r) {
			e.log.Info("resource skipped: the source version does not have it", slog.String("resource", r), slog.String("version", e.pub.version))
			continue
		}
		resources = append(resources, r)
	}
	for _, r := range resources {
		n, err := e.client.CountObjects(ctx, r, q.Filters...)
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		e.pub.planned += int64(n)
	}
	for _, r := range resources {
		if err := e.resource(ctx, r, q); err != nil {
			return err
		}
	}
	return nil
}

func (e *extraction) resource(ctx context.Context, plural string, q dhis2.ListQuery) error {
	if plural == "organisationUnits" && q.Order == "" {
		q.Order = "level:asc" // parents first, so that any page boundary is a safe request boundary
	}
	packer := batch.Packer{MaxItems: q.PageSize}
	for raw, err := range e.client.ListObjects(ctx, plural, q) {
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		var obj map[string]any
		if err := json.Unmarshal(raw, &obj); err != nil {
			return fmt.Errorf("source: %s: an object is not JSON: %w", plural, err)
		}
		if !e.pol.Normalize(plural, obj) {
			continue
		}
		out, err := json.Marshal(obj)
		if err != nil {
			return fmt.Errorf("%s: %w", plural, err)
		}
		if packer.Add(out) {
			if err := e.pub.add(ctx, plural, packer.Take()); err != nil {
				return err
			}
		}
	}
	return e.pub.add(ctx, plural, packer.Take())
}

// DeletedItem is one entry of a deletions batch.
type DeletedItem struct {
	Resource  string `json:"resource"`
	ID        string `json:"id"`
	Code      string `json:"code,omitempty"`
	DeletedAt string `json:"deletedAt,omitempty"`
}

// deletions reads /api/deletedObjects since the watermark for the plan's types and publishes them.
func (e *extraction) deletions(ctx context.Context) error {
	byClass := map[string]string{}
	for _, t := range metadataplan.Order() {
		byClass[t.Class] = t.Resource
	}
	types := deletionTypes(e.req.GetResources(), e.req.GetParams())
	var klass []string
	wanted := map[string]bool{}
	for _, t := range metadataplan.Order() {
		if len(types) == 0 || slices.Contains(types, t.Resource) {
			klass = append(klass, t.Class)
			wanted[t.Resource] = true
		}
	}
	pageSize := int(e.req.GetPageSize())
	if pageSize <= 0 {
		pageSize = DefaultPageSize
	}
	packer := batch.Packer{MaxItems: pageSize}
	q := dhis2.DeletedQuery{Klass: klass, DeletedAt: e.req.GetParams()["since"], PageSize: pageSize}
	for d, err := range e.client.DeletedObjects(ctx, q) {
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		plural, ok := byClass[dhis2.ShortClassName(d.Klass)]
		if !ok || !wanted[plural] {
			continue
		}
		raw, err := json.Marshal(DeletedItem{Resource: plural, ID: d.UID, Code: d.Code, DeletedAt: d.DeletedAt})
		if err != nil {
			return err
		}
		e.pub.planned++
		if packer.Add(raw) {
			if err := e.pub.add(ctx, resource.DeletedObjects, packer.Take()); err != nil {
				return err
			}
		}
	}
	return e.pub.add(ctx, resource.DeletedObjects, packer.Take())
}
