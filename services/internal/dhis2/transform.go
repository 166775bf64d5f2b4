package dhis2

import (
	"encoding/json"
	"slices"
	"strings"
)

// TransformMetadata converts one object of the collection plural, exported
// by a server of version from, into what a server of version to accepts. It
// returns the collection the object belongs to on the target (charts and
// event reports are renamed there) and keep=false when the target has no
// such collection. obj is not modified; out is a copy where rules changed it.
//
// The rules are data (metadataRules in transform_rules.go); this function
// only applies them in order.
func TransformMetadata(plural string, obj map[string]any, from, to Version) (newPlural string, out map[string]any, keep bool) {
	return TransformMetadataNoting(plural, obj, from, to, nil)
}

// TransformMetadataNoting is TransformMetadata that also calls note with the
// name of every rule that changed the object: renamed its collection, dropped
// it, or added or removed properties. Rules that leave the object's shape as
// it was are not noted.
func TransformMetadataNoting(plural string, obj map[string]any, from, to Version, note func(rule string)) (newPlural string, out map[string]any, keep bool) {
	src, dst := CapabilitiesFor(from), CapabilitiesFor(to)
	out = obj
	copied := false
	for _, rule := range metadataRules {
		if !rule.matches(plural, src, dst) {
			continue
		}
		if !copied {
			out = deepCopyMap(obj)
			copied = true
		}
		var before string
		if note != nil {
			before = rule.shapeOf(out)
		}
		was := plural
		var ok bool
		plural, ok = rule.apply(plural, out)
		if note != nil && (!ok || plural != was || rule.shapeOf(out) != before) {
			note(rule.name)
		}
		if !ok {
			return plural, nil, false
		}
	}
	if !dst.ResourceExists(plural) {
		if note != nil {
			note(plural + " do not exist on DHIS2 " + to.String() + ": not copied")
		}
		return plural, nil, false
	}
	for _, f := range removedFields {
		if f.plural == plural && !f.present.contains(dst.effective()) {
			if _, found := out[f.field]; found {
				if !copied {
					out = deepCopyMap(obj)
					copied = true
				}
				delete(out, f.field)
				if note != nil {
					note(plural + "." + f.field + " does not exist on DHIS2 " + to.String() + ": dropped")
				}
			}
		}
	}
	return plural, out, true
}

// shape is the sorted list of an object's top-level properties.
func shape(obj map[string]any) string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// shapeOf is what a rule's change is detected on: the top-level properties,
// or the whole object for rules that edit nested objects.
func (r metadataRule) shapeOf(obj map[string]any) string {
	if r.nested {
		b, _ := json.Marshal(obj)
		return string(b)
	}
	return shape(obj)
}

// metadataRule is one row of the metadata transform table.
type metadataRule struct {
	name string
	// nested: the rule edits nested objects (dashboard items, map views).
	nested bool
	// plurals limits the rule to these collections; nil means all.
	plurals []string
	// The rule applies when the target has (or lacks) a feature or
	// collection; empty conditions always hold.
	targetHas, targetLacks Feature
	targetLacksResource    string
	// apply edits obj in place and returns the target collection, or false
	// to drop the object.
	apply func(plural string, obj map[string]any) (string, bool)
}

func (r metadataRule) matches(plural string, _, dst Capabilities) bool {
	if r.plurals != nil && !slices.Contains(r.plurals, plural) {
		return false
	}
	if r.targetHas != "" && !dst.Has(r.targetHas) {
		return false
	}
	if r.targetLacks != "" && dst.Has(r.targetLacks) {
		return false
	}
	if r.targetLacksResource != "" && dst.ResourceExists(r.targetLacksResource) {
		return false
	}
	return true
}

// removedField is a property that exists on a collection only in the
// versions of present.
type removedField struct {
	plural, field string
	present       span
}

// TransformTracker converts one tracker object (in the /api/tracker format)
// from a server of version from to what a server of version to accepts.
func TransformTracker(kind TrackerKind, obj map[string]any, from, to Version) map[string]any {
	dst := CapabilitiesFor(to)
	out := deepCopyMap(obj)
	for _, rule := range trackerRules {
		if rule.kind != "" && rule.kind != kind {
			continue
		}
		if rule.targetLacks != "" && dst.Has(rule.targetLacks) {
			continue
		}
		rule.apply(out)
	}
	return out
}

type trackerRule struct {
	name        string
	kind        TrackerKind // empty: all kinds
	targetLacks Feature
	apply       func(obj map[string]any)
}

// LegacyToTracker renames the fields of a legacy /api/events,
// /api/enrollments or /api/trackedEntityInstances object to the
// /api/tracker names (docs.dhis2.org 2.38 new-tracker "Changes in the API").
func LegacyToTracker(kind TrackerKind, obj map[string]any) map[string]any {
	out := deepCopyMap(obj)
	renameTree(out, legacyRenames[kind], false)
	return out
}

// TrackerToLegacy is the inverse of LegacyToTracker.
func TrackerToLegacy(kind TrackerKind, obj map[string]any) map[string]any {
	out := deepCopyMap(obj)
	renameTree(out, legacyRenames[kind], true)
	return out
}

// renameSet renames keys of an object and of objects nested under keys.
type renameSet struct {
	fields map[string]string // legacy name -> tracker name
	nested map[string]*renameSet
	// convert adjusts values whose shape changed (e.g. assignedUser).
	convert func(obj map[string]any, inverse bool)
}

func renameTree(obj map[string]any, rs *renameSet, inverse bool) {
	if rs == nil {
		return
	}
	for legacy, modern := range rs.fields {
		fromKey, toKey := legacy, modern
		if inverse {
			fromKey, toKey = modern, legacy
		}
		if v, ok := obj[fromKey]; ok {
			if _, exists := obj[toKey]; !exists {
				obj[toKey] = v
			}
			delete(obj, fromKey)
		}
	}
	if rs.convert != nil {
		rs.convert(obj, inverse)
	}
	for key, sub := range rs.nested {
		// The nested key may itself have been renamed in either direction.
		candidates := []string{key, rs.fields[key]}
		for legacy, modern := range rs.fields {
			if modern == key {
				candidates = append(candidates, legacy)
			}
		}
		for _, k := range candidates {
			switch v := obj[k].(type) {
			case []any:
				for _, it := range v {
					if m, ok := it.(map[string]any); ok {
						renameTree(m, sub, inverse)
					}
				}
			case map[string]any:
				renameTree(v, sub, inverse)
			}
		}
	}
}

func deepCopyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return deepCopyMap(t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}
