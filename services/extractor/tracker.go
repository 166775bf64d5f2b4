package extractor

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/dhis2sync/dhis2sync/services/internal/batch"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// Resources of tracker-programme batches: tracked entities carry their enrollments and those their events
// (the nested tracker payload, FACTS.md §6.2); relationships follow in batches of their own.
const (
	TrackedEntitiesResource = resource.TrackedEntities
	RelationshipsResource   = resource.Relationships
)

// DefaultTrackerPageSize is the number of tracked entities per export page and batch when the step gives
// none: tracker requests do best at 200–500 entities (PERFORMANCE.md, tracker).
const DefaultTrackerPageSize = 200

// trackerFields asks for each tracked entity's attributes and its enrollments with their events.
const trackerFields = "*,enrollments[*,events[*]]"

// trackedEntityServerFields are the properties of tracked entities, enrollments and their attributes that
// DHIS2 manages itself (FACTS.md §6.8): the destination sets its own. Programme ownership follows the
// enrollment's org unit on import, and relationships travel separately, after every tracked entity.
var trackedEntityServerFields = []string{"createdAt", "updatedAt", "createdBy", "updatedBy", "href", "orgUnitName",
	"storedBy", "created", "lastUpdated", "createdByUserInfo", "updatedByUserInfo", "lastUpdatedByUserInfo",
	"deleted", "programOwners", "relationships", "displayName"}

// tracker streams the tracked entities of the source's programmes with registration (params.programs narrows
// them), each with its enrollments and their events, from /api/tracker/trackedEntities, with
// updatedAfter=<params.since> on delta runs; then every relationship. A tracked entity enrolled in several
// programmes is sent once, with all its enrollments.
func (e *extraction) tracker(ctx context.Context) error {
	programs, err := e.programsOfType(ctx, "WITH_REGISTRATION")
	if err != nil {
		return err
	}
	pageSize := int(e.req.GetPageSize())
	if pageSize <= 0 {
		pageSize = DefaultTrackerPageSize
	}
	params := e.req.GetParams()
	orgUnits := splitList(params["orgUnits"])
	packer := batch.Packer{MaxItems: pageSize}
	seen := map[string]bool{}
	for _, prg := range programs {
		q := dhis2.TrackerQuery{Program: prg, UpdatedAfter: params["since"], PageSize: min(pageSize, maxEventsPageSize),
			Fields: trackerFields, Order: "createdAt:asc"}
		if len(orgUnits) > 0 {
			q.OrgUnits, q.OrgUnitMode = orgUnits, "DESCENDANTS"
		}
		n := 0
		for raw, err := range e.client.ExportTracker(ctx, dhis2.TrackedEntities, q) {
			if err != nil {
				return fmt.Errorf("source: tracked entities of program %s: %w", prg, err)
			}
			out, id, err := normalizeTrackedEntity(raw)
			if err != nil {
				return fmt.Errorf("source: tracked entities of program %s: %w", prg, err)
			}
			if id != "" && seen[id] {
				continue
			}
			seen[id] = true
			n++
			e.pub.planned++
			if packer.Add(out) {
				if err := e.pub.add(ctx, TrackedEntitiesResource, packer.Take()); err != nil {
					return err
				}
			}
		}
		e.log.Info("tracked entities read", slog.String("program", prg), slog.Int("trackedEntities", n))
	}
	if err := e.pub.add(ctx, TrackedEntitiesResource, packer.Take()); err != nil {
		return err
	}
	return e.relationships(ctx, pageSize)
}

// relationships streams the source's relationships after every tracked entity, so that the destination holds
// both ends when it imports them. The export is unfiltered, as the simulator and 2.36–2.40 serve it; DHIS2
// 2.41+ asks for a trackedEntity, enrollment or event filter (see the README's limits).
func (e *extraction) relationships(ctx context.Context, pageSize int) error {
	packer := batch.Packer{MaxItems: pageSize}
	q := dhis2.TrackerQuery{UpdatedAfter: e.req.GetParams()["since"], PageSize: min(pageSize, maxEventsPageSize)}
	n := 0
	for raw, err := range e.client.ExportTracker(ctx, dhis2.Relationships, q) {
		if err != nil {
			return fmt.Errorf("source: relationships: %w", err)
		}
		out, err := normalizeRelationship(raw)
		if err != nil {
			return fmt.Errorf("source: relationships: %w", err)
		}
		n++
		e.pub.planned++
		if packer.Add(out) {
			if err := e.pub.add(ctx, RelationshipsResource, packer.Take()); err != nil {
				return err
			}
		}
	}
	e.log.Info("relationships read", slog.Int("relationships", n))
	return e.pub.add(ctx, RelationshipsResource, packer.Take())
}

// normalizeTrackedEntity drops the server-managed properties of an exported tracked entity, of its
// attributes, enrollments (and their attributes) and of their events; it returns the entity's UID.
func normalizeTrackedEntity(raw json.RawMessage) (json.RawMessage, string, error) {
	var te map[string]any
	if err := json.Unmarshal(raw, &te); err != nil {
		return nil, "", fmt.Errorf("a tracked entity is not a JSON object: %w", err)
	}
	dropKeys(te, trackedEntityServerFields)
	dropInList(te["attributes"], dataValueServerFields)
	ens, _ := te["enrollments"].([]any)
	for _, x := range ens {
		en, ok := x.(map[string]any)
		if !ok {
			continue
		}
		dropKeys(en, trackedEntityServerFields)
		dropInList(en["attributes"], dataValueServerFields)
		evs, _ := en["events"].([]any)
		for _, y := range evs {
			ev, ok := y.(map[string]any)
			if !ok {
				continue
			}
			dropKeys(ev, eventServerFields)
			dropKeys(ev, []string{"deleted", "relationships"})
			dropInList(ev["dataValues"], dataValueServerFields)
		}
	}
	id, _ := te["trackedEntity"].(string)
	out, err := json.Marshal(te)
	return out, id, err
}

// normalizeRelationship drops the server-managed properties of an exported relationship.
func normalizeRelationship(raw json.RawMessage) (json.RawMessage, error) {
	var rel map[string]any
	if err := json.Unmarshal(raw, &rel); err != nil {
		return nil, fmt.Errorf("a relationship is not a JSON object: %w", err)
	}
	dropKeys(rel, []string{"createdAt", "updatedAt", "createdAtClient", "updatedAtClient", "created", "lastUpdated",
		"href", "deleted", "relationshipName", "bidirectional"})
	return json.Marshal(rel)
}

func dropKeys(obj map[string]any, keys []string) {
	for _, k := range keys {
		delete(obj, k)
	}
}

// dropInList drops keys from each object of a JSON list.
func dropInList(list any, keys []string) {
	items, _ := list.([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			dropKeys(m, keys)
		}
	}
}
