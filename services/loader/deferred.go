package loader

import (
	"regexp"
	"slices"
	"sync"

	"github.com/dhis2sync/dhis2sync/services/internal/metadataplan"
)

// Deferral: DHIS2 refuses an object with E5002 when it references an object that does not exist yet. When the
// missing object's type comes later in the metadata plan (a later step), the object is not an error yet: the
// loader keeps it, per job and destination, and posts it again as soon as a step carrying the missing type has
// completed on that destination, or in the last metadata step (LoadStepRequest.retry_deferred). Only what
// still fails then is reported, in that step's Result. Deferred objects live in the loader's memory: a
// restarted loader reports nothing for them, and verification shows them as missing.

// deferredObject is one object held back.
type deferredObject struct {
	plural  string
	uid     string
	obj     map[string]any
	missing string // the plural of the referenced type
}

type deferredStore struct {
	mu    sync.Mutex
	byKey map[string][]deferredObject // job + "\x00" + destination
}

func newDeferredStore() *deferredStore { return &deferredStore{byKey: map[string][]deferredObject{}} }

func deferKey(job, dest string) string { return job + "\x00" + dest }

func (s *deferredStore) add(job, dest string, objs []deferredObject) {
	if len(objs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := deferKey(job, dest)
	s.byKey[k] = append(s.byKey[k], objs...)
}

// take removes and returns the objects whose missing type is in types (all when all is set).
func (s *deferredStore) take(job, dest string, types []string, all bool) []deferredObject {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := deferKey(job, dest)
	var out, keep []deferredObject
	for _, d := range s.byKey[k] {
		if all || slices.Contains(types, d.missing) {
			out = append(out, d)
		} else {
			keep = append(keep, d)
		}
	}
	if len(keep) == 0 {
		delete(s.byKey, k)
	} else {
		s.byKey[k] = keep
	}
	return out
}

func (s *deferredStore) dropJob(job string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.byKey {
		if len(k) > len(job) && k[:len(job)+1] == job+"\x00" {
			delete(s.byKey, k)
		}
	}
}

// planIndex maps plurals and class names to their position in DHIS2's commit order.
var planIndex, classPlural = func() (map[string]int, map[string]string) {
	idx, cls := map[string]int{}, map[string]string{}
	for i, t := range metadataplan.Order() {
		idx[t.Resource] = i
		cls[t.Class] = t.Resource
	}
	return idx, cls
}()

// referencedKlass finds the referenced type in an E5002 message, "Invalid reference [uid] (CategoryCombo) on
// object …" (dhis2-core ErrorCode E5002). The DHIS2 client's ObjectError does not carry errorKlass, so it is read here.
var referencedKlass = regexp.MustCompile(`^Invalid reference \[[^\]]*\] \((\w+)\)`)

// laterType returns the plural of the type an E5002 error points to when that type comes later in the plan
// than plural and is not loaded by the current step.
func laterType(code, message, plural string, stepTypes []string) (string, bool) {
	if code != "E5002" {
		return "", false
	}
	m := referencedKlass.FindStringSubmatch(message)
	if m == nil {
		return "", false
	}
	missing, ok := classPlural[m[1]]
	if !ok || slices.Contains(stepTypes, missing) {
		return "", false
	}
	mi, ok1 := planIndex[missing]
	pi, ok2 := planIndex[plural]
	if !ok1 || !ok2 || mi <= pi {
		return "", false
	}
	return missing, true
}
