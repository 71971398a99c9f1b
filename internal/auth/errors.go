package auth

import (
	"fmt"
	"strings"
	"time"
)

// Codes of the contract's ErrorCode enum that this package reports.
const (
	CodeInvalid            = "INVALID"
	CodeRequired           = "REQUIRED"
	CodeTaken              = "TAKEN"
	CodeNotFound           = "NOT_FOUND"
	CodeInvalidCredentials = "INVALID_CREDENTIALS"
	CodeInvalidToken       = "INVALID_TOKEN"
	CodeTooManyAttempts    = "TOO_MANY_ATTEMPTS"
)

// FieldError is one problem the user can fix: the path of the input field
// at fault (nil when no single field is), a contract code and a message.
type FieldError struct {
	Field   []string
	Code    string
	Message string
}

// UserErrors are the problems found with a request. When a Service method
// returns them, it wrote nothing (the one exception: a reused refresh
// token revokes its family).
type UserErrors []FieldError

// Error lists the problems, for logs; clients get them field by field.
func (e UserErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = fmt.Sprintf("%s: %s", strings.Join(f.Field, "."), f.Message)
	}
	return strings.Join(parts, "; ")
}

func userError(field []string, code, msg string) UserErrors {
	return UserErrors{{Field: field, Code: code, Message: msg}}
}

// tooManyAttempts says when to retry, in the message (clients show it).
func tooManyAttempts(until time.Time) UserErrors {
	return userError(nil, CodeTooManyAttempts,
		fmt.Sprintf("too many failed sign-in attempts; try again after %s", until.UTC().Format(time.RFC3339)))
}

// checker gathers field errors, so a form gets all its problems at once.
type checker struct{ errs UserErrors }

func (c *checker) add(field []string, code, msg string) {
	c.errs = append(c.errs, FieldError{Field: field, Code: code, Message: msg})
}

func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}
