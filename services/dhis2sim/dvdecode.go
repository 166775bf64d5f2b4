package dhis2sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// decodeDataValueSet reads a dataValueSet (DHIS2's JSON DataValueSet: a few header properties and a flat
// dataValues array) as a stream: encoding/json's tokenizer walks the envelope and each data value is decoded on
// its own, so a request of 10,000 values never holds more than one value's tree at a time. Properties the
// simulator does not use are skipped; a value that is not an object, or malformed JSON anywhere, is an error
// that gives the byte offset.
func decodeDataValueSet(r io.Reader) (*dvSet, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	set := &dvSet{}
	// The set-level properties the simulator keeps; DHIS2 accepts completedDate as well as completeDate.
	headers := map[string]*string{"dataSet": &set.DataSet, "period": &set.Period, "orgUnit": &set.OrgUnit,
		"attributeOptionCombo": &set.AttributeOptionCombo, "completeDate": &set.CompleteDate, "completedDate": &set.CompleteDate}
	for dec.More() {
		key, err := nextKey(dec)
		if err != nil {
			return nil, err
		}
		if key == "dataValues" {
			if err := readValues(dec, set); err != nil {
				return nil, err
			}
			continue
		}
		field := headers[key]
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, payloadError(dec, err)
		}
		if field != nil && len(raw) > 0 && raw[0] == '"' {
			if err := json.Unmarshal(raw, field); err != nil {
				return nil, payloadError(dec, err)
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	return set, nil
}

// readValues decodes the dataValues array (null is an empty one) one value at a time.
func readValues(dec *json.Decoder, set *dvSet) error {
	tok, err := dec.Token()
	if err != nil {
		return payloadError(dec, err)
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return payloadError(dec, fmt.Errorf("dataValues must be an array, found %v", tok))
	}
	for dec.More() {
		var v dvIn
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("data value %d: %w", len(set.Values), payloadError(dec, err))
		}
		set.Values = append(set.Values, v)
	}
	return expectDelim(dec, ']')
}

func nextKey(dec *json.Decoder) (string, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", payloadError(dec, err)
	}
	key, ok := tok.(string)
	if !ok {
		return "", payloadError(dec, fmt.Errorf("expected a property name, found %v", tok))
	}
	return key, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return payloadError(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return payloadError(dec, fmt.Errorf("expected %q, found %v", want, tok))
	}
	return nil
}

func payloadError(dec *json.Decoder, err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("invalid JSON payload at byte %d: %w", dec.InputOffset(), err)
}
