package errclass

import (
	"errors"
	"io"
	"testing"
)

func TestNewKeepsClassCauseAndMessage(t *testing.T) {
	class := errors.New("unreachable")
	err := New(class, io.ErrUnexpectedEOF, "source: %s", "truncated answer")
	if !errors.Is(err, class) || !errors.Is(err, io.ErrUnexpectedEOF) || err.Error() != "source: truncated answer" {
		t.Errorf("%v: class %v, cause %v", err, errors.Is(err, class), errors.Is(err, io.ErrUnexpectedEOF))
	}
	if errors.Is(New(class, nil, "x"), io.ErrUnexpectedEOF) {
		t.Error("an error without a cause matches one")
	}
}
