package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database/dbtest"
)

// chromium finds the browser; without one the test is skipped, unless
// SAVANNAH_REQUIRE_SERVICES=1 (CI) demands it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SAVANNAH_REQUIRE_SERVICES") == "1" {
		t.Fatal("SAVANNAH_REQUIRE_SERVICES=1 but chromium is not installed (apt-get install chromium)")
	}
	t.Skip("chromium is not installed")
	return ""
}

// artifactDir is where tests keep what a person may want to look at
// afterwards: $SAVANNAH_TEST_ARTIFACTS, or the test's temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("SAVANNAH_TEST_ARTIFACTS"); d != "" {
		require.NoError(t, os.MkdirAll(d, 0o755))
		return d
	}
	return t.TempDir()
}

// headless starts Chromium for one test: headless, with a fresh profile,
// and able to reach nothing but loopback (every other host fails to
// resolve). The browser and its tab end with the test.
func headless(t *testing.T, browser string) context.Context {
	t.Helper()
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
	)
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	return ctx
}

// TestPlaygroundInBrowser opens the playground in headless Chromium that
// can reach nothing but the server (every other host fails to resolve),
// runs a query and sees the answer: GraphiQL comes from the binary, and
// runs under the page's strict CSP (no violation is reported). The
// screenshot of the answer is kept in artifactDir. The page's headers
// are checked too: a CSP with script-src 'self' only.
func TestPlaygroundInBrowser(t *testing.T) {
	browser := chromium(t)
	db := dbtest.Open(t, dbtest.Backends(t)[0].URL)
	s := newStore(t, db, demoCatalog(t))

	resp, err := http.Get(s.srv.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	csp := resp.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self';")
	require.NotContains(t, csp, "unsafe-inline")
	require.NotContains(t, csp, "https:")

	var tree struct {
		CategoryTree []struct{ Name string } `json:"categoryTree"`
	}
	out := s.post(`{ categoryTree { name } }`, "", nil)
	require.Empty(t, out.Errors)
	require.NoError(t, json.Unmarshal(out.Data, &tree))
	require.NotEmpty(t, tree.CategoryTree)

	ctx := headless(t, browser)

	// Console messages: CSP violations and uncaught exceptions.
	var mu sync.Mutex
	var problems []string
	watch, stopWatching := context.WithCancel(ctx)
	messages := chromedp.Console(watch)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()

	page := s.srv.URL + "/?query=" + url.QueryEscape("{ categoryTree { name } }")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-execute-button")),
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
	))
	answer, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => {
		const r = document.querySelector('.graphiql-response');
		return r && r.innerText.includes('"categoryTree"') ? r.innerText : false;
	})()`, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	stopWatching()
	<-watched
	shot := filepath.Join(artifactDir(t), "playground.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot: %s", shot)

	require.Contains(t, answer, tree.CategoryTree[0].Name, "the answer shows the catalogue")
	mu.Lock()
	defer mu.Unlock()
	require.Empty(t, problems, "no CSP violation and no script error")
}
