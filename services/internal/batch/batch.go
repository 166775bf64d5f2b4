// Package batch encodes and decodes the payload of a dhis2sync Batch (proto dhis2sync.batch.v1): a gzip of a
// JSON array of normalised DHIS2 objects ("gzip+json"). The extractor packs source pages with a Packer, which
// sizes them by bytes so that every NATS message stays well under the 1 MB default limit; the loader decodes
// them with Decode.
package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// Encoding is the only payload encoding dhis2sync writes.
const Encoding = "gzip+json"

// MaxMessageBytes is the largest encoded payload a batch may carry: well under NATS's default 1 MB so that the
// protobuf envelope and headers fit beside it.
const MaxMessageBytes = 900 << 10

// ErrUnknownEncoding is returned by Decode for payloads in an encoding this version does not read.
var ErrUnknownEncoding = errors.New("batch: unknown payload encoding")

// Encode returns the gzip of the JSON array of items.
func Encode(items []json.RawMessage) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	if err := writeArray(zw, items); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("batch: compress: %w", err)
	}
	return buf.Bytes(), nil
}

func writeArray(w io.Writer, items []json.RawMessage) error {
	if _, err := w.Write([]byte{'['}); err != nil {
		return fmt.Errorf("batch: compress: %w", err)
	}
	for i, it := range items {
		if i > 0 {
			if _, err := w.Write([]byte{','}); err != nil {
				return fmt.Errorf("batch: compress: %w", err)
			}
		}
		if !json.Valid(it) {
			return fmt.Errorf("batch: item %d is not valid JSON", i)
		}
		if _, err := w.Write(it); err != nil {
			return fmt.Errorf("batch: compress: %w", err)
		}
	}
	if _, err := w.Write([]byte{']'}); err != nil {
		return fmt.Errorf("batch: compress: %w", err)
	}
	return nil
}

// Decode returns the items of a payload. An empty payload is an empty batch (a bare last-of-step marker).
func Decode(encoding string, payload []byte) ([]json.RawMessage, error) {
	if len(payload) == 0 {
		return nil, nil
	}
	if encoding != Encoding {
		return nil, fmt.Errorf("%w %q (this loader reads %q)", ErrUnknownEncoding, encoding, Encoding)
	}
	zr, err := gzip.NewReader(bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("batch: decompress: %w", err)
	}
	defer zr.Close()
	var items []json.RawMessage
	if err := json.NewDecoder(zr).Decode(&items); err != nil {
		return nil, fmt.Errorf("batch: decode JSON array: %w", err)
	}
	return items, nil
}
