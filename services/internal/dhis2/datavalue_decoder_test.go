package dhis2

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// referenceDecode decodes with encoding/json, the behaviour the fast
// decoder must match.
func referenceDecode(data []byte) ([]DataValue, error) {
	var doc struct {
		DataValues []DataValue `json:"dataValues"`
	}
	err := json.Unmarshal(data, &doc)
	return doc.DataValues, err
}

func fastDecode(data []byte) ([]DataValue, error) {
	var out []DataValue
	err := decodeDataValueSet(bufio.NewReaderSize(bytes.NewReader(data), 16), func(dv DataValue) error {
		out = append(out, dv)
		return nil
	})
	return out, err
}

var dataValueDocs = []string{
	`{"dataSet":"a","completeDate":"2024-01-01","dataValues":[{"dataElement":"d1","period":"202401","orgUnit":"o1","categoryOptionCombo":"c1","attributeOptionCombo":"a1","value":"12","storedBy":"admin","created":"2024-01-01T00:00:00.000","lastUpdated":"2024-01-02T00:00:00.000","comment":"ok","followup":true,"deleted":true}]}`,
	`{"dataValues":[]}`,
	`{"dataValues":null,"x":[1,2,{"y":[true,false,null,-1.5e3]}]}`,
	`{"other":{"dataValues":[{"value":"nested, ignored"}]},"dataValues":[{"value":"esc \"q\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 end","unknown":{"a":[1,{"b":"c"}]},"comment":null}]}`,
	" \n{ \"dataValues\" : [ { \"dataElement\" : \"x\" , \"value\" : \"1\" } , {\"dataElement\":\"y\"} ] } trailing",
	`{"DataValues":[{"DataElement":"folded","VALUE":"v"}]}`,
	`{"dataValues":[{"dataElement":"dup","dataElement":"last"}]}`,
}

func TestDataValueDecoderMatchesEncodingJSON(t *testing.T) {
	for _, doc := range append(dataValueDocs, string(readSample(t, "dataValueSet_payload_single.json"))) {
		want, err := referenceDecode([]byte(strings.TrimSuffix(doc, " trailing")))
		if err != nil {
			t.Fatalf("reference: %v", err)
		}
		got, err := fastDecode([]byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) {
			t.Errorf("%s:\n got %+v\nwant %+v", doc, got, want)
		}
	}
}

func TestDataValueDecoderRejectsMalformed(t *testing.T) {
	for _, doc := range []string{``, `[`, `{"dataValues":[{"value":"x"}`, `{"dataValues":[{"value":"\x"}]}`,
		`{"dataValues":{}}`, `{"dataValues":[{"value":tru}]}`, `{"dataValues":[1]}`, `{"a" 1}`, `{"dataValues":[{"value":"\u12"}]}`} {
		if _, err := fastDecode([]byte(doc)); err == nil {
			t.Errorf("%q accepted", doc)
		}
	}
}

// FuzzDataValueDecoder: never panics, and agrees with encoding/json on
// every ASCII document that encoding/json accepts.
func FuzzDataValueDecoder(f *testing.F) {
	for _, d := range dataValueDocs {
		f.Add([]byte(d))
	}
	f.Add(readSample(f, "dataValueSet_payload_single.json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := fastDecode(data)
		for _, c := range data {
			if c >= 0x80 {
				return
			}
		}
		want, refErr := referenceDecode(data)
		if refErr != nil || !json.Valid(data) {
			return
		}
		if err != nil {
			t.Fatalf("rejected a document encoding/json accepts: %v", err)
		}
		if len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	})
}

func TestExportDataValuesOverHTTP(t *testing.T) {
	sampleBody := readSample(t, "dataValueSet_payload_single.json")
	var gotQuery string
	srv := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotQuery = r.URL.RawQuery
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		_, _ = zw.Write(sampleBody)
		_ = zw.Close()
	})
	c, _ := testClient(t, srv.URL)
	var got []DataValue
	q := DataValueQuery{DataSets: []string{"VEM58nY22sO"}, OrgUnits: []string{"O6uvpzGd5pu"}, Children: true,
		LastUpdated: "2024-01-01", IncludeDeleted: true}
	err := c.ExportDataValues(context.Background(), q, func(dv DataValue) error {
		got = append(got, dv)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].CategoryOptionCombo != "rtfSaMjPyq6" || got[1].Value != "2000" {
		t.Fatalf("values %+v", got)
	}
	for _, want := range []string{"dataSet=VEM58nY22sO", "orgUnit=O6uvpzGd5pu", "children=true", "lastUpdated=2024-01-01", "includeDeleted=true"} {
		if !strings.Contains(gotQuery, want) {
			t.Errorf("query %q lacks %q", gotQuery, want)
		}
	}
	stop := errors.New("enough")
	err = c.ExportDataValues(context.Background(), q, func(DataValue) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("callback error not returned: %v", err)
	}
	err = c.ExportDataValues(context.Background(), DataValueQuery{DataSets: []string{"x"}}, func(DataValue) error { return nil })
	if !errors.Is(err, KindInvalidInput) || !strings.Contains(err.Error(), "period window") {
		t.Fatalf("missing period: %v", err)
	}
}
