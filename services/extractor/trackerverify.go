package extractor

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	extractorv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/extractor/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
	"github.com/dhis2sync/dhis2sync/services/internal/resource"
)

// Event and tracker verification checks are named "<resource>:<group>", e.g. "events:<program>:<stage>:<yyyyMM>".

// trackerRecords are the records of one kind read from one side, by UID: their check group and their digest
// (the SHA-256 of their normalised JSON, with a hash per property for field-level differences).
type trackerRecords map[string]trackerRecord

type trackerRecord struct {
	group string
	d     digest
}

// trackerSide holds what verification read of one side's events and tracker data.
type trackerSide struct {
	events, enrollments, trackedEntities, relationships trackerRecords
}

func newTrackerSide() *trackerSide {
	return &trackerSide{events: trackerRecords{}, enrollments: trackerRecords{}, trackedEntities: trackerRecords{},
		relationships: trackerRecords{}}
}

// What verification compares of each kind of tracker record: what a person entered or DHIS2 needs to place the
// record, in a form every version 2.36–2.42 exports alike. Server-managed properties (created/updated times and
// users, completedAt, which DHIS2 sets on import), display properties and version-specific shapes are left out.
var (
	trackedEntityProps = []string{"trackedEntity", "trackedEntityType", "orgUnit", "inactive", "potentialDuplicate", "geometry"}
	enrollmentProps    = []string{"enrollment", "trackedEntity", "program", "orgUnit", "status", "enrolledAt", "occurredAt", "followUp", "geometry"}
	eventProps         = []string{"event", "enrollment", "program", "programStage", "orgUnit", "status", "occurredAt", "scheduledAt",
		"attributeOptionCombo", "followUp", "geometry"}
	relationshipProps = []string{"relationship", "relationshipType", "from", "to"}
)

// addTrackedEntity records an exported tracked entity with its enrollments and their events: one record for
// the entity, one per enrollment, one per event. The entity's attributes are those it holds itself and those
// its enrollments list (2.36–2.40 list programme attributes under the enrollment, 2.41+ under the entity).
func (s *trackerSide) addTrackedEntity(te map[string]any) {
	attrs := map[string]any{}
	collectValues(attrs, te["attributes"], "attribute", "attribute ")
	ens, _ := te["enrollments"].([]any)
	for _, x := range ens {
		en, ok := x.(map[string]any)
		if !ok {
			continue
		}
		collectValues(attrs, en["attributes"], "attribute", "attribute ")
		evs, _ := en["events"].([]any)
		rec := pick(en, enrollmentProps)
		if rec["trackedEntity"] == nil {
			rec["trackedEntity"] = te["trackedEntity"]
		}
		eid, _ := en["enrollment"].(string)
		prg, _ := en["program"].(string)
		s.enrollments[eid] = trackerRecord{group: prg + ":" + month(en, "enrolledAt"), d: digestOf(resource.Enrollments, rec)}
		for _, y := range evs {
			if ev, ok := y.(map[string]any); ok {
				s.addEvent(ev)
			}
		}
	}
	rec := pick(te, trackedEntityProps)
	maps.Copy(rec, attrs)
	id, _ := te["trackedEntity"].(string)
	typ, _ := te["trackedEntityType"].(string)
	s.trackedEntities[id] = trackerRecord{group: typ, d: digestOf(resource.TrackedEntities, rec)}
}

// addEvent records an exported event with its data values, grouped by programme, stage and the month it
// occurred (or was scheduled).
func (s *trackerSide) addEvent(ev map[string]any) {
	rec := pick(ev, eventProps)
	collectValues(rec, ev["dataValues"], "dataElement", "data value ")
	id, _ := ev["event"].(string)
	prg, _ := ev["program"].(string)
	stage, _ := ev["programStage"].(string)
	s.events[id] = trackerRecord{group: prg + ":" + stage + ":" + month(ev, "occurredAt", "scheduledAt"), d: digestOf(resource.Events, rec)}
}

// addRelationship records an exported relationship, each side reduced to the UID it links, grouped by type.
func (s *trackerSide) addRelationship(rel map[string]any) {
	rec := pick(rel, relationshipProps)
	for _, side := range []string{"from", "to"} {
		rec[side] = relationshipEnd(rel[side])
	}
	id, _ := rel["relationship"].(string)
	typ, _ := rel["relationshipType"].(string)
	s.relationships[id] = trackerRecord{group: typ, d: digestOf(resource.Relationships, rec)}
}

