package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gocloud.dev/gcerrors"

	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/graph/scalar"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/database/dbtest"
	"github.com/savannah-commerce/savannah/internal/media"
	"github.com/savannah-commerce/savannah/internal/media/mediatest"
	"github.com/savannah-commerce/savannah/internal/viewer"
)

// TestOriginalsHaveNoMetadata: on local storage and on S3, a JPEG, a PNG
// and a WebP carrying a GPS position (EXIF, XMP, text chunks) are served,
// from the moment they are attached, without it: the original is
// stripped before it is stored, so no URL ever names the uploaded bytes.
// The JPEG keeps its orientation: its derivatives are upright.
func TestOriginalsHaveNoMetadata(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"file", "s3"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, func(t *testing.T, db *database.DB) {
				s := newMediaStore(t, db, mediaStorage(t, driver), time.Minute)
				staff := s.asStaff()
				p := firstProduct(t, s)
				for _, c := range []struct {
					mime string
					data []byte
				}{
					{"image/jpeg", mediatest.JPEGWithGPS(120, 60)},
					{"image/png", mediatest.PNGWithGPS(60, 40)},
					{"image/webp", mediatest.WebPWithGPS(60, 40)},
				} {
					require.Contains(t, string(c.data), mediatest.GPSMarker)
					img, ue := staff.upload(p.ID, c.mime, c.data, "with GPS")
					require.Empty(t, ue)
					require.Contains(t, img.URL, "originals/", "the original, before derivatives")
					code, h, body := s.fetch(img.URL)
					require.Equal(t, http.StatusOK, code)
					require.Equal(t, c.mime, h.Get("Content-Type"))
					require.NotContains(t, string(body), mediatest.GPSMarker, c.mime)
					require.NotContains(t, string(body), "GPS", c.mime)
					require.Less(t, len(body), len(c.data))

					m := waitDerived(t, s, img.ID)
					if c.mime == "image/jpeg" {
						require.Equal(t, [2]int{60, 120}, [2]int{m.Width, m.Height}, "upright: orientation survived stripping")
					}
				}
				// No object anywhere in the bucket holds the marker.
				it := s.services.Media.Storage().Bucket.List(nil)
				for {
					obj, err := it.Next(context.Background())
					if err != nil {
						break
					}
					data, err := s.services.Media.Storage().Bucket.ReadAll(context.Background(), obj.Key)
					require.NoError(t, err)
					require.NotContains(t, string(data), mediatest.GPSMarker, obj.Key)
				}
			})
		})
	}
}

// TestMediaSweep: the sweep deletes a deleted image's original and
// derivatives (its URLs then answer 404) and keeps a live image's; it
// keeps a staged upload within its retention and deletes it after.
func TestMediaSweep(t *testing.T) {
	t.Parallel()
	for _, driver := range []string{"file", "s3"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			dbtest.Each(t, func(t *testing.T, db *database.DB) {
				s := newMediaStore(t, db, mediaStorage(t, driver), time.Minute)
				staff := s.asStaff()
				p := firstProduct(t, s)
				ctx := context.Background()
				bucket := s.services.Media.Storage().Bucket

				keep, ue := staff.upload(p.ID, "image/png", mustPNG(t, 200, 100), "kept")
				require.Empty(t, ue)
				gone, ue := staff.upload(p.ID, "image/jpeg", mediatest.JPEGWithGPS(200, 100), "gone")
				require.Empty(t, ue)
				waitDerived(t, s, keep.ID)
				waitDerived(t, s, gone.ID)
				urls := func(id string) []string {
					resp := s.post(`query($id: ID!) { node(id: $id) { ... on Image { a: url b: url(maxWidth: 160, format: WEBP) } } }`, "", map[string]any{"id": id})
					require.Empty(t, resp.Errors)
					var out struct{ Node struct{ A, B string } }
					require.NoError(t, json.Unmarshal(resp.Data, &out))
					return []string{out.Node.A, out.Node.B, originalURL(out.Node.A)}
				}
				keepURLs, goneURLs := urls(keep.ID), urls(gone.ID)
				resp := staff.post(`mutation D($id: ID!) { mediaDelete(id: $id) { deletedID } }`, "D", map[string]any{"id": gone.ID})
				require.Empty(t, resp.Errors)

				staged, ue := staff.stage("image/png", 100)
				require.Empty(t, ue)
				require.Less(t, staff.put(staged, "image/png", mustPNG(t, 4, 4)), 300)

				n, err := s.services.Media.Sweep(ctx, time.Now())
				require.NoError(t, err)
				require.Equal(t, 3, n, "the deleted image's original and its JPEG and WebP (100 wide, upright)")
				for _, u := range goneURLs {
					code, _, _ := s.fetch(u)
					require.Equal(t, http.StatusNotFound, code, u)
				}
				for _, u := range keepURLs {
					code, _, _ := s.fetch(u)
					require.Equal(t, http.StatusOK, code, u)
				}
				_, err = bucket.Attributes(ctx, staged.UploadKey)
				require.NoError(t, err, "a fresh upload is kept")

				n, err = s.services.Media.Sweep(ctx, time.Now().Add(media.DefaultStagingRetention+time.Minute))
				require.NoError(t, err)
				require.Equal(t, 1, n)
				_, err = bucket.Attributes(ctx, staged.UploadKey)
				require.Equal(t, gcerrors.NotFound, gcerrors.Code(err), "an abandoned upload is swept")
				img, ue := staff.attach(p.ID, staged.UploadKey, "late")
				require.Nil(t, img)
				require.Equal(t, "NOT_FOUND", ue[0].Code, "attaching a swept upload is a clean refusal")
			})
		})
	}
}

