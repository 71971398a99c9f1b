package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/savannah-commerce/savannah/internal/ratelimit"
)

// Sign-in throttling: each account and each client address has a budget
// of failed sign-ins, a leaky bucket on the rate-limit store
// (ServiceConfig.Failures). An account may fail MaxAccountFailure times at
// once and then once more every FailureWindow; an address MaxAddressFailure
// times, refilled over one FailureWindow. With the budget spent, sign-in
// is refused (before the password is even checked) with the time a next
// attempt fits. A successful sign-in restores the account's budget.
const (
	FailureWindow     = 15 * time.Minute
	MaxAccountFailure = 5
	MaxAddressFailure = 30
)

// failureBudget is one key's bucket of failed sign-ins.
type failureBudget struct {
	policy ratelimit.Policy
	key    string
}

// accountBudget is the failure budget of the account with email.
func accountBudget(email string) failureBudget {
	return failureBudget{ratelimit.Policy{Name: "signin-failures-account", Capacity: MaxAccountFailure, RefillPerSecond: 1 / FailureWindow.Seconds()}, email}
}

// addressBudget is the failure budget of a client address.
func addressBudget(addr string) failureBudget {
	return failureBudget{ratelimit.Policy{Name: "signin-failures-address", Capacity: MaxAddressFailure, RefillPerSecond: MaxAddressFailure / FailureWindow.Seconds()}, addr}
}

// checkThrottle refuses with TOO_MANY_ATTEMPTS when any budget holds less
// than one failure.
func (s *Service) checkThrottle(ctx context.Context, budgets ...failureBudget) error {
	return s.throttle(ctx, "too many failed sign-in attempts", budgets...)
}

// throttle is checkThrottle with what the refusal says was too many.
func (s *Service) throttle(ctx context.Context, what string, budgets ...failureBudget) error {
	for _, b := range budgets {
		res, err := s.cfg.Failures.Take(ctx, b.policy, b.key, 0)
		if err != nil {
			return fmt.Errorf("read %s budget: %w", b.policy.Name, err)
		}
		if res.Available < 1 {
			return tooManyAttempts(what, s.now().Add(b.policy.RetryAfter(res.Available, 1)))
		}
	}
	return nil
}

// countFailure takes one failure from each budget.
func (s *Service) countFailure(ctx context.Context, budgets ...failureBudget) error {
	for _, b := range budgets {
		if _, err := s.cfg.Failures.Take(ctx, b.policy, b.key, 1); err != nil {
			return fmt.Errorf("count %s: %w", b.policy.Name, err)
		}
	}
	return nil
}

// resetFailures restores a budget in full.
func (s *Service) resetFailures(ctx context.Context, b failureBudget) error {
	if _, err := s.cfg.Failures.Take(ctx, b.policy, b.key, -b.policy.Capacity); err != nil {
		return fmt.Errorf("reset sign-in failures: %w", err)
	}
	return nil
}
