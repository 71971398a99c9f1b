package auth

import (
	"fmt"
	"time"

	"github.com/savannah-commerce/savannah/internal/input"
)

// What the user can fix is reported as an *input.Error, the one user-error
// model of every service: a Service method that returns one wrote nothing
// (the one exception: a reused refresh token revokes its family).

// tooManyAttempts says when to retry, in the message (clients show it).
func tooManyAttempts(what string, until time.Time) error {
	return input.Fail(input.ErrTooManyAttempts,
		fmt.Sprintf("%s; try again after %s", what, until.UTC().Format(time.RFC3339)))
}
