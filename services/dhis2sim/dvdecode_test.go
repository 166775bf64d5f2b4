package dhis2sim

import (
	"fmt"
	"strings"
	"testing"
)

func TestDecodeDataValueSet(t *testing.T) {
	in := `{"dataSet":"ds1","completeDate":"2024-01-01","extra":{"a":[1,{"b":"]"}]},"period":"202401",
	 "dataValues":[{"dataElement":"de1","value":12.5,"comment":"caf\u00e9 \"x\"\n","followup":true,"orgUnit":"ou1","x":[1,2]},
	               {"dataElement":"de2","value":null,"deleted":true},{}],"orgUnit":"ouTop"}`
	set, err := decodeDataValueSet(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if set.DataSet != "ds1" || set.Period != "202401" || set.OrgUnit != "ouTop" || len(set.Values) != 3 {
		t.Fatalf("set %+v", set)
	}
	v := set.Values[0]
	if val, ok := v.value(); !ok || val != "12.5" || *v.Comment != "café \"x\"\n" || !*v.FollowUp || v.OrgUnit != "ou1" {
		t.Fatalf("value 0 %+v", v)
	}
	if _, ok := set.Values[1].value(); ok || !*set.Values[1].Deleted {
		t.Fatalf("value 1 %+v", set.Values[1])
	}
	for _, bad := range []string{``, `[]`, `{"dataValues":[1]}`, `{"dataValues":[{"value":tru}]}`, `{"dataValues":[{"value":"x}]}`, `{"a" 1}`} {
		if _, err := decodeDataValueSet(strings.NewReader(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// BenchmarkDecodeDataValueSet decodes a 10,000-value request body (the loader's request size) without HTTP.
func BenchmarkDecodeDataValueSet(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"dataSet":"dsBench0001","dataValues":[`)
	for i := range 10_000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"dataElement":"deBench%04d","orgUnit":"ouBench%04d","period":"2023%02d","categoryOptionCombo":"HllvX50cXC0",`+
			`"value":"%d","storedBy":"bench","lastUpdated":"2024-01-02T03:04:05.000","followup":false}`, i%50, (i/50)%200, 1+i%12, i%1000)
	}
	sb.WriteString(`]}`)
	body := sb.String()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		set, err := decodeDataValueSet(strings.NewReader(body))
		if err != nil || len(set.Values) != 10_000 {
			b.Fatalf("%d values, %v", len(set.Values), err)
		}
	}
	b.ReportMetric(float64(10_000*b.N)/b.Elapsed().Seconds(), "values/s")
}
