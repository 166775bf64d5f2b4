package dhis2sim

import (
	"compress/gzip"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// snapshot is the --state file: a gzipped gob of everything the simulator stores.
type snapshot struct {
	Version string
	Meta    map[string][]byte // plural -> JSON array of objects, in insertion order
	Deleted []deletedObject
	Strs    []string
	Values  []snapValue
	Tracker map[string][]byte
}

type snapValue struct {
	Key                  [5]uint32
	Value, Comment       string
	StoredBy             uint32
	Created, LastUpdated int64
	FollowUp, Deleted    bool
	HasComment           bool
}

// SaveState writes the simulator's content to a file (atomically, through a temporary file).
func (s *Server) SaveState(path string) error {
	s.mu.RLock()
	snap := snapshot{Version: s.version.String(), Meta: map[string][]byte{}, Tracker: map[string][]byte{},
		Deleted: append([]deletedObject(nil), s.meta.deleted...), Strs: append([]string(nil), s.values.strs...)}
	var err error
	for plural := range s.meta.types {
		if snap.Meta[plural], err = json.Marshal(s.meta.list(plural)); err != nil {
			s.mu.RUnlock()
			return fmt.Errorf("encode %s: %w", plural, err)
		}
	}
	for _, r := range s.values.recs {
		snap.Values = append(snap.Values, snapValue{Key: r.key, Value: r.value, Comment: r.comment, StoredBy: r.storedBy,
			Created: r.created, LastUpdated: r.lastUpdated, FollowUp: r.followup, Deleted: r.deleted, HasComment: r.hasComment})
	}
	for plural, k := range s.track.kinds {
		list := make([]map[string]any, 0, len(k.order))
		for _, id := range k.order {
			list = append(list, k.objs[id])
		}
		if snap.Tracker[plural], err = json.Marshal(list); err != nil {
			s.mu.RUnlock()
			return fmt.Errorf("encode %s: %w", plural, err)
		}
	}
	s.mu.RUnlock()
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dhis2sim-state-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	zw := gzip.NewWriter(tmp)
	if err := gob.NewEncoder(zw).Encode(&snap); err != nil {
		tmp.Close()
		return fmt.Errorf("write state: %w", err)
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// LoadState replaces the simulator's content with a file written by SaveState. A missing file is not an
// error: it reports false so the caller can seed instead.
func (s *Server) LoadState(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return false, fmt.Errorf("read state %s: %w", path, err)
	}
	var snap snapshot
	if err := gob.NewDecoder(zr).Decode(&snap); err != nil {
		return false, fmt.Errorf("read state %s: %w", path, err)
	}
	if snap.Version != s.version.String() {
		return false, fmt.Errorf("state %s was written by DHIS2 %s, not %s", path, snap.Version, s.version)
	}
	meta := newMetaStore()
	for plural, raw := range snap.Meta {
		var list []map[string]any
		if err := json.Unmarshal(raw, &list); err != nil {
			return false, fmt.Errorf("decode %s: %w", plural, err)
		}
		for _, o := range list {
			meta.put(plural, o)
		}
	}
	meta.deleted = snap.Deleted
	for _, d := range snap.Deleted {
		meta.wasDel[d.UID] = true
	}
	values := newValueStore()
	values.strs = snap.Strs
	for i, str := range snap.Strs {
		values.ids[str] = uint32(i)
	}
	for _, v := range snap.Values {
		values.upsert(dvRec{key: v.Key, value: v.Value, comment: v.Comment, storedBy: v.StoredBy, created: v.Created,
			lastUpdated: v.LastUpdated, followup: v.FollowUp, deleted: v.Deleted, hasComment: v.HasComment})
	}
	track := newTrackerStore()
	for _, k := range trackerKinds {
		var list []map[string]any
		if raw := snap.Tracker[k.plural]; raw != nil {
			if err := json.Unmarshal(raw, &list); err != nil {
				return false, fmt.Errorf("decode %s: %w", k.plural, err)
			}
		}
		for _, o := range list {
			id, _ := o[k.idField].(string)
			track.put(k.plural, id, o)
		}
	}
	s.mu.Lock()
	s.meta, s.values, s.track = meta, values, track
	s.mu.Unlock()
	return true, nil
}
