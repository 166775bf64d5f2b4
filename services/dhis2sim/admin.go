package dhis2sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// serveAdmin serves the simulator's control endpoints, outside /api and without authentication:
//
//	GET    /__sim/faults   active faults in spec syntax
//	POST   /__sim/faults   replace the faults (body: a spec, or {"spec": "..."})
//	DELETE /__sim/faults   remove every fault
//	GET    /__sim/stats    request counts per endpoint and item counters
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/__sim/faults" && r.Method == http.MethodGet:
		specs := []string{}
		for _, f := range s.Faults() {
			specs = append(specs, f.String())
		}
		writeJSON(w, http.StatusOK, map[string]any{"faults": specs, "spec": strings.Join(specs, ";")})
	case r.URL.Path == "/__sim/faults" && r.Method == http.MethodPost:
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		spec := string(b)
		var body struct {
			Spec string `json:"spec"`
		}
		if strings.HasPrefix(strings.TrimSpace(spec), "{") {
			if err := json.Unmarshal(b, &body); err != nil {
				writeError(w, http.StatusBadRequest, err.Error())
				return
			}
			spec = body.Spec
		}
		faults, err := ParseFaults(spec)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.SetFaults(faults)
		writeWebMessage(w, http.StatusOK, "OK", "faults set", "", nil)
	case r.URL.Path == "/__sim/faults" && r.Method == http.MethodDelete:
		s.SetFaults(nil)
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/__sim/stats" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, s.Stats())
	default:
		s.unmodelled(w, r)
	}
}
