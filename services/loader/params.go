package loader

import (
	"net/url"
	"strings"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	loaderv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/loader/v1"
	"github.com/dhis2sync/dhis2sync/services/internal/dhis2"
)

// enumName turns IMPORT_STRATEGY_CREATE_AND_UPDATE into CREATE_AND_UPDATE ("" for UNSPECIFIED).
func enumName(full, prefix string) string {
	s := strings.TrimPrefix(full, prefix)
	if s == "UNSPECIFIED" {
		return ""
	}
	return s
}

// metadataParams are the import options of a step: the request's import_params win over the configuration;
// dry runs validate only. atomicMode defaults to NONE so that one bad object does not hold back a whole group
// (cycles still resolve: a group travels in one request) and per-object errors come back with their codes.
func metadataParams(req *loaderv1.LoadStepRequest, cfg *configv1.Config) dhis2.MetadataImportParams {
	p := dhis2.MetadataImportParams{
		ImportStrategy: enumName(cfg.GetImportStrategy().String(), "IMPORT_STRATEGY_"),
		MergeMode:      enumName(cfg.GetMergeMode().String(), "MERGE_MODE_"),
		AtomicMode:     enumName(cfg.GetAtomicMode().String(), "ATOMIC_MODE_"),
		Extra:          url.Values{},
	}
	for k, v := range req.GetImportParams() {
		switch k {
		case "importStrategy":
			p.ImportStrategy = v
		case "mergeMode":
			p.MergeMode = v
		case "atomicMode":
			p.AtomicMode = v
		case "importMode":
			p.ImportMode = v
		case "identifier":
			p.Identifier = v
		case "importReportMode":
			p.ImportReportMode = v
		case "preheatMode":
			p.PreheatMode = v
		case "flushMode":
			p.FlushMode = v
		case "skipSharing":
			p.SkipSharing = v == "true"
		case "skipValidation":
			p.SkipValidation = v == "true"
		case "userOverrideMode":
			p.UserOverrideMode = v
		case "overrideUser":
			p.OverrideUser = v
		case "async":
			p.Async = v == "true"
		default:
			p.Extra.Set(k, v)
		}
	}
	if p.ImportStrategy == "" {
		p.ImportStrategy = "CREATE_AND_UPDATE"
	}
	if p.AtomicMode == "" {
		p.AtomicMode = "NONE"
	}
	if req.GetDryRun() {
		p.ImportMode = "VALIDATE"
	}
	return p
}
