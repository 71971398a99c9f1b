package templates

import "github.com/savannah-commerce/savannah/internal/money"

// Money is an amount in minor units of an ISO 4217 currency, the form
// orders and payments keep amounts in. Templates print it through String
// (money.Amount.String): "KES 1,299.00", "UGX 1,500".
type Money = money.Amount
