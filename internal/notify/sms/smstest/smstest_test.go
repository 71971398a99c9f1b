package smstest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/notify/sms/smstest"
)

type answer struct {
	SMSMessageData struct {
		Message    string
		Recipients []struct {
			StatusCode int    `json:"statusCode"`
			Number     string `json:"number"`
			Status     string `json:"status"`
			MessageID  string `json:"messageId"`
		}
	}
}

// post sends a raw request, as a client other than ours might.
func post(t *testing.T, s *smstest.Server, key string, form url.Values) (int, answer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/version1/messaging", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("apiKey", key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var a answer
	if resp.StatusCode == http.StatusCreated {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&a))
	}
	return resp.StatusCode, a
}

func TestServerSpeaksTheAPI(t *testing.T) {
	t.Parallel()
	s := smstest.New(t)
	form := url.Values{"username": {smstest.Username}, "to": {"+254711000001,0711000002"}, "message": {"hi"}}

	code, a := post(t, s, smstest.APIKey, form)
	require.Equal(t, http.StatusCreated, code)
	require.Len(t, a.SMSMessageData.Recipients, 2)
	require.Equal(t, 101, a.SMSMessageData.Recipients[0].StatusCode)
	require.Equal(t, "Success", a.SMSMessageData.Recipients[0].Status)
	require.Equal(t, 403, a.SMSMessageData.Recipients[1].StatusCode, "a number not in E.164 form is refused")
	require.Equal(t, "Sent to 1/2 Total Cost: KES 0.8000", a.SMSMessageData.Message)
	require.Equal(t, []smstest.Message{{To: "+254711000001", Body: "hi", MessageID: a.SMSMessageData.Recipients[0].MessageID}}, s.Messages())

	code, _ = post(t, s, "wrong", form)
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = post(t, s, smstest.APIKey, url.Values{"username": {smstest.Username}, "to": {"+254711000001"}})
	require.Equal(t, http.StatusBadRequest, code, "the message is required")

	s.SetCredentials("other", "other-key")
	code, _ = post(t, s, smstest.APIKey, form)
	require.Equal(t, http.StatusUnauthorized, code)
	require.Equal(t, 4, s.Requests())
}

func TestFaultsAreUsedInOrderAndCleared(t *testing.T) {
	t.Parallel()
	s := smstest.New(t)
	form := url.Values{"username": {smstest.Username}, "to": {"+254711000001"}, "message": {"hi"}}
	s.FailNext(2, http.StatusServiceUnavailable)
	s.RespondNext(1, 405)
	require.Equal(t, 3, s.Pending())

	for range 2 {
		code, _ := post(t, s, smstest.APIKey, form)
		require.Equal(t, http.StatusServiceUnavailable, code)
	}
	code, a := post(t, s, smstest.APIKey, form)
	require.Equal(t, http.StatusCreated, code)
	require.Equal(t, 405, a.SMSMessageData.Recipients[0].StatusCode)
	require.Equal(t, "InsufficientBalance", a.SMSMessageData.Recipients[0].Status)
	require.Empty(t, s.Messages())

	s.FailNext(100, http.StatusBadGateway)
	s.ClearFaults()
	require.Zero(t, s.Pending())
	code, _ = post(t, s, smstest.APIKey, form)
	require.Equal(t, http.StatusCreated, code)
	require.Len(t, s.WaitMessages(t, 1, time.Second), 1)
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	t.Parallel()
	s := smstest.New(t)
	s.HangNext(1)
	done := make(chan error, 1)
	go func() {
		resp, err := http.Post(s.URL()+"/version1/messaging", "application/x-www-form-urlencoded", strings.NewReader("x=1"))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return s.Requests() == 1 }, 5*time.Second, 5*time.Millisecond)
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked on a hanging request")
	}
	if err := <-done; err != nil { // answered or cut off: either way it ended
		t.Logf("the hanging request ended: %v", err)
	}
	s.Close() // twice is harmless
}
