package auth

import (
	"context"
	"fmt"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/order"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// claimGuestOrders makes the guest orders placed with contact (a
// normalised email or E.164 phone, as checkout stored it) the customer's,
// in the transaction of db: it is called only where contact has just been
// proven to be the customer's (a verification code, a reset link, a
// provider's verified email), so an unverified registration claims
// nothing. It returns how many orders it claimed.
func claimGuestOrders(ctx context.Context, db *ent.Client, customerID int, contact string) (int, error) {
	if contact == "" {
		return 0, nil
	}
	sys := viewer.System(ctx, "auth: claim guest orders with a verified contact")
	n, err := db.Order.Update().
		Where(order.GuestContact(contact), order.CustomerIDIsNil(), order.GuestCartTokenNotNil()).
		SetCustomerID(customerID).
		Save(sys)
	if err != nil {
		return 0, fmt.Errorf("claim guest orders: %w", err)
	}
	return n, nil
}