// originalURL is the original's URL beside a derivative's URL.
func originalURL(derived string) string {
	i := strings.Index(derived, "derived/v1/")
	hash := strings.SplitN(derived[i+len("derived/v1/"):], "/", 2)[0]
	return derived[:i] + "originals/" + hash
}

// TestMediaSweepRace: sweeps racing attaches of the very content they
// are deleting (an image deleted, then the same file attached again)
// never leave an image without its original or its derivatives, on both
// databases: whichever commits first, the other sees it.
func TestMediaSweepRace(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newMediaStore(t, db, mediaStorage(t, "file"), time.Minute)
		staff := s.asStaff()
		p := firstProduct(t, s)
		ctx := context.Background()
		data := mustPNG(t, 170, 20)
		prev, ue := staff.upload(p.ID, "image/png", data, "v0")
		require.Empty(t, ue)
		waitDerived(t, s, prev.ID)
		for round := range 8 {
			u, ue := staff.stage("image/png", len(data))
			require.Empty(t, ue)
			require.Equal(t, http.StatusCreated, staff.put(u, "image/png", data))
			resp := staff.post(`mutation D($id: ID!) { mediaDelete(id: $id) { deletedID } }`, "D", map[string]any{"id": prev.ID})
			require.Empty(t, resp.Errors)

			var (
				wg   sync.WaitGroup
				img  *image
				errs = make([]error, 3)
			)
			start := make(chan struct{})
			wg.Add(3)
			go func() {
				defer wg.Done()
				<-start
				img, ue = staff.attach(p.ID, u.UploadKey, "again")
			}()
			for i := 1; i < 3; i++ {
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = s.services.Media.Sweep(ctx, time.Now())
				}()
			}
			close(start)
			wg.Wait()
			require.NoError(t, errs[1])
			require.NoError(t, errs[2])
			require.Empty(t, ue, "round %d", round)
			code, _, _ := s.fetch(img.URL)
			require.Equal(t, http.StatusOK, code, "round %d: the attached image's original is there", round)
			waitDerived(t, s, img.ID)
			for _, w := range []string{"160.jpg", "170.webp"} {
				resp := s.post(`query($id: ID!) { node(id: $id) { ... on Image { url(maxWidth: 1) } } }`, "", map[string]any{"id": img.ID})
				require.Empty(t, resp.Errors)
				u := strings.Replace(strings.Split(string(resp.Data), `"url":"`)[1], `"}}`, "", 1)
				u = u[:strings.LastIndex(u, "/")+1] + w
				code, _, _ := s.fetch(u)
				require.Equal(t, http.StatusOK, code, "round %d: derivative %s", round, w)
			}
			prev = img
		}
	})
}

// TestImageNode: an Image is a Relay Node. node(id:) finds it for
// anonymous clients while its product is on the storefront, not once the
// product is a draft, while staff still find it; a product's ID is not
// an Image.
func TestImageNode(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		s := newMediaStore(t, db, mediaStorage(t, "file"), time.Minute)
		staff := s.asStaff()
		p := firstProduct(t, s)
		img, ue := staff.upload(p.ID, "image/png", mustPNG(t, 30, 20), "node")
		require.Empty(t, ue)
		const q = `query($id: ID!) { node(id: $id) { __typename id ... on Image { width altText } } }`
		node := func(as *store, id string) string {
			t.Helper()
			resp := as.post(q, "", map[string]any{"id": id})
			require.Empty(t, resp.Errors)
			return string(resp.Data)
		}
		want := `{"node":{"__typename":"Image","id":"` + img.ID + `","width":30,"altText":"node"}}`
		require.JSONEq(t, want, node(s, img.ID), "anonymous, product on the storefront")
		require.JSONEq(t, want, node(staff, img.ID))

		ctx := viewer.System(context.Background(), "test: set up")
		require.NoError(t, s.client.Product.UpdateOneID(p.ID).SetStatus(product.StatusDRAFT).Exec(ctx))
		require.JSONEq(t, `{"node":null}`, node(s, img.ID), "a draft product's image is not found")
		require.JSONEq(t, want, node(staff, img.ID), "staff see it")
		require.Contains(t, node(staff, scalar.EncodeID(p.ID)), `"__typename":"Product"`)
	})
}
