package graph

import (
	"github.com/savannah-commerce/savannah/graph/model"
	"github.com/savannah-commerce/savannah/internal/checkout"
)

// guestContact is placeOrder's contact for the checkout service.
func guestContact(in *model.GuestContactInput) *checkout.Contact {
	if in == nil {
		return nil
	}
	return &checkout.Contact{Email: in.Email, Phone: in.Phone}
}
