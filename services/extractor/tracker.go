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
// (the nested tracker payload of POST /api/tracker, docs.dhis2.org tracker "Request parameters"); relationships follow in batches of their own.
const (
	TrackedEntitiesResource = resource.TrackedEntities
	RelationshipsResource   = resource.Relationships
)

// DefaultTrackerPageSize is the number of tracked entities per export page and batch when the step gives
// none: tracker requests do best at 200–500 entities (docs/performance.md).
const DefaultTrackerPageSize = 200

// trackerFields asks for each tracked entity's attributes, its enrollments with their events, and its
// relationships: DHIS2 serves relationships only per entity (an unfiltered /api/tracker/relationships is a
// 400 in every version), so they are read with the entities instead of one request per entity.
const trackerFields = "*,enrollments[*,events[*]],relationships[*]"

// trackedEntityServerFields are the properties of tracked entities, enrollments and their attributes that
// DHIS2 manages itself (docs.dhis2.org 2.38 new-tracker "Changes in the API"): the destination sets its own. Programme ownership follows the
// enrollment's org unit on import, and relationships travel separately, after every tracked entity.
var trackedEntityServerFields = []string{"createdAt", "updatedAt", "createdBy", "updatedBy", "href", "orgUnitName",
	"storedBy", "created", "lastUpdated", "createdByUserInfo", "updatedByUserInfo", "lastUpdatedByUserInfo",
	"deleted", "programOwners", "relationships", "displayName"}

// tracker streams the tracked entities of the source's programmes with registration (params.programs narrows
// them), each with its enrollments and their events, from /api/tracker/trackedEntities, with
// updatedAfter=<params.since> on delta runs; then their relationships. A tracked entity enrolled in several
// programmes is sent once, with all its enrollments. Without configured org units the export asks for every
// org unit the user can read (ouMode=ACCESSIBLE on 2.36–2.40, which refuse a request with neither; the
// client's version table decides).
//
// Relationships come with the entities (fields=relationships), each once however many entities share it,
// and are published after every entity so that the destination holds both ends. DHIS2 has no updatedAfter
// on relationships: a delta run finds new ones through their entities, whose updatedAt moves when an
// originating relationship changes (docs tracker.md).
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
	rels := relationshipSet{seen: map[string]bool{}}
	for _, prg := range programs {
		q := programQuery(prg, orgUnits, params["since"])
		q.PageSize, q.Fields, q.Order = min(pageSize, maxEventsPageSize), trackerFields, "createdAt:asc"
		n := 0
		for raw, err := range e.client.ExportTracker(ctx, dhis2.TrackedEntities, q) {
			if err != nil {
				return fmt.Errorf("source: tracked entities of program %s: %w", prg, err)
			}
			if err := rels.addFrom(raw); err != nil {
				return fmt.Errorf("source: relationships of program %s: %w", prg, err)
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
		e.log.Info("tracked entities read", slog.String("program", prg), slog.Int("tracked_entities", n))
	}
	if err := e.pub.add(ctx, TrackedEntitiesResource, packer.Take()); err != nil {
		return err
	}
	return e.relationships(ctx, pageSize, rels.list)
}

// relationshipSet collects the relationships embedded in tracked entities, once each.
type relationshipSet struct {
	seen map[string]bool
	list []json.RawMessage
}

func (r *relationshipSet) addFrom(rawTE json.RawMessage) error {
	var te struct {
		Relationships []json.RawMessage `json:"relationships"`
	}
	if err := json.Unmarshal(rawTE, &te); err != nil {
		return fmt.Errorf("a tracked entity is not a JSON object: %w", err)
	}
	for _, raw := range te.Relationships {
		out, id, err := normalizeRelationship(raw)
		if err != nil {
			return err
		}
		if id != "" && r.seen[id] {
			continue
		}
		r.seen[id] = true
		r.list = append(r.list, out)
	}
	return nil
}

// relationships publishes the relationships read with the tracked entities, after every entity.
func (e *extraction) relationships(ctx context.Context, pageSize int, list []json.RawMessage) error {
	packer := batch.Packer{MaxItems: pageSize}
	for _, out := range list {
		e.pub.planned++
		if packer.Add(out) {
			if err := e.pub.add(ctx, RelationshipsResource, packer.Take()); err != nil {
				return err
			}
		}
	}
	e.log.Info("relationships read", slog.Int("relationships", len(list)))
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

// normalizeRelationship drops the server-managed properties of an exported relationship and reduces each
// side to its reference ({"trackedEntity":{"trackedEntity":"uid"}}): an export may embed the whole entity
// there. It returns the relationship's UID.
func normalizeRelationship(raw json.RawMessage) (json.RawMessage, string, error) {
	var rel map[string]any
	if err := json.Unmarshal(raw, &rel); err != nil {
		return nil, "", fmt.Errorf("a relationship is not a JSON object: %w", err)
	}
	dropKeys(rel, []string{"createdAt", "updatedAt", "createdAtClient", "updatedAtClient", "created", "lastUpdated",
		"href", "deleted", "relationshipName", "bidirectional"})
	for _, side := range []string{"from", "to"} {
		item, _ := rel[side].(map[string]any)
		for _, k := range []string{"trackedEntity", "enrollment", "event"} {
			ref, ok := item[k]
			if !ok {
				continue
			}
			id, _ := ref.(string)
			if m, isMap := ref.(map[string]any); isMap {
				id, _ = m[k].(string)
			}
			rel[side] = map[string]any{k: map[string]any{k: id}}
			break
		}
	}
	id, _ := rel["relationship"].(string)
	out, err := json.Marshal(rel)
	return out, id, err
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
