package email

import (
	"bytes"
	"net/mail"
	"time"

	"github.com/savannah-commerce/savannah/internal/notify"
)

// Compose writes the message compose builds, for the external tests,
// which check the MIME structure without a server.
func Compose(from *mail.Address, to []*mail.Address, e notify.Email, date time.Time, id string) ([]byte, error) {
	m, err := compose(from, to, e, date, id)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
