package extractor

import (
	"log/slog"
	"sync"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
)

// Policies say how sharing, user references and DHIS2's default objects are copied (configv1.Policies).
//
// Superusers are never copied: every DHIS2 has its own "admin" account and Superuser role, and a copy either
// replaces the destination's (same UID) or fails on the unique username or role name (E5003, which with
// atomicMode=ALL refuses every user, role and group of the request). So user roles holding the ALL authority
// and the users holding such a role are skipped (with a log line), user group memberships of those users are
// dropped, and verification leaves the superusers of both sides out of the comparison and lists them as
// SKIPPED. The extractor reads only the source, so the rule does not depend on what the destination holds.
type Policies struct {
	Sharing         configv1.ReferencePolicy
	UserReferences  configv1.ReferencePolicy
	UserMapping     map[string]string
	IncludeDefaults bool
	// Log receives a line per skipped object; nil means slog.Default().
	Log *slog.Logger

	// supers is shared by the copies of one Policies value: PoliciesOf gives each extraction its own.
	supers *superusers
}

// PoliciesOf returns the policies of a configuration; unset policies mean KEEP.
func PoliciesOf(cfg *configv1.Config) Policies {
	p := cfg.GetPolicies()
	out := Policies{
		Sharing:         p.GetSharing(),
		UserReferences:  p.GetUserReferences(),
		UserMapping:     p.GetUserMapping(),
		IncludeDefaults: p.GetIncludeDefaults(),
		supers:          newSuperusers(),
	}
	if out.Sharing == configv1.ReferencePolicy_REFERENCE_POLICY_UNSPECIFIED {
		out.Sharing = configv1.ReferencePolicy_REFERENCE_POLICY_KEEP
	}
	if out.UserReferences == configv1.ReferencePolicy_REFERENCE_POLICY_UNSPECIFIED {
		out.UserReferences = configv1.ReferencePolicy_REFERENCE_POLICY_KEEP
	}
	return out
}

// builtInSuperuserRole is the UID of the Superuser role DHIS2 creates in a new database (dhis2-core's
// createAndAddAdminUser test fixture and the demo databases use it): a user holding it is a superuser even
// when the role itself is not part of the step.
const builtInSuperuserRole = "yrB6vc5Ip3r"

// superuserAuthority is the authority that grants everything.
const superuserAuthority = "ALL"

// superusers remembers the superuser roles and accounts met so far on one server, within one step (user
// roles are read before users, users before user groups: metadataplan keeps the three in one step).
type superusers struct {
	mu    sync.Mutex
	roles map[string]bool
	users map[string]bool
}

func newSuperusers() *superusers {
	return &superusers{roles: map[string]bool{builtInSuperuserRole: true}, users: map[string]bool{}}
}

func (s *superusers) addRole(uid string) {
	if s != nil {
		s.mu.Lock()
		s.roles[uid] = true
		s.mu.Unlock()
	}
}

func (s *superusers) addUser(uid string) {
	if s != nil {
		s.mu.Lock()
		s.users[uid] = true
		s.mu.Unlock()
	}
}

func (s *superusers) isRole(uid string) bool {
	if s == nil {
		return uid == builtInSuperuserRole
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.roles[uid]
}

func (s *superusers) isUser(uid string) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.users[uid]
}
