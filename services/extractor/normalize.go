package extractor

import (
	"fmt"
	"log/slog"
	"slices"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

// serverManaged are properties DHIS2 sets itself on every write, or computes on read: copying them is
// meaningless (the destination overwrites them) and comparing them would always differ.
var serverManaged = []string{
	"created", "lastUpdated", "createdBy", "lastUpdatedBy", "href", "access", "favorites", "favorite",
	"displayName", "displayShortName", "displayDescription", "displayFormName", "displayNumeratorDescription",
	"displayDenominatorDescription", "displayInstructions", "lastLogin", "passwordLastUpdated",
}

// legacySharing are the pre-2.41 sharing properties (removed from responses in 2.41: release notes 2.41, docs/dhis2-versions.md).
var legacySharing = []string{"publicAccess", "externalAccess", "userAccesses", "userGroupAccesses"}

// defaultTypes are the collections holding DHIS2's generated "default" objects (the default category model).
var defaultTypes = []string{"categoryOptions", "categories", "categoryCombos", "categoryOptionCombos"}

// IsDefault reports whether obj is one of DHIS2's generated default objects.
func IsDefault(plural string, obj map[string]any) bool {
	name, _ := obj["name"].(string)
	return name == "default" && slices.Contains(defaultTypes, plural)
}

// Normalize turns a source object exported with fields=:owner into what dhis2sync copies: server-managed
// properties dropped and the sharing and user-reference policies applied. It edits obj in place and reports
// keep=false for objects that are not copied (DHIS2 defaults, unless the configuration includes them).
func (p Policies) Normalize(plural string, obj map[string]any) (keep bool) {
	if !p.IncludeDefaults && IsDefault(plural, obj) {
		return false
	}
	if why := p.SkipReason(plural, obj); why != "" {
		id, _ := obj["id"].(string)
		p.logger().Info("not copied: "+why, slog.String("resource", plural), slog.String("uid", id))
		return false
	}
	stripServerManaged(obj)
	p.applySharing(obj, true)
	p.applyUserReferences(obj, true)
	return true
}

// NormalizeDestination prepares an object read from a destination for comparison with a normalised source
// object: server-managed properties dropped and STRIP policies applied; MAP policies are not applied again
// (the destination already holds destination UIDs).
func (p Policies) NormalizeDestination(plural string, obj map[string]any) (keep bool) {
	if !p.IncludeDefaults && IsDefault(plural, obj) {
		return false
	}
	if p.SkipReason(plural, obj) != "" {
		return false
	}
	stripServerManaged(obj)
	p.applySharing(obj, false)
	p.applyUserReferences(obj, false)
	return true
}

// stripServerManaged drops the server-managed properties of an object and of its nested userCredentials
// (before 2.38 a user's lastLogin and passwordLastUpdated live there, and 2.38+ holds them on the user).
func stripServerManaged(obj map[string]any) {
	for _, k := range serverManaged {
		delete(obj, k)
	}
	if uc, ok := obj["userCredentials"].(map[string]any); ok {
		for _, k := range serverManaged {
			delete(uc, k)
		}
	}
}

func (p Policies) applySharing(obj map[string]any, mapping bool) {
	switch p.Sharing {
	case configv1.ReferencePolicy_REFERENCE_POLICY_STRIP:
		delete(obj, "sharing")
		for _, k := range legacySharing {
			delete(obj, k)
		}
	case configv1.ReferencePolicy_REFERENCE_POLICY_MAP:
		if !mapping {
			return
		}
		if sh, ok := obj["sharing"].(map[string]any); ok {
			for _, key := range []string{"users", "userGroups"} {
				if m, ok := sh[key].(map[string]any); ok {
					sh[key] = p.mapAccessMap(m)
				}
			}
		}
		for _, key := range []string{"userAccesses", "userGroupAccesses"} {
			if list, ok := obj[key].([]any); ok {
				for _, it := range list {
					if a, ok := it.(map[string]any); ok {
						for _, idKey := range []string{"id", "userUid", "userGroupUid"} {
							if id, ok := a[idKey].(string); ok {
								a[idKey] = p.mapUID(id)
							}
						}
					}
				}
			}
		}
	}
}

// mapAccessMap rewrites {uid: {"id": uid, "access": …}} with mapped UIDs.
func (p Policies) mapAccessMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for uid, v := range m {
		nu := p.mapUID(uid)
		if a, ok := v.(map[string]any); ok {
			if _, has := a["id"]; has {
				a["id"] = nu
			}
		}
		out[nu] = v
	}
	return out
}

