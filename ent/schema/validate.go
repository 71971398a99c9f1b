package schema

import (
	"errors"
	"regexp"
	"strings"
)

var (
	e164Pattern  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	emailPattern = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// validateEmail accepts only addresses already normalised (trimmed and
// lower-cased), so the unique index on email is case-insensitive in effect.
func validateEmail(s string) error {
	if s != strings.ToLower(strings.TrimSpace(s)) {
		return errors.New("email must be trimmed and lower-case")
	}
	if !emailPattern.MatchString(s) {
		return errors.New("email is not a valid address")
	}
	return nil
}

func validatePhone(s string) error {
	if !e164Pattern.MatchString(s) {
		return errors.New("phone must be in E.164 form, such as +254712345678")
	}
	return nil
}
