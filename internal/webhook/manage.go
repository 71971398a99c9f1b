package webhook

import (
	"context"
	"fmt"
	"slices"

	"github.com/riverqueue/river"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/webhookdelivery"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/input"
)

// SubscriptionInput is what staff give for a subscription; nil fields of
// an update are left as they are.
type SubscriptionInput struct {
	URL        *string
	EventTypes []string
	Active     *bool
}

// validate checks in, naming each fault at its field.
func (s *Service) validate(in SubscriptionInput, create bool) error {
	var ps input.Problems
	switch {
	case in.URL == nil && create:
		ps.Add(input.ErrRequired, "a URL is required", "input", "url")
	case in.URL != nil:
		if len(*in.URL) > 2000 {
			ps.Add(input.ErrInvalid, "must be at most 2000 characters", "input", "url")
		} else if err := CheckURL(*in.URL, s.cfg.AllowLoopback); err != nil {
			ps.Add(input.ErrInvalid, err.Error(), "input", "url")
		}
	}
	if create && len(in.EventTypes) == 0 {
		ps.Add(input.ErrRequired, "at least one event type is required", "input", "eventTypes")
	}
	for _, t := range in.EventTypes {
		if !slices.Contains(EventTypes(), EventType(t)) {
			ps.Add(input.ErrInvalid, fmt.Sprintf("unknown event type %q", t), "input", "eventTypes")
		}
	}
	return ps.Err()
}

// Create subscribes a URL; the secret is returned once, here.
func (s *Service) Create(ctx context.Context, client *ent.Client, in SubscriptionInput) (*ent.WebhookSubscription, string, error) {
	if err := s.validate(in, true); err != nil {
		return nil, "", err
	}
	secret := NewSecret()
	sub, err := client.WebhookSubscription.Create().SetURL(*in.URL).SetEventTypes(dedupe(in.EventTypes)).SetSecret(secret).Save(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("webhook: create subscription: %w", err)
	}
	return sub, secret, nil
}

// Update changes a subscription; activating it closes its circuit.
func (s *Service) Update(ctx context.Context, client *ent.Client, id int, in SubscriptionInput) (*ent.WebhookSubscription, error) {
	if err := s.validate(in, false); err != nil {
		return nil, err
	}
	upd := client.WebhookSubscription.UpdateOneID(id)
	if in.URL != nil {
		upd.SetURL(*in.URL)
	}
	if in.EventTypes != nil {
		upd.SetEventTypes(dedupe(in.EventTypes))
	}
	if in.Active != nil {
		upd.SetActive(*in.Active)
		if *in.Active {
			upd.SetDisabledReason("").SetConsecutiveFailures(0).ClearFailingSince()
		}
	}
	sub, err := upd.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound()
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: update subscription: %w", err)
	}
	return sub, nil
}

// Delete removes a subscription and its delivery log.
func (s *Service) Delete(ctx context.Context, client *ent.Client, id int) error {
	if _, err := client.WebhookDelivery.Delete().Where(webhookdelivery.SubscriptionID(id)).Exec(ctx); err != nil {
		return fmt.Errorf("webhook: delete deliveries: %w", err)
	}
	err := client.WebhookSubscription.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return notFound()
	}
	if err != nil {
		return fmt.Errorf("webhook: delete subscription: %w", err)
	}
	return nil
}

// RotateSecret gives a subscription a new secret, returned once.
func (s *Service) RotateSecret(ctx context.Context, client *ent.Client, id int) (*ent.WebhookSubscription, string, error) {
	secret := NewSecret()
	sub, err := client.WebhookSubscription.UpdateOneID(id).SetSecret(secret).Save(ctx)
	if ent.IsNotFound(err) {
		return nil, "", notFound()
	}
	if err != nil {
		return nil, "", fmt.Errorf("webhook: rotate secret: %w", err)
	}
	return sub, secret, nil
}

// Redeliver sends a delivery again, with the same event ID and body and a
// fresh budget of attempts, in the transaction ctx runs in.
func (s *Service) Redeliver(ctx context.Context, client *ent.Client, id int) (*ent.WebhookDelivery, error) {
	tx, err := database.SQLTx(ctx)
	if err != nil {
		return nil, fmt.Errorf("webhook: redeliver must run in a transaction: %w", err)
	}
	d, err := client.WebhookDelivery.UpdateOneID(id).SetState(webhookdelivery.StatePENDING).ClearNextAttemptAt().Save(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound()
	}
	if err != nil {
		return nil, fmt.Errorf("webhook: redeliver: %w", err)
	}
	if _, err := s.cfg.Jobs.InsertManyTx(ctx, tx, []river.InsertManyParams{{Args: DeliverArgs{DeliveryID: id}, InsertOpts: s.insertOpts()}}); err != nil {
		return nil, fmt.Errorf("webhook: enqueue redelivery: %w", err)
	}
	return d, nil
}

// TestData is the data of a test event.
type TestData struct {
	Message string `json:"message"`
}

// SendTest sends a webhook.test event to one subscription.
func (s *Service) SendTest(ctx context.Context, client *ent.Client, id int) (*ent.WebhookDelivery, error) {
	// Read with the viewer's rights: one who may not see it gets NOT_FOUND.
	if _, err := client.WebhookSubscription.Get(ctx, id); ent.IsNotFound(err) {
		return nil, notFound()
	} else if err != nil {
		return nil, fmt.Errorf("webhook: test event: %w", err)
	}
	rows, err := s.write(ctx, client, Test, TestData{Message: "a test event from Savannah"}, []int{id})
	if err != nil {
		return nil, err
	}
	return rows[0], nil
}

func notFound() error { return input.Fail(input.ErrNotFound, "no such webhook", "id") }

func dedupe(ts []string) []string {
	out := slices.Clone(ts)
	slices.Sort(out)
	return slices.Compact(out)
}
