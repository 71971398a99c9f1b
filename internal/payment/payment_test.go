package payment_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/payment"
)

func TestCashOnDeliveryStaysPending(t *testing.T) {
	t.Parallel()
	var p payment.Provider = payment.CashOnDelivery{}
	require.Equal(t, payment.MethodCashOnDelivery, p.Method())

	started, err := p.Start(context.Background(), payment.Request{Amount: payment.Money{Minor: 129950, Currency: "KES"}, Reference: "SV-1"})
	require.NoError(t, err)
	require.Equal(t, payment.StatePending, started.State)
	require.Empty(t, started.RequestID)

	res, err := p.Status(context.Background(), started.RequestID)
	require.NoError(t, err)
	require.Equal(t, payment.StatePending, res.State)

	tests := []struct {
		name   string
		amount payment.Money
		want   error
	}{
		{"zero", payment.Money{Currency: "KES"}, payment.ErrInvalidAmount},
		{"negative", payment.Money{Minor: -1, Currency: "KES"}, payment.ErrInvalidAmount},
		{"no currency", payment.Money{Minor: 100}, payment.ErrUnsupportedCurrency},
	}
	for _, tt := range tests {
		_, err := p.Start(context.Background(), payment.Request{Amount: tt.amount})
		require.ErrorIs(t, err, tt.want, tt.name)
	}
}

func TestProviderErrorClass(t *testing.T) {
	t.Parallel()
	cause := context.DeadlineExceeded
	transient := fmt.Errorf("pay order: %w", &payment.ProviderError{Transient: true, Op: "mpesa stk push", Err: cause})
	require.ErrorIs(t, transient, payment.ErrTransient)
	require.NotErrorIs(t, transient, payment.ErrRejected)
	require.ErrorIs(t, transient, context.DeadlineExceeded)
	require.Equal(t, "pay order: mpesa stk push: transient: context deadline exceeded", transient.Error())

	rejected := &payment.ProviderError{Op: "mpesa stk push", HTTPStatus: 400, Code: "400.002.02", Message: "Bad Request - Invalid PhoneNumber"}
	require.ErrorIs(t, rejected, payment.ErrRejected)
	require.NotErrorIs(t, rejected, payment.ErrTransient)
	require.False(t, errors.Is(rejected, payment.ErrInvalidAmount))
	require.Equal(t, "mpesa stk push: rejected: http 400: 400.002.02: Bad Request - Invalid PhoneNumber", rejected.Error())
}