func (p Policies) applyUserReferences(obj map[string]any, mapping bool) {
	sh, _ := obj["sharing"].(map[string]any)
	switch p.UserReferences {
	case configv1.ReferencePolicy_REFERENCE_POLICY_STRIP:
		delete(obj, "user")
		if sh != nil {
			delete(sh, "owner")
		}
	case configv1.ReferencePolicy_REFERENCE_POLICY_MAP:
		if !mapping {
			return
		}
		if u, ok := obj["user"].(map[string]any); ok {
			if id, ok := u["id"].(string); ok {
				u["id"] = p.mapUID(id)
			}
		}
		if sh != nil {
			if owner, ok := sh["owner"].(string); ok {
				sh["owner"] = p.mapUID(owner)
			}
		}
	}
}

func (p Policies) mapUID(uid string) string {
	if to, ok := p.UserMapping[uid]; ok && to != "" {
		return to
	}
	return uid
}

// SkipReason says why an object is deliberately not copied (and not compared), or "" when it is copied:
// superuser roles and the accounts holding them (see Policies). It also drops superuser accounts from the
// members of a user group. Call it in the plan's order (user roles, users, user groups) with the same
// Policies value, so that users of a superuser role of any UID are recognised.
func (p Policies) SkipReason(plural string, obj map[string]any) string {
	id, _ := obj["id"].(string)
	switch plural {
	case "userRoles":
		if isSuperuserRole(obj) {
			p.supers.addRole(id)
			name, _ := obj["name"].(string)
			return fmt.Sprintf("superuser role %q (authority ALL): every DHIS2 keeps its own", name)
		}
	case "users":
		for _, r := range userRoleRefs(obj) {
			if p.supers.isRole(r) {
				p.supers.addUser(id)
				return fmt.Sprintf("superuser account %q: every DHIS2 keeps its own", username(obj))
			}
		}
	case "userGroups":
		if members, ok := obj["users"].([]any); ok {
			obj["users"] = slices.DeleteFunc(members, func(m any) bool {
				ref, _ := m.(map[string]any)
				uid, _ := ref["id"].(string)
				return p.supers.isUser(uid)
			})
		}
	}
	return ""
}

func isSuperuserRole(role map[string]any) bool {
	auth, _ := role["authorities"].([]any)
	return slices.Contains(auth, any(superuserAuthority))
}

// userRoleRefs are the role UIDs of a user, flat (2.38+) or in userCredentials (before).
func userRoleRefs(user map[string]any) []string {
	roles, ok := user["userRoles"].([]any)
	if !ok {
		if uc, isMap := user["userCredentials"].(map[string]any); isMap {
			roles, _ = uc["userRoles"].([]any)
		}
	}
	var out []string
	for _, r := range roles {
		if m, ok := r.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				out = append(out, id)
			}
		}
	}
	return out
}

func username(user map[string]any) string {
	if n, ok := user["username"].(string); ok && n != "" {
		return n
	}
	uc, _ := user["userCredentials"].(map[string]any)
	n, _ := uc["username"].(string)
	return n
}

func (p Policies) logger() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.Default()
}

// forServer returns the same policies with their own memory of superusers, for reading another server.
func (p Policies) forServer() Policies {
	p.supers = newSuperusers()
	return p
}
