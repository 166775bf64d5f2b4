package demodata

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

var uidPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9]{10}$`)

var defaultUIDs = map[string]bool{
	DefaultCategoryCombo: true, DefaultCategory: true, DefaultCategoryOption: true, DefaultCategoryOptionCombo: true,
}

// metadataIndex resolves UIDs of a Metadata() export: top-level objects by type, and every embedded object
// that has its own id.
type metadataIndex struct {
	byType map[string]map[string]map[string]any
	all    map[string]string // uid → type ("" for embedded objects)
}

func indexMetadata(t *testing.T, md map[string][]map[string]any) metadataIndex {
	t.Helper()
	ix := metadataIndex{byType: map[string]map[string]map[string]any{}, all: map[string]string{}}
	var walkEmbedded func(v any)
	walkEmbedded = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["id"].(string); ok && len(x) > 1 {
				if prev, dup := ix.all[id]; dup {
					t.Errorf("embedded id %s duplicates an object of type %q", id, prev)
				}
				ix.all[id] = ""
			}
			for _, c := range x {
				walkEmbedded(c)
			}
		case []any:
			for _, c := range x {
				walkEmbedded(c)
			}
		}
	}
	for typ, objs := range md {
		ix.byType[typ] = map[string]map[string]any{}
		for _, o := range objs {
			id, _ := o["id"].(string)
			if prev, dup := ix.all[id]; dup {
				t.Errorf("%s %s: id already used by %q", typ, id, prev)
			}
			ix.all[id] = typ
			ix.byType[typ][id] = o
		}
	}
	for _, objs := range md {
		for _, o := range objs {
			for k, v := range o {
				if k != "id" {
					walkEmbedded(v)
				}
			}
		}
	}
	return ix
}

func refID(t *testing.T, v any) string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("reference %v is not an object", v)
	}
	id, _ := m["id"].(string)
	return id
}

// validValue says whether a value fits a DHIS2 value type (and option set, when codes is not nil).
func validValue(valueType, value string, codes map[string]bool) bool {
	if codes != nil {
		return codes[value]
	}
	switch valueType {
	case vtIntZeroPos:
		n, err := strconv.Atoi(value)
		return err == nil && n >= 0
	case vtIntPos:
		n, err := strconv.Atoi(value)
		return err == nil && n > 0
	case vtInt:
		_, err := strconv.Atoi(value)
		return err == nil
	case vtNumber:
		_, err := strconv.ParseFloat(value, 64)
		return err == nil
	case vtPercentage:
		n, err := strconv.ParseFloat(value, 64)
		return err == nil && n >= 0 && n <= 100
	case vtBoolean:
		return value == "true" || value == "false"
	case vtTrueOnly:
		return value == "true"
	case vtDate:
		_, err := time.Parse(dateLayout, value)
		return err == nil
	case vtText, vtPhone:
		return value != ""
	}
	return false
}

func parseTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(timeLayout, s)
	if err != nil {
		t.Fatalf("timestamp %q is not in DHIS2 format: %v", s, err)
	}
	return v
}
