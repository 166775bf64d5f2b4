package dhis2

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// dataValueDecoder reads a dataValueSets JSON document and hands out each
// data value as soon as it is parsed. It exists because data values are the
// bulk of a sync (millions per run) and reflection-based decoding spends
// most of its time on them; the format is flat, so a small purpose-built
// scanner is several times faster. Unknown keys and nested values are
// skipped; malformed input is an error, never a panic.
type dataValueDecoder struct {
	r   *bufio.Reader
	buf []byte
	// intern shares the strings that repeat across values (UIDs, periods).
	intern map[string]string
}

const maxInterned = 1 << 16

var errSyntax = errors.New("invalid JSON")

func decodeDataValueSet(r *bufio.Reader, fn func(DataValue) error) error {
	d := &dataValueDecoder{r: r, intern: make(map[string]string, 1024)}
	return d.document(fn)
}

func (d *dataValueDecoder) document(fn func(DataValue) error) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c != '{' {
		return d.syntax("expected { at the start of a data value set")
	}
	return d.object(func(key []byte) error {
		if string(key) != "dataValues" && !bytes.EqualFold(key, []byte("dataValues")) {
			return d.skip()
		}
		return d.values(fn)
	})
}

// object reads members until '}' (the '{' is consumed), calling member with
// the decoder positioned at each value.
func (d *dataValueDecoder) object(member func(key []byte) error) error {
	c, done, err := d.first('}')
	if done || err != nil {
		return err
	}
	for {
		if c != '"' {
			return d.syntax("expected an object key")
		}
		key, err := d.str()
		if err != nil {
			return err
		}
		if c, err = d.next(); err != nil {
			return err
		}
		if c != ':' {
			return d.syntax("expected : after an object key")
		}
		if err := member(key); err != nil {
			return err
		}
		var done bool
		if c, done, err = d.more('}', "expected , or } in an object"); done || err != nil {
			return err
		}
	}
}

// first reads the first byte after an opening delimiter: done when it is the closing one (an empty object or
// array).
func (d *dataValueDecoder) first(closing byte) (c byte, done bool, err error) {
	c, err = d.next()
	return c, err == nil && c == closing, err
}

// more reads what follows a member or an element: done at the closing byte, otherwise a comma and then the
// first byte of the next member or element, which it returns.
func (d *dataValueDecoder) more(closing byte, msg string) (c byte, done bool, err error) {
	if c, err = d.next(); err != nil {
		return 0, false, err
	}
	switch c {
	case closing:
		return c, true, nil
	case ',':
		c, err = d.next()
		return c, false, err
	}
	return c, false, d.syntax(msg)
}

func (d *dataValueDecoder) values(fn func(DataValue) error) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return d.literal(c, nil)
	}
	if c != '[' {
		return d.syntax("dataValues is not an array")
	}
	c, done, err := d.first(']')
	if done || err != nil {
		return err
	}
	for {
		if c != '{' {
			return d.syntax("a data value is not an object")
		}
		var dv DataValue
		if err := d.object(func(key []byte) error { return d.field(&dv, key) }); err != nil {
			return err
		}
		if err := fn(dv); err != nil {
			return err
		}
		var done bool
		if c, done, err = d.more(']', "expected , or ] in dataValues"); done || err != nil {
			return err
		}
	}
}

// field decodes one member of a data value.
func (d *dataValueDecoder) field(dv *DataValue, key []byte) error {
	var target *string
	var flag *bool
	interned := true
	switch string(key) {
	case "dataElement":
		target = &dv.DataElement
	case "period":
		target = &dv.Period
	case "orgUnit":
		target = &dv.OrgUnit
	case "categoryOptionCombo":
		target = &dv.CategoryOptionCombo
	case "attributeOptionCombo":
		target = &dv.AttributeOptionCombo
	case "storedBy":
		target = &dv.StoredBy
	case "value":
		target, interned = &dv.Value, false
	case "created":
		target, interned = &dv.Created, false
	case "lastUpdated":
		target, interned = &dv.LastUpdated, false
	case "comment":
		target, interned = &dv.Comment, false
	case "followup":
		flag = &dv.FollowUp
	case "deleted":
		flag = &dv.Deleted
	default:
		if t, f, i, ok := foldedField(dv, key); ok {
			target, flag, interned = t, f, i
		} else {
			return d.skip()
		}
	}
	c, err := d.next()
	if err != nil {
		return err
	}
	switch {
	case c == '"':
		s, err := d.str()
		if err != nil {
			return err
		}
		if flag != nil {
			*flag = string(s) == "true"
			return nil
		}
		if interned {
			*target = d.internString(s)
		} else {
			*target = string(s)
		}
		return nil
	case c == '{' || c == '[':
		return d.skipFrom(c)
	}
	// A literal: a number stays text, a boolean sets the flag, null leaves
	// the field empty.
	lit := d.buf[:0]
	if err := d.literal(c, &lit); err != nil {
		return err
	}
	switch {
	case flag != nil:
		*flag = string(lit) == "true"
	case string(lit) == "null":
	default:
		*target = string(lit)
	}
	return nil
}

