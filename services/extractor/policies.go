package extractor

import (
	"fmt"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// Policies say how sharing, user references and DHIS2's default objects are copied (configv1.Policies).
type Policies struct {
	Sharing         configv1.ReferencePolicy
	UserReferences  configv1.ReferencePolicy
	UserMapping     map[string]string
	IncludeDefaults bool
}

// ParseConfig reads the configuration snapshot the orchestrator sends as protojson. An empty snapshot is the
// default configuration.
func ParseConfig(configJSON string) (*configv1.Config, error) {
	cfg := &configv1.Config{}
	if configJSON == "" {
		return cfg, nil
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal([]byte(configJSON), cfg); err != nil {
		return nil, fmt.Errorf("configuration snapshot is not a dhis2sync.config.v1.Config in protojson: %w", err)
	}
	return cfg, nil
}

// PoliciesOf returns the policies of a configuration; unset policies mean KEEP.
func PoliciesOf(cfg *configv1.Config) Policies {
	p := cfg.GetPolicies()
	out := Policies{
		Sharing:         p.GetSharing(),
		UserReferences:  p.GetUserReferences(),
		UserMapping:     p.GetUserMapping(),
		IncludeDefaults: p.GetIncludeDefaults(),
	}
	if out.Sharing == configv1.ReferencePolicy_REFERENCE_POLICY_UNSPECIFIED {
		out.Sharing = configv1.ReferencePolicy_REFERENCE_POLICY_KEEP
	}
	if out.UserReferences == configv1.ReferencePolicy_REFERENCE_POLICY_UNSPECIFIED {
		out.UserReferences = configv1.ReferencePolicy_REFERENCE_POLICY_KEEP
	}
	return out
}
