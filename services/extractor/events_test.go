package extractor

import (
	"encoding/json"
	"testing"
)

func TestNormalizeEventDropsServerFields(t *testing.T) {
	in := `{"event":"ev1","program":"p1","programStage":"s1","orgUnit":"o1","orgUnitName":"Clinic","enrollment":"en1",
"createdAt":"2024-01-01","updatedAt":"2024-01-02","createdBy":{"uid":"u"},"updatedBy":{"uid":"u"},"relationships":[],
"occurredAt":"2024-01-01","dataValues":[{"dataElement":"d1","value":"3","createdAt":"x","updatedAt":"y","storedBy":"admin"}]}`
	out, err := normalizeEvent(json.RawMessage(in))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"createdAt", "updatedAt", "createdBy", "updatedBy", "orgUnitName", "enrollment", "relationships"} {
		if _, ok := ev[f]; ok {
			t.Errorf("%s kept", f)
		}
	}
	for _, f := range []string{"event", "program", "programStage", "orgUnit", "occurredAt"} {
		if ev[f] == nil {
			t.Errorf("%s dropped", f)
		}
	}
	dv := ev["dataValues"].([]any)[0].(map[string]any)
	if len(dv) != 2 || dv["dataElement"] != "d1" || dv["value"] != "3" {
		t.Errorf("data value %v", dv)
	}
	if _, err := normalizeEvent(json.RawMessage(`[1]`)); err == nil {
		t.Error("a non-object event passed")
	}
}