// pick copies the listed properties of a record, with dates cut to the second (versions differ in
// milliseconds and zone suffixes) and DHIS2's older spelling "followup" read as "followUp".
func pick(obj map[string]any, props []string) map[string]any {
	out := make(map[string]any, len(props))
	for _, p := range props {
		v, ok := obj[p]
		if !ok && p == "followUp" {
			v, ok = obj["followup"]
		}
		if !ok || v == nil {
			continue
		}
		if s, isString := v.(string); isString && strings.HasSuffix(p, "At") {
			v = secondOf(s)
		}
		out[p] = v
	}
	return out
}

// secondOf cuts a DHIS2 timestamp to "2006-01-02T15:04:05".
func secondOf(s string) string {
	if len(s) >= 19 {
		return s[:19]
	}
	return s
}

// collectValues adds each attribute or data value of a list ({"attribute"|"dataElement", "value"}) as its own
// property, "<prefix><uid>", so that a difference names the attribute or data element that differs.
func collectValues(into map[string]any, list any, key, prefix string) {
	items, _ := list.([]any)
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			if k, _ := m[key].(string); k != "" {
				into[prefix+k] = m["value"]
			}
		}
	}
}

// relationshipEnd is the UID a side of a relationship links ("trackedEntity:<uid>", "enrollment:<uid>",
// "event:<uid>"), whether the export embeds the object or only its reference.
func relationshipEnd(side any) string {
	item, _ := side.(map[string]any)
	for _, k := range []string{"trackedEntity", "enrollment", "event"} {
		switch ref := item[k].(type) {
		case string:
			return k + ":" + ref
		case map[string]any:
			id, _ := ref[k].(string)
			return k + ":" + id
		}
	}
	return ""
}

// month is the yyyyMM of the first of the date properties the record has, or "none".
func month(obj map[string]any, props ...string) string {
	for _, p := range props {
		s, _ := obj[p].(string)
		if len(s) >= 7 {
			if t, err := time.Parse("2006-01", s[:7]); err == nil {
				return t.Format("200601")
			}
		}
	}
	return "none"
}

// compareTracker adds to resp one check per (kind, group) and the differences record by record.
func compareTracker(resp *extractorv1.VerifyStepResponse, src, dst *trackerSide, destID string, limit int) {
	for _, k := range []struct {
		resource string
		src, dst trackerRecords
	}{
		{resource.TrackedEntities, src.trackedEntities, dst.trackedEntities},
		{resource.Enrollments, src.enrollments, dst.enrollments},
		{resource.Events, src.events, dst.events},
		{resource.Relationships, src.relationships, dst.relationships},
	} {
		compareRecords(resp, k.resource, k.src, k.dst, destID, limit)
	}
}

// compareRecords compares one kind of records: per group, counts and a hash over the sorted (UID, digest)
// pairs; then every record that is missing, extra or different, with the properties that differ.
func compareRecords(resp *extractorv1.VerifyStepResponse, resource string, src, dst trackerRecords, destID string, limit int) {
	type side struct{ src, dst []string }
	groups := map[string]*side{}
	at := func(g string) *side {
		if groups[g] == nil {
			groups[g] = &side{}
		}
		return groups[g]
	}
	diff := func(uid, kind, detail string) {
		resp.DifferenceCount++
		resp.Passed = false
		if len(resp.Differences) < limit {
			resp.Differences = append(resp.Differences, &extractorv1.Difference{Resource: resource, Uid: uid, Kind: kind,
				DestinationInstanceId: destID, Detail: detail})
		}
	}
	for _, uid := range sortedRecordKeys(src) {
		r := src[uid]
		at(r.group).src = append(at(r.group).src, fmt.Sprintf("%s|%x", uid, r.d.hash))
		w, ok := dst[uid]
		switch {
		case !ok:
			diff(uid, MissingOnDestination, r.group)
		case w.d.hash != r.d.hash:
			diff(uid, Changed, "properties: "+strings.Join(changedProps(r.d, w.d), ", "))
		}
	}
	for _, uid := range sortedRecordKeys(dst) {
		w := dst[uid]
		// A record is checked in the source's group, so that a moved record shows as one difference.
		g := w.group
		if r, ok := src[uid]; ok {
			g = r.group
		} else {
			diff(uid, ExtraOnDestination, w.group)
		}
		at(g).dst = append(at(g).dst, fmt.Sprintf("%s|%x", uid, w.d.hash))
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	slices.Sort(names)
	for _, g := range names {
		s := groups[g]
		check := &extractorv1.ResourceCheck{Resource: resource + ":" + g, DestinationInstanceId: destID,
			SourceCount: int64(len(s.src)), DestinationCount: int64(len(s.dst)), SourceHash: linesHash(s.src),
			DestinationHash: linesHash(s.dst)}
		check.Equal = check.SourceCount == check.DestinationCount && check.SourceHash == check.DestinationHash
		if !check.Equal {
			resp.Passed = false
		}
		resp.Resources = append(resp.Resources, check)
	}
	if len(names) == 0 {
		// Nothing on either side is still a check: the report says the kind was compared.
		resp.Resources = append(resp.Resources, &extractorv1.ResourceCheck{Resource: resource, DestinationInstanceId: destID,
			Equal: true, SourceHash: linesHash(nil), DestinationHash: linesHash(nil)})
	}
}

func sortedRecordKeys(m trackerRecords) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}

