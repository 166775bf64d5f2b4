package dhis2sim

import "fmt"

// validateOptionInSet is DHIS2's uniqueness rule for options: an option's code is not unique on its own
// (the optionvalue.code column is mapped unique="false" in Option.hbm.xml), but no two options of one option
// set may share a name or a code. OptionObjectBundleHook.checkDuplicateOption compares the option with the
// other members of its stored set, skipping members without a name or code, and reports E4028 "Option set
// `{0}` already contains option `{1}`" against OptionSet (dhis2-core
// dhis-services/dhis-service-dxf2/.../objectbundle/hooks/OptionObjectBundleHook.java; ErrorCode.E4028).
func (s *Server) validateOptionInSet(b *bundleObj, add func(errorReport)) {
	setID := refID(b.obj["optionSet"])
	if setID == "" {
		return
	}
	name, _ := b.obj["name"].(string)
	code, _ := b.obj["code"].(string)
	for _, other := range s.optionSetMembers(setID) {
		oid, _ := other["id"].(string)
		oname, _ := other["name"].(string)
		ocode, _ := other["code"].(string)
		if oid == b.id || oname == "" || ocode == "" {
			continue
		}
		if oname == name || ocode == code {
			const setKlass = "org.hisp.dhis.option.OptionSet"
			add(errorReport{
				Message:   fmt.Sprintf("Option set `%s` already contains option `%s`", setID, oid),
				ErrorCode: "E4028", ErrorKlass: setKlass, MainID: b.id,
				Args: argsIf(s, setID, oid),
			})
			return
		}
	}
}

// optionSetMembers are the stored options of a set: those listed by the set and those pointing at it.
func (s *Server) optionSetMembers(setID string) []map[string]any {
	var out []map[string]any
	seen := map[string]bool{}
	if set, ok := s.meta.get("optionSets", setID); ok {
		for _, r := range asList(set["options"]) {
			if o, ok := s.meta.get("options", refID(r)); ok && !seen[refID(r)] {
				seen[refID(r)] = true
				out = append(out, o)
			}
		}
	}
	for _, o := range s.meta.list("options") {
		if id, _ := o["id"].(string); !seen[id] && refID(o["optionSet"]) == setID {
			seen[id] = true
			out = append(out, o)
		}
	}
	return out
}
