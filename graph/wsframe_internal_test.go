package graph

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A next frame is what encoding/json makes of the message, whatever the
// client chose as the operation's ID, and whether it was built in a
// recycled buffer or not.
func TestNextFrameEncodesAsJSON(t *testing.T) {
	payload := json.RawMessage(`{"data":{"orderUpdated":{"id":"T3JkZXI6MQ==","status":"SHIPPED"}}}`)
	// big is too big for a recycled buffer; IDs are never empty (the
	// protocol requires one).
	big := json.RawMessage(`{"data":{"x":"` + strings.Repeat("a", frameBufSize) + `"}}`)
	for _, id := range []string{"1", "sub-42", "0b7c1f0e-9d1c-4e55-8a8a-1f1f1f1f1f1f", `quo"te`, `back\slash`, "<tag>&", "naïve", "tab\there"} {
		for _, p := range []json.RawMessage{payload, big} {
			want, err := json.Marshal(wsMessage{ID: id, Type: msgNext, Payload: p})
			require.NoError(t, err)
			got := nextFrame(id, p)
			require.Equal(t, string(want), string(got), "id %q", id)
			recycleFrame(got) // as the writer does once it is written
			// A buffer handed back is built into afresh.
			again := nextFrame("other", payload)
			require.Equal(t, `{"id":"other","type":"next","payload":`+string(payload)+`}`, string(again))
			recycleFrame(again)
		}
	}
	// pingFrame is never recycled: its capacity is not a pool buffer's.
	require.NotEqual(t, frameBufSize, cap(pingFrame))
	require.JSONEq(t, `{"type":"ping"}`, string(pingFrame))
	require.JSONEq(t, `{"type":"pong"}`, string(pongMessage))
}

// Building a next frame that fits a recycled buffer allocates nothing
// once the pool holds one: a fan-out to thousands of sockets builds one
// per socket.
func TestNextFrameReusesBuffers(t *testing.T) {
	payload := []byte(`{"data":{"orderUpdated":{"id":"T3JkZXI6MQ==","status":"SHIPPED"}}}`)
	recycleFrame(nextFrame("1", payload))
	allocs := testing.AllocsPerRun(100, func() { recycleFrame(nextFrame("1", payload)) })
	require.Less(t, allocs, 1.0)
}