// decodeObject decodes one exported record.
func decodeObject(raw json.RawMessage) (map[string]any, error) {
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fmt.Errorf("a record is not a JSON object: %w", err)
	}
	return obj, nil
}

// verifyTrackerFields asks for what tracker verification compares: each tracked entity's attributes, its
// enrollments with their events, and its relationships (DHIS2 serves relationships only per entity).
const verifyTrackerFields = "*,enrollments[*,events[*]],relationships[*]"

// readTrackerSide reads one side's records of the given programmes: the events of event programmes
// (eventPrograms) and the tracked entities, enrollments, events and relationships of tracker programmes
// (trackerPrograms), over the configuration's org units (each with its subtree) or, with none, every org unit
// the account can read. Deleted records are not exported, so they count as absent.
func readTrackerSide(ctx context.Context, c *dhis2.Client, eventPrograms, trackerPrograms, orgUnits []string) (*trackerSide, error) {
	s := newTrackerSide()
	query := func(prg, fields string) dhis2.TrackerQuery {
		q := programQuery(prg, orgUnits, "")
		q.Fields, q.PageSize, q.Order = fields, verifyPageSize, "createdAt:asc"
		return q
	}
	for _, prg := range eventPrograms {
		for raw, err := range c.ExportTracker(ctx, dhis2.Events, query(prg, "*")) {
			if err != nil {
				return nil, fmt.Errorf("events of program %s: %w", prg, err)
			}
			ev, err := decodeObject(raw)
			if err != nil {
				return nil, fmt.Errorf("events of program %s: %w", prg, err)
			}
			s.addEvent(ev)
		}
	}
	for _, prg := range trackerPrograms {
		for raw, err := range c.ExportTracker(ctx, dhis2.TrackedEntities, query(prg, verifyTrackerFields)) {
			if err != nil {
				return nil, fmt.Errorf("tracked entities of program %s: %w", prg, err)
			}
			te, err := decodeObject(raw)
			if err != nil {
				return nil, fmt.Errorf("tracked entities of program %s: %w", prg, err)
			}
			rels, _ := te["relationships"].([]any)
			for _, r := range rels {
				if rel, ok := r.(map[string]any); ok {
					s.addRelationship(rel)
				}
			}
			// An entity enrolled in several programmes comes once per programme: one record, whole each time.
			s.addTrackedEntity(te)
		}
	}
	return s, nil
}

// verifyTrackerStep compares the events of event programmes (a step over "events" alone) or the tracker data of
// tracker programmes (a step over the tracker resources) of the configuration's programmes and org units, on
// the source and every destination, and adds its checks and differences to resp. Memory holds one digest per
// record of the source and of one destination at a time.
func (x *Extractor) verifyTrackerStep(ctx context.Context, req *extractorv1.VerifyStepRequest, src *dhis2.Client, limit int, resp *extractorv1.VerifyStepResponse) error {
	f := req.GetConfig().GetFilters()
	programType := "WITHOUT_REGISTRATION"
	if slices.Contains(req.GetResources(), resource.TrackedEntities) {
		programType = "WITH_REGISTRATION"
	}
	programs, err := programsOf(ctx, src, programType, f.GetProgramIds())
	if err != nil {
		return classed(ErrUnreachable, err, "source: %v", err)
	}
	eventPrograms, trackerPrograms := programs, []string(nil)
	if programType == "WITH_REGISTRATION" {
		eventPrograms, trackerPrograms = nil, programs
	}
	source, err := readTrackerSide(ctx, src, eventPrograms, trackerPrograms, f.GetOrgUnitIds())
	if err != nil {
		return classed(ErrUnreachable, err, "source: %v", err)
	}
	for _, dest := range req.GetDestinationInstanceIds() {
		dc, err := x.clients.Get(ctx, dest)
		if err != nil {
			return classed(ErrInstance, err, "%v", err)
		}
		target, err := readTrackerSide(ctx, dc, eventPrograms, trackerPrograms, f.GetOrgUnitIds())
		if err != nil {
			return classed(ErrUnreachable, err, "destination %s: %v", dest, err)
		}
		if programType == "WITHOUT_REGISTRATION" {
			compareRecords(resp, resource.Events, source.events, target.events, dest, limit)
		} else {
			compareTracker(resp, source, target, dest, limit)
		}
	}
	return nil
}
