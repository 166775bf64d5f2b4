package dhis2

import (
	"encoding/json"
	"fmt"
)

// The helpers below walk a JSON document token by token so that a response
// of any size is decoded with memory bounded by its largest element.

// walkObject reads one JSON object and calls visit for each key with the
// decoder positioned at the value; visit must consume exactly that value.
func walkObject(dec *json.Decoder, visit func(key string) error) error {
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok {
			return fmt.Errorf("expected an object key, got %v", tok)
		}
		if err := visit(key); err != nil {
			return err
		}
	}
	return expectDelim(dec, '}')
}

// forEachElementOrSkip reads one JSON array and calls each for every element
// with the decoder positioned at it; each must consume exactly that element.
// Any other value is consumed and skipped, and isArray is false.
func forEachElementOrSkip(dec *json.Decoder, each func() error) (isArray bool, err error) {
	tok, err := dec.Token()
	if err != nil {
		return false, err
	}
	d, ok := tok.(json.Delim)
	switch {
	case ok && d == '[':
		for dec.More() {
			if err := each(); err != nil {
				return true, err
			}
		}
		return true, expectDelim(dec, ']')
	case ok && d == '{':
		return false, skipRest(dec, 1)
	}
	return false, nil
}

// skipValue consumes the next value without keeping it in memory.
func skipValue(dec *json.Decoder) error { return skipRest(dec, 0) }

// skipRest consumes tokens until depth open delimiters are closed.
func skipRest(dec *json.Decoder, depth int) error {
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q, got %v", want, tok)
	}
	return nil
}
