package dhis2

import "errors"

// asError finds an error of this package, or a wrapped cancellation.
func asError(err error) (error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return err, true
	}
	var ce ctxErr
	if errors.As(err, &ce) {
		return err, true
	}
	return nil, false
}

// ctxErr marks a wrapped context cancellation.
type ctxErr struct{ err error }

func (c ctxErr) Error() string { return c.err.Error() }
func (c ctxErr) Unwrap() error { return c.err }