// foldedField matches keys case-insensitively, as encoding/json does.
func foldedField(dv *DataValue, key []byte) (*string, *bool, bool, bool) {
	fields := []struct {
		name     string
		s        *string
		b        *bool
		interned bool
	}{
		{"dataElement", &dv.DataElement, nil, true}, {"period", &dv.Period, nil, true}, {"orgUnit", &dv.OrgUnit, nil, true},
		{"categoryOptionCombo", &dv.CategoryOptionCombo, nil, true}, {"attributeOptionCombo", &dv.AttributeOptionCombo, nil, true},
		{"storedBy", &dv.StoredBy, nil, true}, {"value", &dv.Value, nil, false}, {"created", &dv.Created, nil, false},
		{"lastUpdated", &dv.LastUpdated, nil, false}, {"comment", &dv.Comment, nil, false},
		{"followup", nil, &dv.FollowUp, false}, {"deleted", nil, &dv.Deleted, false},
	}
	for _, f := range fields {
		if bytes.EqualFold(key, []byte(f.name)) {
			return f.s, f.b, f.interned, true
		}
	}
	return nil, nil, false, false
}

func (d *dataValueDecoder) internString(b []byte) string {
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.intern) >= maxInterned {
		clear(d.intern)
	}
	d.intern[s] = s
	return s
}

// next returns the next byte that is not white space.
func (d *dataValueDecoder) next() (byte, error) {
	for {
		c, err := d.r.ReadByte()
		if err != nil {
			return 0, d.eof(err)
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c, nil
	}
}

// str reads a string body (the opening quote is consumed) into d.buf,
// resolving escapes. The result is valid until the next call.
func (d *dataValueDecoder) str() ([]byte, error) {
	b := d.buf[:0]
	for {
		n := d.r.Buffered()
		if n == 0 {
			if _, err := d.r.Peek(1); err != nil {
				return nil, d.eof(err)
			}
			n = d.r.Buffered()
		}
		chunk, _ := d.r.Peek(n)
		i := 0
		for i < len(chunk) && chunk[i] != '"' && chunk[i] != '\\' {
			i++
		}
		b = append(b, chunk[:i]...)
		if i == len(chunk) {
			_, _ = d.r.Discard(i)
			continue
		}
		quote := chunk[i] == '"'
		_, _ = d.r.Discard(i + 1)
		if quote {
			d.buf = b
			return b, nil
		}
		var err error
		if b, err = d.escape(b); err != nil {
			return nil, err
		}
	}
}

func (d *dataValueDecoder) escape(b []byte) ([]byte, error) {
	c, err := d.r.ReadByte()
	if err != nil {
		return nil, d.eof(err)
	}
	switch c {
	case '"', '\\', '/':
		return append(b, c), nil
	case 'b':
		return append(b, '\b'), nil
	case 'f':
		return append(b, '\f'), nil
	case 'n':
		return append(b, '\n'), nil
	case 'r':
		return append(b, '\r'), nil
	case 't':
		return append(b, '\t'), nil
	case 'u':
		r, err := d.hex4()
		if err != nil {
			return nil, err
		}
		if utf16.IsSurrogate(r) {
			// A high surrogate must be followed by \uDC00–\uDFFF.
			if p, _ := d.r.Peek(2); len(p) == 2 && p[0] == '\\' && p[1] == 'u' {
				_, _ = d.r.Discard(2)
				r2, err := d.hex4()
				if err != nil {
					return nil, err
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					return utf8.AppendRune(b, dec), nil
				}
				b = utf8.AppendRune(b, utf8.RuneError)
				return utf8.AppendRune(b, r2), nil
			}
			r = utf8.RuneError
		}
		return utf8.AppendRune(b, r), nil
	}
	return nil, d.syntax("invalid escape in a string")
}

func (d *dataValueDecoder) hex4() (rune, error) {
	var h [4]byte
	if _, err := io.ReadFull(d.r, h[:]); err != nil {
		return 0, d.eof(err)
	}
	n, err := strconv.ParseUint(string(h[:]), 16, 32)
	if err != nil {
		return 0, d.syntax("invalid \\u escape")
	}
	return rune(n), nil
}

// literal reads true, false, null or a number starting with c; out, when
// not nil, receives its text.
func (d *dataValueDecoder) literal(c byte, out *[]byte) error {
	lit := append(d.buf[:0], c)
	for {
		b, err := d.r.ReadByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return d.eof(err)
		}
		if b == ',' || b == '}' || b == ']' || b == ' ' || b == '\n' || b == '\r' || b == '\t' {
			_ = d.r.UnreadByte()
			break
		}
		lit = append(lit, b)
	}
	d.buf = lit
	switch string(lit) {
	case "true", "false", "null":
	default:
		if !isJSONNumber(lit) {
			return d.syntax("invalid literal")
		}
	}
	if out != nil {
		*out = lit
	}
	return nil
}

func isJSONNumber(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '0' || b[0] > '9' {
		return false
	}
	_, err := strconv.ParseFloat(string(b), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// skip consumes any value.
func (d *dataValueDecoder) skip() error {
	c, err := d.next()
	if err != nil {
		return err
	}
	return d.skipFrom(c)
}

func (d *dataValueDecoder) skipFrom(c byte) error {
	switch c {
	case '"':
		_, err := d.str()
		return err
	case '{':
		return d.object(func([]byte) error { return d.skip() })
	case '[':
		c, done, err := d.first(']')
		for !done && err == nil {
			if err = d.skipFrom(c); err == nil {
				c, done, err = d.more(']', "expected , or ] in an array")
			}
		}
		return err
	}
	return d.literal(c, nil)
}

func (d *dataValueDecoder) eof(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (d *dataValueDecoder) syntax(msg string) error {
	return fmt.Errorf("%w: %s", errSyntax, msg)
}
