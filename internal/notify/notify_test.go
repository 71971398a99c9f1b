package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/notify"
)

func TestClassification(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	tests := []struct {
		name      string
		err       error
		permanent bool
		transient bool
	}{
		{"permanent", notify.Permanent(base), true, false},
		{"permanent wrapped again", fmt.Errorf("send sms: %w", notify.Permanent(base)), true, false},
		{"transient", notify.Transient(base), false, true},
		{"unclassified counts as transient", base, false, false},
		{"context deadline", notify.Transient(context.DeadlineExceeded), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.permanent, notify.IsPermanent(tt.err))
			require.Equal(t, tt.transient, errors.Is(tt.err, notify.ErrTransient))
			if tt.err != base && !errors.Is(tt.err, context.DeadlineExceeded) {
				require.ErrorIs(t, tt.err, base, "the cause stays reachable")
			}
		})
	}
	require.NoError(t, notify.Permanent(nil))
	require.NoError(t, notify.Transient(nil))
	require.Equal(t, "permanent delivery failure: boom", notify.Permanent(base).Error())
}

func TestLogSender(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := notify.NewLogSender(slog.New(slog.NewJSONHandler(&buf, nil)))
	ctx := context.Background()

	res, err := s.SendSMS(ctx, "+254711000001", "Order #1001 placed")
	require.NoError(t, err)
	require.Regexp(t, `^log-[0-9a-f]{16}$`, res.ProviderID)

	res2, err := s.SendEmail(ctx, notify.Email{To: []string{"a@example.com"}, Subject: "Hello", Text: "text part", HTML: "<p>html</p>"})
	require.NoError(t, err)
	require.NotEqual(t, res.ProviderID, res2.ProviderID)

	dec := json.NewDecoder(&buf)
	var sms, mail map[string]any
	require.NoError(t, dec.Decode(&sms))
	require.NoError(t, dec.Decode(&mail))
	require.Equal(t, "+254711000001", sms["to"])
	require.Equal(t, "Order #1001 placed", sms["body"])
	require.Equal(t, res.ProviderID, sms["provider_id"])
	require.Equal(t, "Hello", mail["subject"])
	require.Equal(t, "text part", mail["text"])
	require.Equal(t, []any{"a@example.com"}, mail["to"])
	require.Equal(t, res2.ProviderID, mail["provider_id"])
}
