package dhis2sim

// valueStore keeps aggregate data values compactly: identifiers are interned to uint32 so that a value costs
// a 20-byte key plus its strings, and records live in one slice indexed by key. Deleted values stay as
// soft-deleted records, as DHIS2 keeps them for includeDeleted exports.
type valueStore struct {
	strs  []string
	ids   map[string]uint32
	recs  []dvRec
	index map[dvKey]int32
	live  int
}

// dvKey is (dataElement, period, orgUnit, categoryOptionCombo, attributeOptionCombo), interned.
type dvKey [5]uint32

type dvRec struct {
	key         dvKey
	value       string
	comment     string
	storedBy    uint32
	created     int64 // unix milliseconds
	lastUpdated int64
	followup    bool
	deleted     bool
	hasComment  bool
}

func newValueStore() *valueStore {
	return &valueStore{strs: []string{""}, ids: map[string]uint32{"": 0}, index: map[dvKey]int32{}}
}

func (v *valueStore) intern(s string) uint32 {
	if id, ok := v.ids[s]; ok {
		return id
	}
	id := uint32(len(v.strs))
	v.strs = append(v.strs, s)
	v.ids[s] = id
	return id
}

func (v *valueStore) lookupID(s string) (uint32, bool) {
	id, ok := v.ids[s]
	return id, ok
}

// upsert stores a record; it returns whether a live value existed before.
func (v *valueStore) upsert(r dvRec) {
	if i, ok := v.index[r.key]; ok {
		old := &v.recs[i]
		if old.deleted && !r.deleted {
			v.live++
		} else if !old.deleted && r.deleted {
			v.live--
		}
		if r.created == 0 {
			r.created = old.created
		}
		*old = r
		return
	}
	v.index[r.key] = int32(len(v.recs))
	v.recs = append(v.recs, r)
	if !r.deleted {
		v.live++
	}
}

func (v *valueStore) get(k dvKey) (*dvRec, bool) {
	i, ok := v.index[k]
	if !ok {
		return nil, false
	}
	return &v.recs[i], true
}

// referencedAmong returns, for metadata UIDs about to be deleted, the ones that have data value rows, live or
// soft-deleted: DHIS2's DataValueDeletionHandler counts every row of the datavalue table (deleted ones too),
// so a data element whose values were all deleted still cannot be deleted (E4030).
func (v *valueStore) referencedAmong(uids map[string]bool) map[string]string {
	out := map[string]string{}
	if len(uids) == 0 || len(v.recs) == 0 {
		return out
	}
	want := map[uint32]string{}
	for u := range uids {
		if id, ok := v.ids[u]; ok {
			want[id] = u
		}
	}
	if len(want) == 0 {
		return out
	}
	for i := range v.recs {
		r := &v.recs[i]
		for _, id := range r.key {
			if u, ok := want[id]; ok {
				out[u] = "DataValue"
			}
		}
	}
	return out
}

// DataValueCount returns the number of live (not deleted) data values.
func (s *Server) DataValueCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.values.live
}
