// Package smstest runs a local stand-in for Africa's Talking's messaging
// API on 127.0.0.1, for tests of the SMS client and of notification
// delivery. It checks the apiKey header and the form fields as the real API
// would, records every accepted message, and can be told to misbehave: fail
// the next requests with a 5xx, hang past the client's timeout, or answer a
// chosen per-recipient status, to simulate outages shorter and longer than
// a retry budget.
package smstest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials the server accepts unless told otherwise.
const (
	Username = "sandbox"
	APIKey   = "atsk_test_key"
)

// Message is one message the server accepted.
type Message struct {
	To        string
	Body      string
	From      string
	MessageID string
}

// fault is one queued misbehaviour.
type fault struct {
	httpStatus int // answer with this HTTP status and no recipients
	hang       bool
	recipient  int // answer 201 with this per-recipient status
}

// Server is a fake Africa's Talking messaging endpoint. Its methods are
// safe for concurrent use by the test and the server's handlers.
type Server struct {
	srv     *httptest.Server
	closing chan struct{}

	mu       sync.Mutex
	username string
	apiKey   string
	messages []Message
	faults   []fault
	requests int
	changed  chan struct{} // closed and replaced whenever messages are accepted
	nextID   int
}

// New starts a server that accepts Username and APIKey and stops it when
// the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{closing: make(chan struct{}), username: Username, apiKey: APIKey, changed: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// URL is the base URL to configure the client with (no path).
func (s *Server) URL() string { return s.srv.URL }

// Close releases hanging requests and stops the server. It is called
// automatically when the test ends; calling it twice is harmless.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.closing:
		s.mu.Unlock()
		return
	default:
		close(s.closing)
	}
	s.mu.Unlock()
	s.srv.Close()
}

// SetCredentials changes the username and API key the server accepts.
func (s *Server) SetCredentials(username, apiKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.username, s.apiKey = username, apiKey
}

// FailNext makes the next n requests answer httpStatus (a 5xx for an
// outage) without sending anything.
func (s *Server) FailNext(n, httpStatus int) {
	s.queue(n, fault{httpStatus: httpStatus})
}

// HangNext makes the next n requests hang until the client gives up (or the
// server closes), as a gateway timeout does; nothing is sent.
func (s *Server) HangNext(n int) {
	s.queue(n, fault{hang: true})
}

// RespondNext makes the next n requests answer 201 with the per-recipient
// statusCode (403 InvalidPhoneNumber, 405 InsufficientBalance…); nothing is
// recorded as sent unless the status is a success (100–102).
func (s *Server) RespondNext(n, statusCode int) {
	s.queue(n, fault{recipient: statusCode})
}

// ClearFaults drops every queued misbehaviour: the outage is over.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Pending counts the queued misbehaviours not yet used up.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.faults)
}

func (s *Server) queue(n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
}

// Messages returns a copy of the messages accepted so far, in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Requests counts every request received, including failed and hung ones.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// WaitMessages waits until at least n messages were accepted and returns
// them, or fails the test after timeout.
func (s *Server) WaitMessages(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		s.mu.Lock()
		got, changed := len(s.messages), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Messages()
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("smstest: %d of %d messages after %s", got, n, timeout)
			return nil
		}
	}
}

// e164 is what the API accepts as a number.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// statusText names the per-recipient status codes as the API does.
var statusText = map[int]string{
	100: "Processed", 101: "Success", 102: "Queued",
	401: "RiskHold", 402: "InvalidSenderId", 403: "InvalidPhoneNumber",
	404: "UnsupportedNumberType", 405: "InsufficientBalance", 406: "UserInBlacklist",
	407: "CouldNotRoute", 409: "DoNotDisturbRejection", 500: "InternalServerError",
	501: "GatewayError", 502: "RejectedByGateway",
}

type recipient struct {
	StatusCode int    `json:"statusCode"`
	Number     string `json:"number"`
	Status     string `json:"status"`
	Cost       string `json:"cost"`
	MessageID  string `json:"messageId"`
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	var f fault
	if len(s.faults) > 0 {
		f, s.faults = s.faults[0], s.faults[1:]
	}
	username, apiKey := s.username, s.apiKey
	s.mu.Unlock()

	if r.Method != http.MethodPost || r.URL.Path != "/version1/messaging" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if f.hang {
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
		return
	}
	if f.httpStatus != 0 {
		http.Error(w, http.StatusText(f.httpStatus), f.httpStatus)
		return
	}
	if r.Header.Get("apiKey") != apiKey {
		http.Error(w, "The supplied authentication is invalid", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Accept") != "application/json" {
		http.Error(w, "Accept: application/json expected", http.StatusNotAcceptable)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		http.Error(w, "form-encoded body expected", http.StatusUnsupportedMediaType)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if r.PostForm.Get("username") != username {
		http.Error(w, "The supplied authentication is invalid", http.StatusUnauthorized)
		return
	}
	to, body := r.PostForm.Get("to"), r.PostForm.Get("message")
	if to == "" || body == "" {
		http.Error(w, "to and message are required", http.StatusBadRequest)
		return
	}

	var out []recipient
	sent := 0
	s.mu.Lock()
	for _, num := range strings.Split(to, ",") {
		num = strings.TrimSpace(num)
		code := f.recipient
		switch {
		case code != 0:
		case !e164.MatchString(num):
			code = 403 // InvalidPhoneNumber, as the real API answers
		default:
			code = 101
		}
		rc := recipient{StatusCode: code, Number: num, Status: statusText[code], Cost: "0"}
		if code >= 100 && code <= 102 {
			s.nextID++
			rc.MessageID = fmt.Sprintf("ATXid_%08d", s.nextID)
			rc.Cost = "KES 0.8000"
			s.messages = append(s.messages, Message{To: num, Body: body, From: r.PostForm.Get("from"), MessageID: rc.MessageID})
			sent++
		}
		out = append(out, rc)
	}
	if sent > 0 {
		// Wake WaitMessages.
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()

	var resp struct {
		SMSMessageData struct {
			Message    string      `json:"Message"`
			Recipients []recipient `json:"Recipients"`
		} `json:"SMSMessageData"`
	}
	resp.SMSMessageData.Message = fmt.Sprintf("Sent to %d/%d Total Cost: KES %.4f", sent, len(out), 0.8*float64(sent))
	resp.SMSMessageData.Recipients = out
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(resp)
}
