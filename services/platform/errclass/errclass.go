// Package errclass tags an error with a class — a sentinel that a service's one error-mapping place turns into
// a gRPC status — while keeping the error's own message and its cause for errors.Is and errors.As.
package errclass

import "fmt"

// Error is an error of a class, with its message and cause.
type Error struct {
	class error
	msg   string
	cause error
}

func (e *Error) Error() string { return e.msg }

// Unwrap exposes both the class and the cause.
func (e *Error) Unwrap() []error { return []error{e.class, e.cause} }

// New returns an error of class with the formatted message; cause may be nil.
func New(class, cause error, format string, args ...any) error {
	return &Error{class: class, msg: fmt.Sprintf(format, args...), cause: cause}
}
