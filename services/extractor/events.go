package extractor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"github.com/dhis2sync/dhis2sync/services/internal/batch"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// EventsResource is the resource of event-programme batches.
const EventsResource = resource.Events

// DefaultEventsPageSize is the number of events per batch (and per export page) when the step gives none:
// tracker imports do best at 200–500 objects per request (docs/performance.md), and the loader posts at most 500.
const DefaultEventsPageSize = 500

// maxEventsPageSize bounds the export page: larger /api/tracker/events pages only cost the source memory.
const maxEventsPageSize = 1000

// eventServerFields are the properties DHIS2 manages itself (docs.dhis2.org 2.38 new-tracker "Changes in the API"; release notes 2.41): the destination sets
// its own, and orgUnitName is a display field (removed from 2.41 responses).
var eventServerFields = []string{"createdAt", "updatedAt", "createdBy", "updatedBy", "href", "orgUnitName",
	"storedBy", "created", "lastUpdated", "createdByUserInfo", "lastUpdatedByUserInfo"}

// dataValueServerFields are the same for each of an event's data values.
var dataValueServerFields = []string{"createdAt", "updatedAt", "createdBy", "updatedBy", "storedBy", "created", "lastUpdated"}

// events streams the events of the source's event programmes (programType WITHOUT_REGISTRATION; the
// configuration's programme filter params.programs narrows them) from /api/tracker/events into batches,
// with updatedAfter=<params.since> on delta runs. Tracker programmes' events travel with their enrollments.
func (e *extraction) events(ctx context.Context) error {
	programs, err := e.programsOfType(ctx, "WITHOUT_REGISTRATION")
	if err != nil {
		return err
	}
	pageSize := int(e.req.GetPageSize())
	if pageSize <= 0 {
		pageSize = DefaultEventsPageSize
	}
	params := e.req.GetParams()
	orgUnits := splitList(params["orgUnits"])
	packer := batch.Packer{MaxItems: pageSize}
	for _, prg := range programs {
		q := programQuery(prg, orgUnits, params["since"])
		q.PageSize, q.Order = min(pageSize, maxEventsPageSize), "createdAt:asc"
		n := 0
		for raw, err := range e.client.ExportTracker(ctx, dhis2.Events, q) {
			if err != nil {
				return fmt.Errorf("source: events of program %s: %w", prg, err)
			}
			out, err := normalizeEvent(raw)
			if err != nil {
				return fmt.Errorf("source: events of program %s: %w", prg, err)
			}
			n++
			// The export has no total without an extra counting request per programme: the planned total
			// grows with the events read, and the last batch carries the step's exact count.
			e.pub.planned++
			if packer.Add(out) {
				if err := e.pub.add(ctx, EventsResource, packer.Take()); err != nil {
					return err
				}
			}
		}
		e.log.Info("events read", slog.String("program", prg), slog.Int("events", n))
	}
	return e.pub.add(ctx, EventsResource, packer.Take())
}

// programQuery selects a programme's events or tracked entities in the configured org units and their subtrees
// (none: every org unit the account can read, as the client's version table asks for it), changed since since
// when given. Extraction, change probes and verification read through it, so they cover the same records.
func programQuery(program string, orgUnits []string, since string) dhis2.TrackerQuery {
	q := dhis2.TrackerQuery{Program: program, UpdatedAfter: since}
	if len(orgUnits) > 0 {
		q.OrgUnits, q.OrgUnitMode = orgUnits, "DESCENDANTS"
	}
	return q
}

// programsOfType lists the source's programs of a programType (WITHOUT_REGISTRATION for event programs,
// WITH_REGISTRATION for tracker programs), restricted to params.programs when given.
func (e *extraction) programsOfType(ctx context.Context, programType string) ([]string, error) {
	programs, err := programsOf(ctx, e.client, programType, splitList(e.req.GetParams()["programs"]))
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	return programs, nil
}

// programsOf lists a server's programs of a programType, restricted to wanted when given.
func programsOf(ctx context.Context, c *dhis2.Client, programType string, wanted []string) ([]string, error) {
	var out []string
	for raw, err := range c.ListObjects(ctx, "programs", dhis2.ListQuery{Fields: "id,programType", PageSize: 1000}) {
		if err != nil {
			return nil, fmt.Errorf("programs: %w", err)
		}
		var p struct {
			ID          string `json:"id"`
			ProgramType string `json:"programType"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("programs: a program is not JSON: %w", err)
		}
		if p.ProgramType != programType || (len(wanted) > 0 && !slices.Contains(wanted, p.ID)) {
			continue
		}
		out = append(out, p.ID)
	}
	return out, nil
}

// normalizeEvent drops the server-managed properties of an exported event and of its data values.
func normalizeEvent(raw json.RawMessage) (json.RawMessage, error) {
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("an event is not a JSON object: %w", err)
	}
	for _, f := range eventServerFields {
		delete(ev, f)
	}
	if dvs, ok := ev["dataValues"].([]any); ok {
		for _, dv := range dvs {
			if m, ok := dv.(map[string]any); ok {
				for _, f := range dataValueServerFields {
					delete(m, f)
				}
			}
		}
	}
	// An event programme's event has no enrollment of its own on the destination: DHIS2 attaches it to the
	// programme's single enrollment, whose UID differs between instances.
	delete(ev, "enrollment")
	delete(ev, "trackedEntity")
	if rel, ok := ev["relationships"].([]any); ok && len(rel) == 0 {
		delete(ev, "relationships")
	}
	return json.Marshal(ev)
}
