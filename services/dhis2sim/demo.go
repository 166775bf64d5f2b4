package dhis2sim

import (
	"encoding/json"
	"fmt"

	"github.com/dhis2sync/dhis2sync/services/dhis2sim/demodata"
)

// LoadDemo loads a demo dataset: the metadata through the same validation and normalisation as a
// POST /api/metadata (adapted to the simulated version, e.g. users get userCredentials before 2.38), then
// data values, events, tracked entities and relationships through the import paths, without the cost model.
func (s *Server) LoadDemo(g *demodata.Generator) error {
	md := g.Metadata()
	payload := make(map[string][]map[string]any, len(md))
	for plural, list := range md {
		if _, ok := s.schemas.Lookup(plural); !ok {
			continue // a type this version does not have
		}
		out := make([]map[string]any, 0, len(list))
		for _, o := range list {
			c := copyObj(o)
			if plural == "users" && !s.version.AtLeast(38) {
				nestUserCredentials(c)
			}
			out = append(out, c)
		}
		payload[plural] = out
	}
	s.replaceSeededAccounts(payload)
	p, _ := parseImportParams(nil, s.opts.Username)
	if rep := s.importMetadata(payload, p); rep.Status != "OK" {
		return fmt.Errorf("demo metadata: %w", reportError(rep))
	}
	const batch = 50_000
	set := &dvSet{}
	flush := func() error {
		if len(set.Values) == 0 {
			return nil
		}
		sum := s.importDataValues(set, dvOptions{ImportStrategy: "CREATE_AND_UPDATE"}, s.opts.Username)
		if len(sum.Conflicts) > 0 {
			c := sum.Conflicts[0]
			return fmt.Errorf("demo data values: %d conflicts, first %s %s", len(sum.Conflicts), c.Code, c.Value)
		}
		set.Values = set.Values[:0]
		return nil
	}
	for dv := range g.DataValues() {
		in := dvIn{DataElement: dv.DataElement, Period: dv.Period, OrgUnit: dv.OrgUnit,
			CategoryOptionCombo: dv.CategoryOptionCombo, AttributeOptionCombo: dv.AttributeOptionCombo,
			Value: jsonString(dv.Value), StoredBy: dv.StoredBy, Created: dv.Created, LastUpdated: dv.LastUpdated}
		if dv.Comment != "" {
			c := dv.Comment
			in.Comment = &c
		}
		f := dv.FollowUp
		in.FollowUp = &f
		set.Values = append(set.Values, in)
		if len(set.Values) >= batch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	tp := trackerParams{ReportMode: "ERRORS", ImportMode: "COMMIT", ImportStrategy: "CREATE_AND_UPDATE", AtomicMode: "OBJECT"}
	importBatch := func(kind string, items []any) error {
		if len(items) == 0 {
			return nil
		}
		raw, err := json.Marshal(map[string]any{kind: items})
		if err != nil {
			return err
		}
		var payload map[string]any
		if err := json.Unmarshal(raw, &payload); err != nil {
			return err
		}
		rep := s.importTracker(flattenTracker(payload), tp)
		if len(rep.errors) > 0 {
			e := rep.errors[0]
			return fmt.Errorf("demo %s: %d errors, first %s %s", kind, len(rep.errors), e.ErrorCode, e.Message)
		}
		return nil
	}
	var items []any
	for te := range g.TrackedEntities() {
		items = append(items, te)
		if len(items) == 1000 {
			if err := importBatch("trackedEntities", items); err != nil {
				return err
			}
			items = items[:0]
		}
	}
	if err := importBatch("trackedEntities", items); err != nil {
		return err
	}
	items = items[:0]
	for ev := range g.Events() {
		items = append(items, ev)
		if len(items) == 2000 {
			if err := importBatch("events", items); err != nil {
				return err
			}
			items = items[:0]
		}
	}
	if err := importBatch("events", items); err != nil {
		return err
	}
	items = items[:0]
	for r := range g.Relationships() {
		items = append(items, r)
	}
	return importBatch("relationships", items)
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// nestUserCredentials turns a flat (2.38+) user into the 2.36/2.37 shape with userCredentials.
func nestUserCredentials(u map[string]any) {
	if _, ok := u["userCredentials"]; ok {
		return
	}
	uc := map[string]any{}
	for _, k := range []string{"username", "userRoles", "password", "disabled", "openId", "ldapId",
		"externalAuth", "accountExpiry", "catDimensionConstraints", "cogsDimensionConstraints"} {
		if v, ok := u[k]; ok {
			uc[k] = v
			delete(u, k)
		}
	}
	u["userCredentials"] = uc
}

// replaceSeededAccounts lets the demo's own "admin" account and Superuser role replace the seeded ones (the
// demo is a whole database, with its own UIDs for them): a seeded object that the demo brings under another
// UID would be a second "admin" or "Superuser" (E5003). A seeded account that stays (another --username) is
// given the demo's Superuser role, so that no user is left holding a role that no longer exists.
func (s *Server) replaceSeededAccounts(payload map[string][]map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range payload["users"] {
		name, _ := u["username"].(string)
		if uc, ok := u["userCredentials"].(map[string]any); ok && name == "" {
			name, _ = uc["username"].(string)
		}
		if name == s.opts.Username {
			s.meta.forget("users", adminUID)
		}
	}
	for _, r := range payload["userRoles"] {
		demoRole, _ := r["id"].(string)
		if r["name"] != "Superuser" || demoRole == adminRoleUID {
			continue
		}
		s.meta.forget("userRoles", adminRoleUID)
		for _, u := range s.meta.list("users") {
			holder := u
			if uc, ok := u["userCredentials"].(map[string]any); ok {
				holder = uc
			}
			for _, ref := range asList(holder["userRoles"]) {
				if m, ok := ref.(map[string]any); ok && m["id"] == adminRoleUID {
					m["id"] = demoRole
				}
			}
		}
	}
}
