// Package notify defines how Savannah talks to its customers and staff
// outside the graph: one small sender interface per channel (SMS, email),
// the messages they carry, and the classification of delivery errors into
// permanent and transient, so that a job runner can retry what may succeed
// later and give up on what never will.
//
// Channel implementations live in subpackages (sms, email); the message
// texts in templates. LogSender is the development default: it writes each
// message to the log and reports success, so the whole flow is visible with
// nothing configured.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
)

// SMSSender sends one text message to one phone number in E.164 form
// (+254711000000). Errors wrap ErrPermanent or ErrTransient.
type SMSSender interface {
	SendSMS(ctx context.Context, to, body string) (SendResult, error)
}

// EmailSender sends one email message to its recipients. Errors wrap
// ErrPermanent or ErrTransient.
type EmailSender interface {
	SendEmail(ctx context.Context, e Email) (SendResult, error)
}

// Email is one email message: every address in To receives the same
// message in one delivery, so the customer's and the administrators'
// copies are separate Emails.
type Email struct {
	// To lists the recipients' addresses (RFC 5322, with or without a
	// display name).
	To []string
	// Subject is one line of plain text; any line breaks are folded away.
	Subject string
	// Text is the plain-text part.
	Text string
	// HTML is the HTML part; when empty the message is text only.
	HTML string
}

// SendResult is what a provider said about an accepted message.
type SendResult struct {
	// ProviderID is the provider's identifier for the message (Africa's
	// Talking messageId, the email's Message-ID), kept in the delivery log
	// so a complaint can be traced at the provider.
	ProviderID string
	// Cost is the provider's charge as it reported it ("KES 0.8000"),
	// empty when unknown.
	Cost string
}

// ErrPermanent marks a delivery that will fail again however often it is
// retried: an invalid number or address, rejected credentials, a
// blacklisted recipient. A job runner fails the notification at once.
var ErrPermanent = errors.New("permanent delivery failure")

// ErrTransient marks a delivery that may succeed later: a provider outage,
// a timeout, a full mailbox, insufficient credit. A job runner retries it
// with backoff.
var ErrTransient = errors.New("transient delivery failure")

// Permanent wraps err so that IsPermanent reports true; the message reads
// "permanent delivery failure: <err>".
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// Transient wraps err so that IsPermanent reports false and errors.Is(err,
// ErrTransient) holds.
func Transient(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrTransient, err)
}

// IsPermanent reports whether err must not be retried. Errors that were
// not classified count as transient: retrying a message that cannot be
// sent costs a few attempts, while giving up on one that could have been
// sent loses it.
func IsPermanent(err error) bool {
	return errors.Is(err, ErrPermanent)
}

// LogSender writes every message to its logger instead of sending it, and
// reports success. It is the default when no provider is configured, so
// development shows each notification in the server's log.
type LogSender struct {
	logger *slog.Logger
}

// NewLogSender returns a LogSender writing to logger.
func NewLogSender(logger *slog.Logger) *LogSender {
	return &LogSender{logger: logger}
}

// SendSMS logs the message and returns a made-up provider ID.
func (s *LogSender) SendSMS(ctx context.Context, to, body string) (SendResult, error) {
	id := "log-" + randomID()
	s.logger.InfoContext(ctx, "sms not sent: no SMS provider configured",
		slog.String("provider_id", id), slog.String("to", to), slog.String("body", body))
	return SendResult{ProviderID: id}, nil
}

// SendEmail logs the message (its text part, not the HTML) and returns a
// made-up provider ID.
func (s *LogSender) SendEmail(ctx context.Context, e Email) (SendResult, error) {
	id := "log-" + randomID()
	s.logger.InfoContext(ctx, "email not sent: no SMTP server configured",
		slog.String("provider_id", id), slog.Any("to", e.To),
		slog.String("subject", e.Subject), slog.String("text", e.Text))
	return SendResult{ProviderID: id}, nil
}

// randomID returns 16 random hex digits.
func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

var (
	_ SMSSender   = (*LogSender)(nil)
	_ EmailSender = (*LogSender)(nil)
)
