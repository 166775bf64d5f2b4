package dhis2sim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// dvScanner is a streaming reader for dataValueSet JSON. Data values are flat objects, so a small scanner
// over a bufio.Reader decodes them several times faster than encoding/json's reflection, which matters for
// the simulator's import throughput; anything nested is skipped or rejected with a clear error.
type dvScanner struct {
	r   *bufio.Reader
	buf []byte
	off int64
}

func (s *dvScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("invalid JSON payload at byte %d: %s", s.off, fmt.Sprintf(format, args...))
}

func (s *dvScanner) next() (byte, error) {
	c, err := s.r.ReadByte()
	if err == nil {
		s.off++
	}
	return c, err
}

func (s *dvScanner) skipSpace() (byte, error) {
	for {
		c, err := s.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0, s.errorf("unexpected end of input")
			}
			return 0, err
		}
		if c != ' ' && c != '\n' && c != '\r' && c != '\t' {
			return c, nil
		}
	}
}

func (s *dvScanner) expect(want byte) error {
	c, err := s.skipSpace()
	if err != nil {
		return err
	}
	if c != want {
		return s.errorf("expected %q, found %q", want, c)
	}
	return nil
}

// readString reads a JSON string whose opening quote has been consumed.
func (s *dvScanner) readString() (string, error) {
	s.buf = s.buf[:0]
	for {
		c, err := s.next()
		if err != nil {
			return "", s.errorf("unterminated string")
		}
		switch {
		case c == '"':
			return string(s.buf), nil
		case c == '\\':
			e, err := s.next()
			if err != nil {
				return "", s.errorf("unterminated string")
			}
			switch e {
			case '"', '\\', '/':
				s.buf = append(s.buf, e)
			case 'b':
				s.buf = append(s.buf, '\b')
			case 'f':
				s.buf = append(s.buf, '\f')
			case 'n':
				s.buf = append(s.buf, '\n')
			case 'r':
				s.buf = append(s.buf, '\r')
			case 't':
				s.buf = append(s.buf, '\t')
			case 'u':
				r, err := s.readHex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					if c1, _ := s.next(); c1 == '\\' {
						if c2, _ := s.next(); c2 == 'u' {
							r2, err := s.readHex4()
							if err != nil {
								return "", err
							}
							r = utf16.DecodeRune(r, r2)
						}
					}
				}
				s.buf = utf8.AppendRune(s.buf, r)
			default:
				return "", s.errorf("invalid escape \\%c", e)
			}
		case c < 0x20:
			return "", s.errorf("control character in string")
		default:
			s.buf = append(s.buf, c)
		}
	}
}

func (s *dvScanner) readHex4() (rune, error) {
	var h [4]byte
	for i := range h {
		c, err := s.next()
		if err != nil {
			return 0, s.errorf("invalid \\u escape")
		}
		h[i] = c
	}
	n, err := strconv.ParseUint(string(h[:]), 16, 32)
	if err != nil {
		return 0, s.errorf("invalid \\u escape")
	}
	return rune(n), nil
}

// readLiteral reads a number, true, false or null starting with c.
func (s *dvScanner) readLiteral(c byte) (string, error) {
	s.buf = append(s.buf[:0], c)
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			break
		}
		if b == ',' || b == '}' || b == ']' || b == ' ' || b == '\n' || b == '\r' || b == '\t' {
			_ = s.r.UnreadByte()
			break
		}
		s.off++
		s.buf = append(s.buf, b)
	}
	lit := string(s.buf)
	switch lit {
	case "true", "false", "null":
		return lit, nil
	}
	if !json.Valid(s.buf) {
		return "", s.errorf("invalid literal %q", lit)
	}
	return lit, nil
}

