package ui

import (
	"maps"
	"slices"
	"strings"
)

// formErrors places the gateway's field violations on the form's inputs. The services name an element of a
// list or map ("destination_instance_ids[1]", `policies.user_mapping["abc"]`) where the form has one input
// for the whole list, so such messages go to that input, joined when there are several.
func formErrors(fields map[string]string) map[string]string {
	if len(fields) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		msg := fields[k]
		input := k
		if i := strings.IndexByte(k, '['); i > 0 {
			input = k[:i]
			msg = k[i:] + " " + msg // which element, as the service counts them
		}
		if prev, ok := out[input]; ok {
			msg = prev + " " + msg
		}
		out[input] = msg
	}
	return out
}
