package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"gocloud.dev/gcerrors"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/server/api"
)

// TestMediaUploadCORS: a preflight for PUT /media/upload from an origin
// in CORS_ORIGINS is answered (204, PUT and Content-Type allowed) and the
// upload's answer carries the origin; from an origin not listed, neither
// has CORS headers, so a browser sends nothing.
func TestMediaUploadCORS(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		const admin = "https://admin.example"
		s := newMediaStoreWith(t, db, mediaStorage(t, "file"), time.Minute, storeSetup{protection: api.Protection{CORSOrigins: []string{admin}}})
		staff := s.asStaff()
		u, ue := staff.stage("image/png", 100)
		require.Empty(t, ue)
		preflight := func(origin string) *http.Response {
			t.Helper()
			req, err := http.NewRequest(http.MethodOptions, s.absolute(u.URL), nil)
			require.NoError(t, err)
			req.Header.Set("Origin", origin)
			req.Header.Set("Access-Control-Request-Method", http.MethodPut)
			req.Header.Set("Access-Control-Request-Headers", "content-type")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			return resp
		}
		resp := preflight(admin)
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
		require.Equal(t, admin, resp.Header.Get("Access-Control-Allow-Origin"))
		require.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), http.MethodPut)
		require.Contains(t, strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "content-type")
		resp = preflight("https://elsewhere.example")
		require.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"))

		for origin, allowed := range map[string]string{admin: admin, "https://elsewhere.example": ""} {
			req, err := http.NewRequest(http.MethodPut, s.absolute(u.URL), bytes.NewReader(mustPNG(t, 4, 4)))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "image/png")
			req.Header.Set("Origin", origin)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusCreated, resp.StatusCode)
			require.Equal(t, allowed, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	})
}

// uploadPage PUTs a PNG (base64 in its URL) to the upload URL in its URL,
// as a staff app on its own origin does, and reports the status, or
// "blocked" when the browser refuses, in window.outcome.
const uploadPage = `<!doctype html><html><head><title>admin</title></head><body><script>
const p = new URLSearchParams(location.search);
(async () => {
  try {
    const png = Uint8Array.from(atob(p.get('png')), c => c.charCodeAt(0));
    const res = await fetch(p.get('upload'), {method: 'PUT', headers: {'content-type': 'image/png'}, body: png});
    window.outcome = String(res.status);
  } catch (e) { window.outcome = 'blocked'; }
})();
</script></body></html>`

// TestMediaUploadInBrowser: in headless Chromium, a staff page on an
// origin in CORS_ORIGINS uploads a file to a signed local upload URL (the
// preflight passes, the PUT is stored and attaches); the same page on
// another origin is blocked at the preflight, and nothing is stored.
func TestMediaUploadInBrowser(t *testing.T) {
	browser := chromium(t)
	page := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, uploadPage)
	})
	listed := httptest.NewServer(page)
	t.Cleanup(listed.Close)
	unlisted := httptest.NewServer(page)
	t.Cleanup(unlisted.Close)

	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	s := newMediaStoreWith(t, db, mediaStorage(t, "file"), time.Minute, storeSetup{protection: api.Protection{CORSOrigins: []string{listed.URL}}})
	staff := s.asStaff()
	ctx := headless(t, browser)
	png := base64.StdEncoding.EncodeToString(mustPNG(t, 12, 10))

	visit := func(origin string) (stagedUpload, string) {
		t.Helper()
		u, ue := staff.stage("image/png", 200)
		require.Empty(t, ue)
		target := origin + "/?upload=" + url.QueryEscape(s.absolute(u.URL)) + "&png=" + url.QueryEscape(png)
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(target)))
		outcome, err := chromedp.Run(ctx, chromedp.Poll[string](`window.outcome || false`, chromedp.WithPollingTimeout(30*time.Second)))
		require.NoError(t, err)
		return u, outcome
	}
	u, outcome := visit(listed.URL)
	require.Equal(t, "201", outcome, "a listed origin uploads")
	img, ue := staff.attach(firstProduct(t, s).ID, u.UploadKey, "from the browser")
	require.Empty(t, ue)
	require.Equal(t, 12, img.Width)

	u, outcome = visit(unlisted.URL)
	require.Equal(t, "blocked", outcome, "the browser stops an unlisted origin at the preflight")
	_, err := s.services.Media.Storage().Bucket.Attributes(context.Background(), u.UploadKey)
	require.Equal(t, gcerrors.NotFound, gcerrors.Code(err), "nothing was sent")
}