// skipValue skips a value starting with c (used for keys the simulator ignores).
func (s *dvScanner) skipValue(c byte) error {
	switch c {
	case '"':
		_, err := s.readString()
		return err
	case '{', '[':
		depth := 1
		for depth > 0 {
			b, err := s.next()
			if err != nil {
				return s.errorf("unterminated value")
			}
			switch b {
			case '"':
				if _, err := s.readString(); err != nil {
					return err
				}
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
		}
		return nil
	}
	_, err := s.readLiteral(c)
	return err
}

// readDataValue reads one flat data value object whose '{' has been consumed.
func (s *dvScanner) readDataValue(v *dvIn) error {
	c, err := s.skipSpace()
	if err != nil {
		return err
	}
	if c == '}' {
		return nil
	}
	for {
		if c != '"' {
			return s.errorf("expected a property name")
		}
		key, err := s.readString()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		c, err = s.skipSpace()
		if err != nil {
			return err
		}
		var str string
		isString, isNull := c == '"', false
		switch {
		case isString:
			str, err = s.readString()
		case c == '{' || c == '[':
			err = s.skipValue(c)
			isNull = true
		default:
			str, err = s.readLiteral(c)
			isNull = str == "null"
		}
		if err != nil {
			return err
		}
		if !isNull {
			s.assign(v, key, str, isString)
		}
		c, err = s.skipSpace()
		if err != nil {
			return err
		}
		if c == '}' {
			return nil
		}
		if c != ',' {
			return s.errorf("expected ',' or '}'")
		}
		if c, err = s.skipSpace(); err != nil {
			return err
		}
	}
}

func (s *dvScanner) assign(v *dvIn, key, str string, isString bool) {
	switch key {
	case "dataElement":
		v.DataElement = str
	case "period":
		v.Period = str
	case "orgUnit":
		v.OrgUnit = str
	case "categoryOptionCombo":
		v.CategoryOptionCombo = str
	case "attributeOptionCombo":
		v.AttributeOptionCombo = str
	case "value":
		v.Value = json.RawMessage(nil)
		v.valueStr, v.hasValue = str, true
	case "storedBy":
		v.StoredBy = str
	case "created":
		v.Created = str
	case "lastUpdated":
		v.LastUpdated = str
	case "comment":
		c := str
		v.Comment = &c
	case "followup", "followUp":
		b := str == "true"
		v.FollowUp = &b
	case "deleted":
		b := str == "true"
		v.Deleted = &b
	}
}

// decodeDataValueSet reads a dataValueSet as a stream, one value at a time.
func decodeDataValueSet(r io.Reader) (*dvSet, error) {
	s := &dvScanner{r: bufio.NewReaderSize(r, 64<<10)}
	if err := s.expect('{'); err != nil {
		return nil, err
	}
	set := &dvSet{}
	c, err := s.skipSpace()
	if err != nil {
		return nil, err
	}
	for c != '}' {
		if c != '"' {
			return nil, s.errorf("expected a property name")
		}
		key, err := s.readString()
		if err != nil {
			return nil, err
		}
		if err := s.expect(':'); err != nil {
			return nil, err
		}
		if c, err = s.skipSpace(); err != nil {
			return nil, err
		}
		switch {
		case key == "dataValues" && c == '[':
			if err := s.readValues(set); err != nil {
				return nil, err
			}
		case c == '"':
			str, err := s.readString()
			if err != nil {
				return nil, err
			}
			switch key {
			case "dataSet":
				set.DataSet = str
			case "period":
				set.Period = str
			case "orgUnit":
				set.OrgUnit = str
			case "attributeOptionCombo":
				set.AttributeOptionCombo = str
			case "completeDate", "completedDate":
				set.CompleteDate = str
			}
		default:
			if err := s.skipValue(c); err != nil {
				return nil, err
			}
		}
		if c, err = s.skipSpace(); err != nil {
			return nil, err
		}
		if c == ',' {
			if c, err = s.skipSpace(); err != nil {
				return nil, err
			}
		} else if c != '}' {
			return nil, s.errorf("expected ',' or '}'")
		}
	}
	return set, nil
}

func (s *dvScanner) readValues(set *dvSet) error {
	c, err := s.skipSpace()
	if err != nil {
		return err
	}
	for c != ']' {
		if c != '{' {
			return s.errorf("data value %d is not an object", len(set.Values))
		}
		var v dvIn
		if err := s.readDataValue(&v); err != nil {
			return fmt.Errorf("data value %d: %w", len(set.Values), err)
		}
		set.Values = append(set.Values, v)
		if c, err = s.skipSpace(); err != nil {
			return err
		}
		if c == ',' {
			if c, err = s.skipSpace(); err != nil {
				return err
			}
		} else if c != ']' {
			return s.errorf("expected ',' or ']'")
		}
	}
	return nil
}
