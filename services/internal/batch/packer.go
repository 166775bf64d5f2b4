package batch

import "encoding/json"

// DefaultMaxRawBytes bounds the uncompressed JSON of one batch. Metadata JSON compresses 5–15× (docs/performance.md
// row 15), so 2 MB raw stays far below MaxMessageBytes; Packer.Encode splits what does not.
const DefaultMaxRawBytes = 2 << 20

// Packer accumulates the objects of one page until a size limit is reached.
type Packer struct {
	// MaxItems caps the objects per batch (the requested page size); 0 means no cap.
	MaxItems int
	// MaxRawBytes caps the uncompressed JSON per batch; 0 means DefaultMaxRawBytes.
	MaxRawBytes int

	items []json.RawMessage
	raw   int
}

// Add appends an object and reports whether the batch is now full.
func (p *Packer) Add(item json.RawMessage) (full bool) {
	p.items = append(p.items, item)
	p.raw += len(item) + 1
	limit := p.MaxRawBytes
	if limit <= 0 {
		limit = DefaultMaxRawBytes
	}
	return p.raw >= limit || (p.MaxItems > 0 && len(p.items) >= p.MaxItems)
}

// Len is the number of objects packed so far.
func (p *Packer) Len() int { return len(p.items) }

// Take returns the packed objects and empties the packer.
func (p *Packer) Take() []json.RawMessage {
	items := p.items
	p.items, p.raw = nil, 0
	return items
}

// EncodeBounded encodes items into one or more payloads, each at most MaxMessageBytes, splitting the list in
// halves where a payload would be too large. It returns the payloads with their item counts.
func EncodeBounded(items []json.RawMessage) ([][]byte, []int, error) {
	payload, err := Encode(items)
	if err != nil {
		return nil, nil, err
	}
	if len(payload) <= MaxMessageBytes || len(items) <= 1 {
		return [][]byte{payload}, []int{len(items)}, nil
	}
	half := len(items) / 2
	p1, n1, err := EncodeBounded(items[:half])
	if err != nil {
		return nil, nil, err
	}
	p2, n2, err := EncodeBounded(items[half:])
	if err != nil {
		return nil, nil, err
	}
	return append(p1, p2...), append(n1, n2...), nil
}
