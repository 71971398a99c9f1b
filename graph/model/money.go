// Package model holds the GraphQL types that are not ent entities: the ones
// gqlgen generates into models_gen.go and a few written by hand.
package model

import "github.com/shopspring/decimal"

// Money is an amount in a currency, built from integer minor units.
type Money struct {
	Amount       decimal.Decimal `json:"amount"`
	CurrencyCode CurrencyCode    `json:"currencyCode"`
}

// NewMoney converts integer minor units (cents) into Money.
func NewMoney(minor int64, currency string) *Money {
	return &Money{Amount: decimal.New(minor, -2), CurrencyCode: CurrencyCode(currency)}
}
