package dhis2sim

import (
	"fmt"
	"strings"
)

// fieldNode is one item of a DHIS2 field filter (docs@2.40 metadata.md "Metadata field filter"):
// "name", "!name", "name[sub,fields]", presets "*", ":all", ":owner", ":identifiable", ":nameable",
// ":persisted", and transformers "name~rename(x)" (rename is applied, other transformers are ignored).
type fieldNode struct {
	name     string
	exclude  bool
	rename   string
	children []*fieldNode // nil: leaf
}

// parseFields parses a field filter expression.
func parseFields(expr string) ([]*fieldNode, error) {
	nodes, rest, err := parseFieldList(strings.TrimSpace(expr))
	if err != nil {
		return nil, err
	}
	if rest != "" {
		return nil, fmt.Errorf("unbalanced ']' in fields %q", expr)
	}
	return nodes, nil
}

func parseFieldList(s string) ([]*fieldNode, string, error) {
	var out []*fieldNode
	for s != "" {
		if s[0] == ']' {
			return out, s, nil
		}
		if s[0] == ',' {
			s = s[1:]
			continue
		}
		i := strings.IndexAny(s, ",[]")
		tok := s
		if i >= 0 {
			tok, s = s[:i], s[i:]
		} else {
			s = ""
		}
		n := &fieldNode{}
		tok = strings.TrimSpace(tok)
		if strings.HasPrefix(tok, "!") {
			n.exclude, tok = true, tok[1:]
		}
		if name, tr, ok := strings.Cut(tok, "~"); ok {
			tok = name
			if strings.HasPrefix(tr, "rename(") && strings.HasSuffix(tr, ")") {
				n.rename = tr[len("rename(") : len(tr)-1]
			}
		}
		n.name = tok
		if s != "" && s[0] == '[' {
			kids, rest, err := parseFieldList(s[1:])
			if err != nil {
				return nil, "", err
			}
			if rest == "" || rest[0] != ']' {
				return nil, "", fmt.Errorf("missing ']' after %q", tok)
			}
			s = rest[1:]
			if kids == nil {
				kids = []*fieldNode{}
			}
			n.children = kids
		}
		if n.name != "" {
			out = append(out, n)
		}
	}
	return out, "", nil
}

// projector applies field filters to stored objects of one simulated version.
type projector struct {
	s    *Server
	base string // absolute base URL for href
	// resolve looks up referenced objects; nil disables resolution (then references show only their id).
	skipSharing bool
}

var identifiableFields = []string{"id", "code", "name", "created", "lastUpdated", "href", "displayName",
	"createdBy", "lastUpdatedBy"}
var nameableFields = append(append([]string{}, identifiableFields...), "shortName", "description",
	"displayShortName", "displayDescription")

var legacySharingFields = []string{"publicAccess", "externalAccess", "userAccesses", "userGroupAccesses", "user"}

// project returns the selected fields of obj (of type schema, which may be nil for embedded values).
// Callers hold s.mu for reading.
func (p *projector) project(obj map[string]any, schema *Schema, nodes []*fieldNode) map[string]any {
	full := p.expand(obj, schema)
	out := map[string]any{}
	include := func(k string) {
		if v, ok := full[k]; ok {
			out[k] = v
		}
	}
	for _, n := range nodes {
		if n.exclude {
			continue
		}
		switch n.name {
		case "*", ":all", ":persisted":
			for k := range full {
				include(k)
			}
		case ":owner":
			for k := range full {
				if schema == nil || p.isOwnerOutput(schema, k) {
					include(k)
				}
			}
		case ":identifiable":
			for _, k := range identifiableFields {
				include(k)
			}
		case ":nameable":
			for _, k := range nameableFields {
				include(k)
			}
		default:
			v, ok := full[n.name]
			if !ok {
				continue
			}
			key := n.name
			if n.rename != "" {
				key = n.rename
			}
			if n.children != nil {
				v = p.projectNested(v, schema, n.name, n.children)
			}
			out[key] = v
		}
	}
	for _, n := range nodes {
		if n.exclude {
			delete(out, n.name)
		}
	}
	if p.skipSharing {
		delete(out, "sharing")
		for _, k := range legacySharingFields {
			delete(out, k)
		}
	}
	return out
}

// isOwnerOutput decides whether a stored or derived key belongs to fields=:owner.
func (p *projector) isOwnerOutput(schema *Schema, k string) bool {
	// The legacy sharing fields are not owner properties in the 2.36–2.40 schemas, yet real exports of those
	// versions carry them next to sharing (S:metadata_export_who_mal_hist_2.36.1.json).
	if !p.s.version.AtLeast(41) && schema.Shareable {
		switch k {
		case "publicAccess", "userAccesses", "userGroupAccesses", "externalAccess":
			return true
		}
	}
	if pr, ok := schema.Properties[k]; ok {
		return pr.Owner
	}
	return false
}

