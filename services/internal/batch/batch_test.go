package batch

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	tests := map[string][]json.RawMessage{
		"empty": {},
		"one":   {json.RawMessage(`{"id":"a"}`)},
		"many":  {json.RawMessage(`{"id":"a","name":"é"}`), json.RawMessage(`{"id":"b","list":[1,2]}`)},
	}
	for name, items := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := Encode(items)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(Encoding, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(items) {
				t.Fatalf("got %d items, want %d", len(got), len(items))
			}
			for i := range items {
				if string(got[i]) != string(items[i]) {
					t.Errorf("item %d: got %s, want %s", i, got[i], items[i])
				}
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	if _, err := Decode("xml", []byte("x")); !errors.Is(err, ErrUnknownEncoding) {
		t.Errorf("unknown encoding: got %v", err)
	}
	if _, err := Decode(Encoding, []byte("not gzip")); err == nil {
		t.Error("garbage payload decoded without error")
	}
	if _, err := Encode([]json.RawMessage{json.RawMessage(`{"id":`)}); err == nil {
		t.Error("invalid JSON item encoded without error")
	}
	if items, err := Decode(Encoding, nil); err != nil || items != nil {
		t.Errorf("empty payload: %v %v", items, err)
	}
}

func TestPackerLimits(t *testing.T) {
	p := Packer{MaxItems: 3}
	fulls := 0
	for i := range 7 {
		if p.Add(json.RawMessage(fmt.Sprintf(`{"i":%d}`, i))) {
			fulls++
			if got := len(p.Take()); got != 3 {
				t.Fatalf("full batch has %d items, want 3", got)
			}
		}
	}
	if fulls != 2 || p.Len() != 1 {
		t.Errorf("fulls=%d rest=%d, want 2 and 1", fulls, p.Len())
	}
	p = Packer{MaxRawBytes: 20}
	if !p.Add(json.RawMessage(`{"id":"aaaaaaaaaa"}`)) {
		t.Error("a 20-byte item did not fill a 20-byte packer")
	}
}

func TestEncodeBoundedSplitsIncompressiblePages(t *testing.T) {
	var items []json.RawMessage
	for range 600 {
		b := make([]byte, 2048)
		_, _ = rand.Read(b)
		items = append(items, json.RawMessage(fmt.Sprintf(`{"blob":%q}`, hex.EncodeToString(b))))
	}
	payloads, counts, err := EncodeBounded(items)
	if err != nil {
		t.Fatal(err)
	}
	if len(payloads) < 2 {
		t.Fatalf("2.4 MB of random hex fit in one payload of %d bytes", len(payloads[0]))
	}
	total := 0
	for i, p := range payloads {
		if len(p) > MaxMessageBytes {
			t.Errorf("payload %d is %d bytes", i, len(p))
		}
		got, err := Decode(Encoding, p)
		if err != nil || len(got) != counts[i] {
			t.Errorf("payload %d: %d items (want %d), %v", i, len(got), counts[i], err)
		}
		total += counts[i]
	}
	if total != len(items) {
		t.Errorf("total %d, want %d", total, len(items))
	}
}
