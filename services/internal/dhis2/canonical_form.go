package dhis2

// VersionIndependent rewrites an object, as some DHIS2 version holds it,
// into one form that does not depend on the version, for comparing copies
// made across versions: sharing as the sharing object only (the legacy
// fields and the "user" owner folded in), periods as the relativePeriods
// object of the true periods plus fixed periods (rawPeriods folded in),
// visualization axes as axes[], dashboard items pointing at event
// visualizations. It edits obj in place.
func VersionIndependent(plural string, obj map[string]any) {
	canonicalSharing(obj)
	switch plural {
	case "dashboards":
		dashboardItemsToEventVisualization(plural, obj)
	case "visualizations":
		flatAxesToAxes(plural, obj)
	}
	for _, p := range analyticalPlurals {
		if p == plural {
			relativePeriodsObject(plural, obj)
			dropRawPeriods(plural, obj)
			for _, h := range periodHolders(plural, obj) {
				if rel, ok := h["relativePeriods"].(map[string]any); ok {
					for k, v := range rel {
						if v != true {
							delete(rel, k)
						}
					}
					if len(rel) == 0 {
						delete(h, "relativePeriods")
					}
				}
				if list, ok := h["periods"].([]any); ok && len(list) == 0 {
					delete(h, "periods")
				}
			}
		}
	}
}

// canonicalSharing keeps only {"owner","external","public","users","userGroups"}
// with {id, access} entries.
func canonicalSharing(obj map[string]any) {
	if !hasSharing(obj) {
		delete(obj, "user")
		return
	}
	sh, ok := obj["sharing"].(map[string]any)
	if !ok {
		sh = legacyToSharing(obj)
	}
	if owner, _ := sh["owner"].(string); owner == "" {
		if u, ok := obj["user"].(map[string]any); ok {
			if id, ok := u["id"].(string); ok {
				sh["owner"] = id
			}
		}
	}
	out := map[string]any{"external": sh["external"] == true}
	if v, ok := sh["owner"].(string); ok && v != "" {
		out["owner"] = v
	}
	if v, ok := sh["public"].(string); ok {
		out["public"] = v
	}
	for _, key := range []string{"users", "userGroups"} {
		m, _ := sh[key].(map[string]any)
		clean := make(map[string]any, len(m))
		for id, e := range m {
			access := ""
			if em, ok := e.(map[string]any); ok {
				access, _ = em["access"].(string)
			}
			clean[id] = map[string]any{"id": id, "access": access}
		}
		out[key] = clean
	}
	obj["sharing"] = out
	for _, f := range legacySharingFields {
		delete(obj, f)
	}
	delete(obj, "user")
}
