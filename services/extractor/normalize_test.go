package extractor

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	configv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/config/v1"
	stepv1 "github.com/dhis2sync/dhis2sync/proto/dhis2sync/step/v1"
)

const sharedObject = `{
  "id": "deA", "name": "DE A", "created": "2024-01-01T00:00:00.000", "lastUpdated": "2024-02-01T00:00:00.000",
  "createdBy": {"id": "u1"}, "lastUpdatedBy": {"id": "u1"}, "href": "http://x/api/dataElements/deA",
  "displayName": "DE A", "user": {"id": "u1"},
  "publicAccess": "rw------", "userAccesses": [{"id": "u2", "access": "r-------"}],
  "userGroupAccesses": [{"id": "g1", "access": "rw------"}],
  "sharing": {"owner": "u1", "public": "rw------", "users": {"u2": {"id": "u2", "access": "r-------"}},
              "userGroups": {"g1": {"id": "g1", "access": "rw------"}}}
}`

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNormalizePolicies(t *testing.T) {
	keep, strip, mapp := configv1.ReferencePolicy_REFERENCE_POLICY_KEEP, configv1.ReferencePolicy_REFERENCE_POLICY_STRIP, configv1.ReferencePolicy_REFERENCE_POLICY_MAP
	mapping := map[string]string{"u1": "U1", "u2": "U2", "g1": "G1"}
	tests := []struct {
		name    string
		pol     Policies
		want    string
		absent  []string
		present []string
	}{
		{name: "keep", pol: Policies{Sharing: keep, UserReferences: keep},
			want:    `{"id":"deA","name":"DE A","user":{"id":"u1"},"publicAccess":"rw------","userAccesses":[{"id":"u2","access":"r-------"}],"userGroupAccesses":[{"id":"g1","access":"rw------"}],"sharing":{"owner":"u1","public":"rw------","users":{"u2":{"id":"u2","access":"r-------"}},"userGroups":{"g1":{"id":"g1","access":"rw------"}}}}`,
			present: []string{"sharing", "user"}},
		{name: "strip", pol: Policies{Sharing: strip, UserReferences: strip},
			want: `{"id":"deA","name":"DE A"}`},
		{name: "map", pol: Policies{Sharing: mapp, UserReferences: mapp, UserMapping: mapping},
			want: `{"id":"deA","name":"DE A","user":{"id":"U1"},"publicAccess":"rw------","userAccesses":[{"id":"U2","access":"r-------"}],"userGroupAccesses":[{"id":"G1","access":"rw------"}],"sharing":{"owner":"U1","public":"rw------","users":{"U2":{"id":"U2","access":"r-------"}},"userGroups":{"G1":{"id":"G1","access":"rw------"}}}}`},
		{name: "strip sharing keep user", pol: Policies{Sharing: strip, UserReferences: keep},
			want: `{"id":"deA","name":"DE A","user":{"id":"u1"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := decode(t, sharedObject)
			if !tt.pol.Normalize("dataElements", obj) {
				t.Fatal("object dropped")
			}
			if want := decode(t, tt.want); !reflect.DeepEqual(obj, want) {
				got, _ := json.Marshal(obj)
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestNormalizeDefaults(t *testing.T) {
	def := func() map[string]any { return map[string]any{"id": "bjDvmb4bfuf", "name": "default"} }
	if (Policies{}).Normalize("categoryCombos", def()) {
		t.Error("the default category combo was kept without includeDefaults")
	}
	if !(Policies{IncludeDefaults: true}).Normalize("categoryCombos", def()) {
		t.Error("the default category combo was dropped with includeDefaults")
	}
	if !(Policies{}).Normalize("dataElements", def()) {
		t.Error("a data element named default is not a DHIS2 default object")
	}
}

func TestNormalizeDestinationDoesNotMapAgain(t *testing.T) {
	pol := Policies{Sharing: configv1.ReferencePolicy_REFERENCE_POLICY_MAP, UserReferences: configv1.ReferencePolicy_REFERENCE_POLICY_MAP,
		UserMapping: map[string]string{"u1": "U1"}}
	obj := decode(t, sharedObject)
	pol.NormalizeDestination("dataElements", obj)
	if obj["user"].(map[string]any)["id"] != "u1" {
		t.Error("destination user reference was mapped")
	}
	if _, ok := obj["lastUpdated"]; ok {
		t.Error("server-managed property kept")
	}
}

func TestDigestIgnoresCollectionOrder(t *testing.T) {
	a := decode(t, `{"id":"x","dataElements":[{"id":"b"},{"id":"a"}],"dataSetElements":[{"dataElement":{"id":"2"}},{"dataElement":{"id":"1"}}],"values":[2,1]}`)
	b := decode(t, `{"id":"x","dataElements":[{"id":"a"},{"id":"b"}],"dataSetElements":[{"dataElement":{"id":"1"}},{"dataElement":{"id":"2"}}],"values":[2,1]}`)
	c := decode(t, `{"id":"x","dataElements":[{"id":"a"},{"id":"b"}],"dataSetElements":[{"dataElement":{"id":"1"}},{"dataElement":{"id":"2"}}],"values":[1,2],"name":"n"}`)
	da, db, dc := digestOf("dataSets", a), digestOf("dataSets", b), digestOf("dataSets", c)
	if da.hash != db.hash {
		t.Error("reordered references hash differently")
	}
	if da.hash == dc.hash {
		t.Error("different objects hash the same")
	}
	if got := changedProps(da, dc); !reflect.DeepEqual(got, []string{"name", "values"}) {
		t.Errorf("changed properties %v", got)
	}
}

// The collections DHIS2 keeps in order are compared in order: a reordered section form is a difference.
func TestDigestComparesOrderedCollectionsInOrder(t *testing.T) {
	a := decode(t, `{"id":"s","dataElements":[{"id":"b"},{"id":"a"}],"greyedFields":[{"id":"2"},{"id":"1"}]}`)
	b := decode(t, `{"id":"s","dataElements":[{"id":"a"},{"id":"b"}],"greyedFields":[{"id":"1"},{"id":"2"}]}`)
	c := decode(t, `{"id":"s","dataElements":[{"id":"b"},{"id":"a"}],"greyedFields":[{"id":"1"},{"id":"2"}]}`)
	da, db, dc := digestOf("sections", a), digestOf("sections", b), digestOf("sections", c)
	if da.hash == db.hash {
		t.Error("a section whose data elements are reordered hashes the same")
	}
	if got := changedProps(da, db); !reflect.DeepEqual(got, []string{"dataElements"}) {
		t.Errorf("changed properties %v, want the data elements only (greyed fields are a set)", got)
	}
	if da.hash != dc.hash {
		t.Error("reordered greyed fields (a set) hash differently")
	}
	if digestOf("dataElementGroups", decode(t, `{"id":"g","dataElements":[{"id":"b"},{"id":"a"}]}`)).hash !=
		digestOf("dataElementGroups", decode(t, `{"id":"g","dataElements":[{"id":"a"},{"id":"b"}]}`)).hash {
		t.Error("a data element group's members (a set) are compared in order")
	}
}

// Every step kind of the contract has a reader, except verification (VerifyStep) and the unset kind: a kind
// added to the proto without a reader here fails this test.
func TestReaderForEveryKind(t *testing.T) {
	for n, name := range stepv1.StepKind_name {
		k := stepv1.StepKind(n)
		read, err := readerFor(k)
		switch k {
		case stepv1.StepKind_STEP_KIND_UNSPECIFIED, stepv1.StepKind_STEP_KIND_VERIFY:
			if err == nil || !errors.Is(err, ErrUnknownKind) {
				t.Errorf("%s: %v, want ErrUnknownKind", name, err)
			}
		default:
			if err != nil || read == nil {
				t.Errorf("%s has no reader: %v", name, err)
			}
		}
	}
	if _, err := readerFor(stepv1.StepKind(len(stepv1.StepKind_name) + 10)); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("a kind from a newer orchestrator: %v, want ErrUnknownKind", err)
	}
	if got := withCompanions([]string{"categoryCombos"}); !reflect.DeepEqual(got, []string{"categoryCombos", "categoryOptionCombos"}) {
		t.Errorf("withCompanions: %v", got)
	}
	if got := deletionTypes([]string{"deletedObjects"}, map[string]string{"types": "dataElements, indicators"}); !reflect.DeepEqual(got, []string{"dataElements", "indicators"}) {
		t.Errorf("deletionTypes: %v", got)
	}
}

func TestPoliciesOfConfig(t *testing.T) {
	cfg := &configv1.Config{Policies: &configv1.Policies{Sharing: configv1.ReferencePolicy_REFERENCE_POLICY_STRIP, UserMapping: map[string]string{"a": "b"}}}
	p := PoliciesOf(cfg)
	if p.Sharing != configv1.ReferencePolicy_REFERENCE_POLICY_STRIP || p.UserReferences != configv1.ReferencePolicy_REFERENCE_POLICY_KEEP || p.UserMapping["a"] != "b" {
		t.Errorf("policies %+v", p)
	}
	if p := PoliciesOf(nil); p.Sharing != configv1.ReferencePolicy_REFERENCE_POLICY_KEEP {
		t.Errorf("no configuration: policies %+v", p)
	}
}
