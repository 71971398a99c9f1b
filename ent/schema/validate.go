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

var voucherCodePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{2,63}$`)

// CheckVoucherCode accepts a voucher code as stored: upper-case letters,
// digits, - and _, 3 to 64 long (internal/promotion normalises input).
func CheckVoucherCode(s string) error {
	if !voucherCodePattern.MatchString(s) {
		return errors.New("a code is 3 to 64 upper-case letters, digits, - or _")
	}
	return nil
}
