package graph

import "github.com/savannah-commerce/savannah/ent"

// secretOf is a new secret to show once, or nil when nothing was written.
func secretOf(sub *ent.WebhookSubscription, secret string) *string {
	if sub == nil {
		return nil
	}
	return &secret
}
