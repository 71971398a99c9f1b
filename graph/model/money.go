// Package model holds the GraphQL types that are not ent entities: the ones
// gqlgen generates into models_gen.go and a few written by hand.
package model

import "github.com/savannah-commerce/savannah/internal/money"

// Money is an amount in a currency, kept in integer minor units; its
// amount is written as a Decimal with the currency's decimals.
type Money struct {
	Amount       money.Amount `json:"amount"`
	CurrencyCode CurrencyCode `json:"currencyCode"`
}

// NewMoney shows integer minor units of currency as Money.
func NewMoney(minor int64, currency string) *Money {
	return &Money{Amount: money.Amount{Minor: minor, Currency: currency}, CurrencyCode: CurrencyCode(currency)}
}
