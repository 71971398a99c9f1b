package templates_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/notify/templates"
)

// TestAccountMessages: each account event renders its secret on the
// channels it is sent on, and has no template on the others.
func TestAccountMessages(t *testing.T) {
	set := newSet(t)
	link := "https://shop.example/reset-password?email=a%40example.com&token=abc_DEF-123"
	d := templates.Data{StoreName: "Savannah", Secret: link}
	e, err := set.Email(templates.PasswordReset, d)
	require.NoError(t, err)
	require.Contains(t, e.Text, link)
	require.Contains(t, e.HTML, `href="https://shop.example/reset-password?email=a%40example.com&amp;token=abc_DEF-123"`)
	golden(t, "password_reset.email", "Subject: "+e.Subject+"\n\n"+e.Text+"\n"+e.HTML)

	d.Secret = "042917"
	for _, ev := range []templates.Event{templates.PasswordReset, templates.VerifyPhone} {
		sms, err := set.SMS(ev, d)
		require.NoError(t, err)
		require.Contains(t, sms.Body, "042917")
		require.Equal(t, 1, sms.Segments, "one SMS")
		golden(t, string(ev)+".sms", sms.Body+"\n")
	}
	e, err = set.Email(templates.VerifyEmail, d)
	require.NoError(t, err)
	require.Contains(t, e.Text, "042917")
	golden(t, "verify_email.email", "Subject: "+e.Subject+"\n\n"+e.Text+"\n"+e.HTML)

	_, err = set.SMS(templates.VerifyEmail, d)
	require.ErrorIs(t, err, templates.ErrNoTemplate)
	_, err = set.Email(templates.VerifyPhone, d)
	require.ErrorIs(t, err, templates.ErrNoTemplate)
	require.True(t, templates.IsAccount(templates.PasswordReset))
	require.False(t, templates.IsAccount(templates.OrderPlaced))
}
