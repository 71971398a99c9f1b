// Package mpesa is the M-Pesa payment provider: a client of Safaricom's
// Daraja API that starts Lipa na M-Pesa Online (STK push) payments, queries
// their status, and parses the result callbacks Daraja posts to the store.
//
// # Flow
//
// Client.Start sends an STK push: the customer's phone shows a prompt for
// the amount and the order number, and Daraja answers at once with a
// CheckoutRequestID (payment.Started.RequestID). The outcome arrives later
// as a callback to Config.CallbackEndpoint; the webhook hands the body to
// ParseCallback and matches Callback.CheckoutRequestID and Callback.Amount
// against the recorded payment. Callbacks can be repeated, so applying one
// must be idempotent; they can also be lost, so a periodic job calls
// Client.Status for payments left pending for a while. A status query
// carries no receipt number and no amount: a payment recovered that way
// has an empty payment.Result.Reference.
//
// # Security
//
// Daraja does not sign callbacks. The webhook must check the secret path
// segment (Config.CallbackSecretMatches), accept only CheckoutRequestIDs it
// issued, and compare the amount with the one it asked for.
//
// # Amounts and phones
//
// M-Pesa moves whole shillings: an amount with a non-zero cents part is
// refused with payment.ErrInvalidAmount rather than rounded, so the store
// never charges something other than its total. Only KES is accepted. Phone
// numbers are Safaricom mobile numbers (+2547XXXXXXXX or +2541XXXXXXXX);
// the local forms 07…/01… and 2547… are accepted too and sent as
// 2547XXXXXXXX.
//
// # Errors
//
// Network errors, timeouts, HTTP 5xx and 429 are transient
// (errors.Is(err, payment.ErrTransient)); other 4xx answers and a non-zero
// ResponseCode are permanent (payment.ErrRejected). A 401 (or Daraja's
// "404.001.03 Invalid Access Token") makes the client fetch a new token and
// retry once. A transient error from Start leaves the push's fate unknown.
//
// # Configuration
//
// The server is expected to fill Config from these environment variables
// (not wired here):
//
//	MPESA_BASE_URL          Daraja base URL (SandboxBaseURL or LiveBaseURL)
//	MPESA_CONSUMER_KEY      Daraja app consumer key
//	MPESA_CONSUMER_SECRET   Daraja app consumer secret
//	MPESA_SHORTCODE         business short code (pay bill or store number)
//	MPESA_PASSKEY           Lipa na M-Pesa Online pass key
//	MPESA_CALLBACK_URL      public webhook URL without the secret, e.g. https://shop.example/webhooks/mpesa
//	MPESA_CALLBACK_SECRET   unguessable path segment appended to MPESA_CALLBACK_URL
//	MPESA_TRANSACTION_TYPE  CustomerPayBillOnline (default) or CustomerBuyGoodsOnline
//	MPESA_TILL_NUMBER       till receiving Buy Goods payments
//	MPESA_TIMEOUT           per-request timeout (default 15s)
//
// Tests drive the client against mpesatest, a local Daraja.
package mpesa
