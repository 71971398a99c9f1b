package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// mailpit is the test Mailpit: its SMTP URL and its API's base URL
// (TEST_SMTP_URL, TEST_MAILPIT_API). Without them the test is skipped,
// or fails when SAVANNAH_REQUIRE_SERVICES=1 (as in CI).
func mailpit(t *testing.T) (smtpURL, api string) {
	t.Helper()
	smtpURL, api = os.Getenv("TEST_SMTP_URL"), strings.TrimRight(os.Getenv("TEST_MAILPIT_API"), "/")
	if smtpURL == "" || api == "" {
		if os.Getenv("SAVANNAH_REQUIRE_SERVICES") == "1" {
			t.Fatal("SAVANNAH_REQUIRE_SERVICES=1 but TEST_SMTP_URL or TEST_MAILPIT_API is not set")
		}
		t.Skip("TEST_SMTP_URL and TEST_MAILPIT_API are not set: no Mailpit to send to")
	}
	return smtpURL, api
}

// mailpitMessage is a message as Mailpit's API shows it.
type mailpitMessage struct {
	Subject string `json:"Subject"`
	Text    string `json:"Text"`
	HTML    string `json:"HTML"`
}

// mailpitFind waits for the newest message matching Mailpit's search
// query (such as "to:amina@example.com"): the mailbox is shared with
// other tests, so tests search by a recipient of their own.
func mailpitFind(t *testing.T, api, query string) mailpitMessage {
	t.Helper()
	var id string
	require.Eventually(t, func() bool {
		var res struct {
			Messages []struct {
				ID string `json:"ID"`
			} `json:"messages"`
		}
		resp, err := http.Get(api + "/api/v1/search?query=" + url.QueryEscape(query))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if json.NewDecoder(resp.Body).Decode(&res) != nil || len(res.Messages) == 0 {
			return false
		}
		id = res.Messages[0].ID
		return true
	}, 20*time.Second, 50*time.Millisecond, "no message for %q", query)
	resp, err := http.Get(api + "/api/v1/message/" + id)
	require.NoError(t, err)
	defer resp.Body.Close()
	var msg mailpitMessage
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&msg))
	return msg
}
