package cdn

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/riverqueue/river"
)

// MaxTagsPerRequest is how many tags one purge request names: Cloudflare's
// limit per call. A job with more sends several requests.
const MaxTagsPerRequest = 30

// WorkerConfig configures a Worker.
type WorkerConfig struct {
	// URL is the purge endpoint (CDN_PURGE_URL), e.g. Cloudflare's
	// https://api.cloudflare.com/client/v4/zones/{zone}/purge_cache.
	URL string
	// Token is sent as "Authorization: Bearer <token>" (CDN_PURGE_TOKEN).
	Token string
	// HTTP sends the requests; nil means a client with a 10 s timeout.
	HTTP *http.Client
}

// Worker sends PurgeArgs jobs to the CDN. The wire format is Cloudflare's
// purge by tag: POST URL with the JSON body {"tags":["…",…]}; any 2xx
// answer is success, anything else fails the attempt and River retries it
// with its backoff. Purging is idempotent, so a retry that repeats an
// accepted request is harmless.
type Worker struct {
	river.WorkerDefaults[PurgeArgs]
	cfg WorkerConfig
}

// NewWorker returns a Worker.
func NewWorker(cfg WorkerConfig) *Worker {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	return &Worker{cfg: cfg}
}

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, job *river.Job[PurgeArgs]) error {
	tags := job.Args.Tags
	for len(tags) > 0 {
		n := min(len(tags), MaxTagsPerRequest)
		if err := w.purge(ctx, tags[:n]); err != nil {
			return err
		}
		tags = tags[n:]
	}
	return nil
}

func (w *Worker) purge(ctx context.Context, tags []string) error {
	body, err := json.Marshal(struct {
		Tags []string `json:"tags"`
	}{tags})
	if err != nil {
		return fmt.Errorf("cdn: purge body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("cdn: purge request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if w.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+w.cfg.Token)
	}
	resp, err := w.cfg.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("cdn: purge: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("cdn: purge answered %s", resp.Status)
	}
	return nil
}
