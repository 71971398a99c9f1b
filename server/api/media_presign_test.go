package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/media"
)

// sigV4Gate stands in front of gofakes3, which does not check
// signatures, and checks presigned requests as S3 documents it
// (Authenticating Requests: Using Query Parameters, AWS Signature
// Version 4): the signature is recomputed with aws-sdk-go-v2's own v4
// signer from the request as it arrives (method, path, query without
// X-Amz-Signature, the headers X-Amz-SignedHeaders names) and the secret
// key, at the X-Amz-Date it carries; a mismatch, or a request after
// X-Amz-Date + X-Amz-Expires by the gate's clock, is refused with 403.
// Requests signed in the Authorization header (the store's own reads
// and writes) pass through.
type sigV4Gate struct {
	creds aws.Credentials
	now   func() time.Time
	next  http.Handler
}

func (g sigV4Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("X-Amz-Signature") == "" {
		g.next.ServeHTTP(w, r)
		return
	}
	if why := g.refuse(r, q); why != "" {
		http.Error(w, why, http.StatusForbidden)
		return
	}
	g.next.ServeHTTP(w, r)
}

func (g sigV4Gate) refuse(r *http.Request, q url.Values) string {
	signedAt, err := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
	if err != nil {
		return "bad X-Amz-Date"
	}
	expires, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || expires < 1 || expires > 604800 {
		return "bad X-Amz-Expires"
	}
	// Recompute: the query as signed is the query less what signing adds.
	unsigned := url.Values{}
	for k, v := range q {
		switch k {
		case "X-Amz-Signature", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Security-Token":
		default:
			unsigned[k] = v
		}
	}
	u := *r.URL
	u.Scheme, u.Host, u.RawQuery = "http", r.Host, unsigned.Encode()
	req, err := http.NewRequest(r.Method, u.String(), nil)
	if err != nil {
		return "bad request"
	}
	for _, h := range strings.Split(q.Get("X-Amz-SignedHeaders"), ";") {
		if h != "host" {
			req.Header.Set(h, r.Header.Get(h))
		}
	}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), g.creds, req, "UNSIGNED-PAYLOAD", "s3", "us-east-1", signedAt,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	if err != nil {
		return "cannot sign"
	}
	su, err := url.Parse(signed)
	if err != nil || su.Query().Get("X-Amz-Signature") != q.Get("X-Amz-Signature") {
		return "SignatureDoesNotMatch"
	}
	if g.now().After(signedAt.Add(time.Duration(expires) * time.Second)) {
		return "Request has expired"
	}
	return ""
}

// TestS3PresignedUploadExpires: a presigned PUT that stagedUploadCreate
// returns is accepted within its time, with the Content-Type it was
// signed for; sent after its expiry (the gate's clock moved on past the
// upload TTL), it is refused, and so is the same URL with X-Amz-Expires
// lengthened (the expiry is signed), or with another Content-Type.
func TestS3PresignedUploadExpires(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		var skew atomic.Int64
		creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test-secret"}
		backend := s3mem.New()
		require.NoError(t, backend.CreateBucket("media"))
		fake := gofakes3.New(backend).Server()
		gate := httptest.NewServer(sigV4Gate{creds: creds, now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }, next: fake})
		t.Cleanup(gate.Close)
		st, err := media.OpenStorage(context.Background(), media.StorageConfig{
			Driver: "s3", Bucket: "media", Region: "us-east-1", Endpoint: gate.URL, PathStyle: true,
			AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey,
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		s := newMediaStore(t, db, st, 5*time.Minute)
		staff := s.asStaff()
		body := mustPNG(t, 8, 8)

		u, ue := staff.stage("image/png", len(body))
		require.Empty(t, ue)
		require.Equal(t, http.StatusForbidden, staff.put(u, "image/jpeg", body), "another Content-Type breaks the signature")
		longer, err := url.Parse(u.URL)
		require.NoError(t, err)
		lq := longer.Query()
		lq.Set("X-Amz-Expires", "3600")
		longer.RawQuery = lq.Encode()
		skew.Store(int64(6 * time.Minute))
		require.Equal(t, http.StatusForbidden, staff.put(u, "image/png", body), "expired after the 5-minute TTL")
		require.Equal(t, http.StatusForbidden, staff.put(stagedUpload{URL: longer.String()}, "image/png", body), "a lengthened expiry breaks the signature")

		skew.Store(int64(4 * time.Minute))
		require.Equal(t, http.StatusOK, staff.put(u, "image/png", body), "within its time it works")
		img, ue := staff.attach(firstProduct(t, s).ID, u.UploadKey, "presigned")
		require.Empty(t, ue)
		require.Equal(t, 8, img.Width)
	})
}