func (p *projector) projectNested(v any, schema *Schema, prop string, kids []*fieldNode) any {
	var klass string
	if schema != nil {
		if pr, ok := schema.Properties[prop]; ok {
			klass = pr.Klass
		}
	}
	one := func(e any) any {
		m, ok := e.(map[string]any)
		if !ok {
			return e
		}
		if id := refID(m); id != "" {
			if o, plural, ok := p.s.meta.lookup(id); ok {
				sch, _ := p.s.schemas.Lookup(plural)
				return p.project(o, sch, kids)
			}
		}
		var sch *Schema
		if klass != "" {
			sch, _ = p.s.schemas.ByKlass(klass)
		}
		return p.project(m, sch, kids)
	}
	if list, ok := v.([]any); ok {
		out := make([]any, len(list))
		for i, e := range list {
			out[i] = one(e)
		}
		return out
	}
	return one(v)
}

// expand returns the stored object plus the server-computed properties DHIS2 adds on read: href,
// displayName and friends, legacy sharing fields (up to 2.40) and the userCredentials DTO (2.38–2.41).
func (p *projector) expand(obj map[string]any, schema *Schema) map[string]any {
	if schema == nil {
		return obj
	}
	full := make(map[string]any, len(obj)+6)
	for k, v := range obj {
		full[k] = v
	}
	id, _ := obj["id"].(string)
	if id != "" && schema.Endpoint {
		full["href"] = p.base + "/api/" + schema.Plural + "/" + id
	}
	name, hasName := obj["name"].(string)
	if schema.Plural == "users" {
		fn, _ := obj["firstName"].(string)
		sn, _ := obj["surname"].(string)
		name, hasName = strings.TrimSpace(fn+" "+sn), true
		full["name"] = name
	}
	if hasName {
		full["displayName"] = name
		if _, ok := schema.Properties["formName"]; ok {
			if fn, ok := obj["formName"].(string); ok && fn != "" {
				full["displayFormName"] = fn
			} else {
				full["displayFormName"] = name
			}
		}
	}
	if sn, ok := obj["shortName"].(string); ok {
		full["displayShortName"] = sn
	}
	if d, ok := obj["description"].(string); ok {
		full["displayDescription"] = d
	}
	if schema.Shareable && !p.s.version.AtLeast(41) {
		addLegacySharing(full)
	}
	if raw, ok := obj["rawPeriods"].([]any); ok && p.s.version.AtLeast(39) {
		if _, has := schema.Properties["relativePeriods"]; has {
			full["relativePeriods"] = relativePeriodsFromRaw(raw)
		}
	}
	if schema.Plural == "users" && p.s.version.AtLeast(38) && !p.s.version.AtLeast(42) {
		uc := map[string]any{"id": id}
		for _, k := range []string{"username", "userRoles", "disabled", "externalAuth", "openId", "ldapId",
			"accountExpiry", "catDimensionConstraints", "cogsDimensionConstraints", "lastLogin"} {
			if v, ok := obj[k]; ok {
				uc[k] = v
			}
		}
		full["userCredentials"] = uc
	}
	return full
}

// addLegacySharing derives publicAccess/userAccesses/userGroupAccesses/externalAccess from the sharing
// object, as 2.36–2.40 return both forms (docs/dhis2-versions.md, 2.36 and 2.41 rows).
func addLegacySharing(full map[string]any) {
	sh, ok := full["sharing"].(map[string]any)
	if !ok {
		return
	}
	if pub, ok := sh["public"].(string); ok {
		full["publicAccess"] = pub
	}
	if ext, ok := sh["external"].(bool); ok {
		full["externalAccess"] = ext
	}
	conv := func(key, idKey string) []any {
		out := []any{}
		if m, ok := sh[key].(map[string]any); ok {
			for id, a := range m {
				am, _ := a.(map[string]any)
				e := map[string]any{"id": id, idKey: id}
				if am != nil {
					e["access"] = am["access"]
				}
				out = append(out, e)
			}
		}
		return out
	}
	full["userAccesses"] = conv("users", "userUid")
	full["userGroupAccesses"] = conv("userGroups", "userGroupUid")
	if owner, ok := sh["owner"].(string); ok && owner != "" {
		full["user"] = ref(owner)
	}
}

// sharingFromLegacy builds the sharing object from legacy fields when a payload only has those.
func sharingFromLegacy(o map[string]any) map[string]any {
	sh := map[string]any{"external": false, "users": map[string]any{}, "userGroups": map[string]any{}}
	if pub, ok := o["publicAccess"].(string); ok {
		sh["public"] = pub
	}
	if ext, ok := o["externalAccess"].(bool); ok {
		sh["external"] = ext
	}
	if u := refID(o["user"]); u != "" {
		sh["owner"] = u
	}
	for _, pair := range [][2]string{{"userAccesses", "users"}, {"userGroupAccesses", "userGroups"}} {
		list, _ := o[pair[0]].([]any)
		m := sh[pair[1]].(map[string]any)
		for _, e := range list {
			em, _ := e.(map[string]any)
			id, _ := em["id"].(string)
			if id == "" {
				id, _ = em["userUid"].(string)
			}
			if id == "" {
				id, _ = em["userGroupUid"].(string)
			}
			if id != "" {
				m[id] = map[string]any{"id": id, "access": em["access"]}
			}
		}
	}
	return sh
}
