package dhis2sim

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Fault is one injected failure. See the package documentation for the spec syntax.
type Fault struct {
	Action      string        // "status", "delay", "drop", "truncate", "html"
	Status      int           // for "status"
	Delay       time.Duration // for "delay"
	Method      string        // optional HTTP method
	Pattern     string        // glob over the path, "*" matches any run of characters; empty matches all
	After       int           // skip the first After matching requests
	Times       int           // fire at most Times times (0: unlimited)
	Probability float64       // fire with this probability (0: always)
}

// String renders the fault in spec syntax.
func (f Fault) String() string {
	var b strings.Builder
	switch f.Action {
	case "status":
		fmt.Fprintf(&b, "status=%d", f.Status)
	case "delay":
		fmt.Fprintf(&b, "delay=%s", f.Delay)
	default:
		b.WriteString(f.Action)
	}
	if f.Pattern != "" || f.Method != "" {
		b.WriteString("@")
		if f.Method != "" {
			b.WriteString(f.Method + " ")
		}
		b.WriteString(f.Pattern)
	}
	if f.After > 0 {
		fmt.Fprintf(&b, ",after=%d", f.After)
	}
	if f.Times > 0 {
		fmt.Fprintf(&b, ",times=%d", f.Times)
	}
	if f.Probability > 0 {
		fmt.Fprintf(&b, ",p=%g", f.Probability)
	}
	return b.String()
}

// ParseFaults parses a fault spec: rules separated by ";", each
//
//	ACTION[@[METHOD ]PATTERN][,after=N][,times=N][,p=P]
//
// with ACTION one of status=CODE, delay=DURATION, drop, truncate, html.
func ParseFaults(spec string) ([]Fault, error) {
	var out []Fault
	for _, rule := range strings.Split(spec, ";") {
		rule = strings.TrimSpace(rule)
		if rule == "" {
			continue
		}
		parts := strings.Split(rule, ",")
		head := parts[0]
		var f Fault
		action, target, hasTarget := strings.Cut(head, "@")
		if hasTarget {
			target = strings.TrimSpace(target)
			if m, p, ok := strings.Cut(target, " "); ok {
				f.Method, f.Pattern = strings.ToUpper(m), strings.TrimSpace(p)
			} else {
				f.Pattern = target
			}
		}
		name, val, _ := strings.Cut(strings.TrimSpace(action), "=")
		switch name {
		case "status":
			code, err := strconv.Atoi(val)
			if err != nil || code < 100 || code > 599 {
				return nil, fmt.Errorf("fault %q: invalid status %q", rule, val)
			}
			f.Action, f.Status = "status", code
		case "delay":
			d, err := time.ParseDuration(val)
			if err != nil || d < 0 {
				return nil, fmt.Errorf("fault %q: invalid delay %q", rule, val)
			}
			f.Action, f.Delay = "delay", d
		case "drop", "truncate", "html":
			if val != "" {
				return nil, fmt.Errorf("fault %q: %s takes no value", rule, name)
			}
			f.Action = name
		default:
			return nil, fmt.Errorf("fault %q: unknown action %q (want status=, delay=, drop, truncate, html)", rule, name)
		}
		for _, opt := range parts[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(opt), "=")
			var err error
			switch k {
			case "after":
				f.After, err = strconv.Atoi(v)
			case "times":
				f.Times, err = strconv.Atoi(v)
			case "p":
				f.Probability, err = strconv.ParseFloat(v, 64)
				if err == nil && (f.Probability < 0 || f.Probability > 1) {
					err = fmt.Errorf("probability out of [0,1]")
				}
			default:
				err = fmt.Errorf("unknown option")
			}
			if err != nil {
				return nil, fmt.Errorf("fault %q: option %q: %v", rule, opt, err)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// SetFaults replaces the active faults and resets their counters.
func (s *Server) SetFaults(f []Fault) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	s.faults = append([]Fault(nil), f...)
	s.faultSeen = map[int]int{}
}

// Faults returns the active faults.
func (s *Server) Faults() []Fault {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return append([]Fault(nil), s.faults...)
}

func globMatch(pattern, s string) bool {
	if pattern == "" || pattern == "*" {
		return true
	}
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i := 1; i < len(parts)-1; i++ {
		j := strings.Index(s, parts[i])
		if j < 0 {
			return false
		}
		s = s[j+len(parts[i]):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// pickFault returns the fault to fire for a request, if any. Counters make "after" and "times"
// deterministic; probabilities come from the seeded generator.
func (s *Server) pickFault(r *http.Request) (Fault, bool) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && f.Method != r.Method {
			continue
		}
		if !globMatch(f.Pattern, r.URL.Path) {
			continue
		}
		s.faultSeen[i]++
		n := s.faultSeen[i]
		if n <= f.After {
			continue
		}
		if f.Times > 0 && s.faultSeen[-1-i] >= f.Times {
			continue
		}
		if f.Probability > 0 && s.faultRng.Float64() >= f.Probability {
			continue
		}
		s.faultSeen[-1-i]++
		return f, true
	}
	return Fault{}, false
}

// applyFaults fires a matching fault. It returns true when the request has been answered (or aborted).
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request) bool {
	f, ok := s.pickFault(r)
	if !ok {
		return false
	}
	s.stats.faults.Add(1)
	s.log.Info("dhis2sim: fault", "fault", f.String(), "method", r.Method, "path", r.URL.Path)
	switch f.Action {
	case "delay":
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return true
		case <-t.C:
		}
		return false
	case "status":
		writeWebMessage(w, f.Status, "ERROR", http.StatusText(f.Status), "", nil)
	case "drop":
		panic(http.ErrAbortHandler) // closes the connection without a response
	case "html":
		s.serveLoginPage(w, r)
	case "truncate":
		rec := &bufferWriter{header: http.Header{}, code: http.StatusOK}
		s.serveDHIS2(rec, r)
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		body := rec.buf.Bytes()
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.code)
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	return true
}

type bufferWriter struct {
	header http.Header
	code   int
	buf    bytes.Buffer
}

func (b *bufferWriter) Header() http.Header         { return b.header }
func (b *bufferWriter) WriteHeader(code int)        { b.code = code }
func (b *bufferWriter) Write(p []byte) (int, error) { return b.buf.Write(p) }
