package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/server/api"
)

// storefrontPage is a storefront served from its own origin: it POSTs a
// query to the API named in its URL, then opens the GraphQL WebSocket and
// runs a subscription-protocol query there, and reports both outcomes in
// window.outcome.
const storefrontPage = `<!doctype html><html><head><title>storefront</title></head><body><script>
const api = new URLSearchParams(location.search).get('api');
const outcome = {};
(async () => {
  try {
    const res = await fetch(api + '/graphql', {method: 'POST', headers: {'content-type': 'application/json'},
      body: JSON.stringify({query: '{ categoryTree { name } }'})});
    const body = await res.json();
    outcome.post = body.data.categoryTree.length > 0 ? 'ok' : 'empty';
  } catch (e) { outcome.post = 'blocked'; }
  outcome.socket = await new Promise((resolve) => {
    const ws = new WebSocket(api.replace('http', 'ws') + '/graphql', 'graphql-transport-ws');
    ws.onopen = () => ws.send(JSON.stringify({type: 'connection_init'}));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === 'connection_ack') ws.send(JSON.stringify({id: '1', type: 'subscribe', payload: {query: '{ categoryTree { name } }'}}));
      if (m.type === 'next') resolve(m.payload.data.categoryTree.length > 0 ? 'ok' : 'empty');
    };
    ws.onclose = (e) => resolve('closed ' + e.code);
  });
  window.outcome = outcome;
})();
</script></body></html>`

// TestCrossOriginStorefrontInBrowser: in headless Chromium, a storefront
// page on an origin listed in CORS_ORIGINS both POSTs to the API and
// subscribes over its WebSocket; the same page from an origin not listed
// can do neither (the browser blocks the POST's answer, the server
// refuses the upgrade).
func TestCrossOriginStorefrontInBrowser(t *testing.T) {
	browser := chromium(t)
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, storefrontPage)
	})
	listed := httptest.NewServer(page)
	t.Cleanup(listed.Close)
	unlisted := httptest.NewServer(page)
	t.Cleanup(unlisted.Close)

	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	s := protectedStore(t, db, demoCatalog(t), api.Protection{CORSOrigins: []string{listed.URL}}, true)

	ctx := headless(t, browser)

	visit := func(origin string) map[string]string {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(origin+"/?api="+url.QueryEscape(s.srv.URL))))
		out, err := chromedp.Run(ctx, chromedp.Poll[map[string]string](`window.outcome || false`,
			chromedp.WithPollingTimeout(30*time.Second)))
		require.NoError(t, err)
		return out
	}
	require.Equal(t, map[string]string{"post": "ok", "socket": "ok"}, visit(listed.URL),
		"a listed origin POSTs and subscribes")
	got := visit(unlisted.URL)
	require.Equal(t, "blocked", got["post"], "the browser withholds the answer from an unlisted origin")
	require.Contains(t, got["socket"], "closed", "the upgrade from an unlisted origin is refused")
	require.NotEqual(t, "ok", got["socket"])
}
