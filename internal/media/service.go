// Package media keeps the images of products, variants and categories in
// object storage (gocloud.dev/blob: a directory for the embedded store,
// any S3-compatible service in production).
//
// The bytes never pass through GraphQL. StageUpload signs a short-lived
// PUT URL for a random staging key (S3's presigned URL, or the binary's
// own signed URL with the file driver); Attach then checks the uploaded
// object (it exists, its sniffed format is JPEG, PNG or WebP, its size
// and its pixel count read from the header are within the limits),
// strips its metadata (Strip), stores it under a key named by its
// SHA-256 and writes the Media row with a River job (DeriveArgs) in one
// transaction. The job makes the derivatives off
// the request path: upright, stripped of metadata, at the widths of
// Ladder, as JPEG and WebP, plus a tiny placeholder. Every object key
// names fixed bytes, so every image URL may be cached forever; Sweep
// deletes the objects no image names any more.
package media

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/savannah-commerce/savannah/ent"
	"github.com/savannah-commerce/savannah/ent/category"
	entmedia "github.com/savannah-commerce/savannah/ent/media"
	"github.com/savannah-commerce/savannah/ent/predicate"
	"github.com/savannah-commerce/savannah/ent/product"
	"github.com/savannah-commerce/savannah/ent/productvariant"
	"github.com/savannah-commerce/savannah/internal/database"
	"github.com/savannah-commerce/savannah/internal/input"
)

// Defaults of Config's limits.
const (
	DefaultMaxBytes  = 20 << 20
	DefaultMaxPixels = 40_000_000
	DefaultUploadTTL = 15 * time.Minute
	// DefaultStagingRetention leaves staff a day to attach an upload.
	DefaultStagingRetention = 24 * time.Hour
)

// Inserter enqueues a job in a transaction; *jobs.Client is one.
type Inserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Config configures a Service.
type Config struct {
	Client *ent.Client
	// Dialect is the database's (dialect.Postgres or dialect.SQLite).
	Dialect string
	Storage *Storage
	Jobs    Inserter
	Log     *slog.Logger
	// PublicURL is the base of image URLs, ending in "/": a CDN in front
	// of the bucket, or PUBLIC_URL + ServePath when the binary serves.
	PublicURL string
	// MaxBytes bounds an upload; MaxPixels an image's width × height.
	MaxBytes  int64
	MaxPixels int64
	// UploadTTL is how long an upload URL is valid.
	UploadTTL time.Duration
	// StagingRetention is how long Sweep keeps a staged upload that was
	// never attached (zero: DefaultStagingRetention; at least UploadTTL).
	StagingRetention time.Duration
}

// Service carries out staff's media writes and makes derivatives.
type Service struct {
	cfg Config
}

// NewService returns a Service; zero limits take the defaults.
func NewService(cfg Config) (*Service, error) {
	if cfg.Client == nil || cfg.Storage == nil || cfg.Jobs == nil || cfg.Log == nil {
		return nil, errors.New("media: client, storage, job client and logger are required")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = DefaultMaxPixels
	}
	if cfg.UploadTTL <= 0 {
		cfg.UploadTTL = DefaultUploadTTL
	}
	if cfg.StagingRetention <= 0 {
		cfg.StagingRetention = DefaultStagingRetention
	}
	cfg.StagingRetention = max(cfg.StagingRetention, cfg.UploadTTL)
	return &Service{cfg: cfg}, nil
}

// client is the transaction's client when ctx runs in one (a GraphQL
// mutation's), else the root client.
func (s *Service) client(ctx context.Context) *ent.Client {
	if c := ent.FromContext(ctx); c != nil {
		return c
	}
	return s.cfg.Client
}

// Storage is the service's object store.
func (s *Service) Storage() *Storage { return s.cfg.Storage }

// MaxBytes is the largest upload accepted.
func (s *Service) MaxBytes() int64 { return s.cfg.MaxBytes }

// Upload is where and how a client sends a file: PUT to URL with the
// Content-Type header ContentType, before ExpiresAt; Key then names it to
// Attach.
type Upload struct {
	URL         string
	ContentType string
	Key         string
	ExpiresAt   time.Time
}

// StageUpload signs an upload of size bytes of type contentType.
func (s *Service) StageUpload(ctx context.Context, contentType string, size int64) (Upload, error) {
	var ps input.Problems
	if _, ok := FormatOfMIME(contentType); !ok {
		ps.Add(input.ErrInvalid, "only image/jpeg, image/png and image/webp are accepted", "contentType")
	}
	if size <= 0 || size > s.cfg.MaxBytes {
		ps.Add(input.ErrInvalid, fmt.Sprintf("the file must be 1 to %d bytes", s.cfg.MaxBytes), "fileSize")
	}
	if err := ps.Err(); err != nil {
		return Upload{}, err
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	key := stagingPrefix + hex.EncodeToString(raw[:])
	expires := time.Now().Add(s.cfg.UploadTTL)
	u, err := s.cfg.Storage.SignPUT(ctx, key, contentType, s.cfg.UploadTTL)
	if err != nil {
		return Upload{}, err
	}
	return Upload{URL: u, ContentType: contentType, Key: key, ExpiresAt: expires}, nil
}

// Owner is what an image belongs to: exactly one of the three.
type Owner struct {
	ProductID, VariantID, CategoryID *int
}

// New is an uploaded file to attach.
type New struct {
	// UploadKey is Upload.Key.
	UploadKey      string
	AltText        string
	FocalX, FocalY *float64
}

// Attach checks the uploaded object and makes it an image of owner, last
// in position, with its derivatives queued. The checks read the object
// before any transaction opens; the row and the job are then written in
// one.
func (s *Service) Attach(ctx context.Context, owner Owner, in New) (*ent.Media, error) {
	return s.attach(ctx, owner, in, false)
}

// Set is Attach for an owner of one image (a variant, a category): the
// new image replaces any it had.
func (s *Service) Set(ctx context.Context, owner Owner, in New) (*ent.Media, error) {
	return s.attach(ctx, owner, in, true)
}

func (s *Service) attach(ctx context.Context, owner Owner, in New, replace bool) (*ent.Media, error) {
	if err := s.ownerExists(ctx, owner); err != nil {
		return nil, err
	}
	info, clean, err := s.check(ctx, in.UploadKey)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(clean)
	hash := hex.EncodeToString(sum[:])
	if err := s.keepOriginal(ctx, info, hash, clean); err != nil {
		return nil, err
	}
	var m *ent.Media
	err = database.InTx(ctx, s.cfg.Client, func(ctx context.Context) error {
		c := ent.FromContext(ctx)
		// Sweep deletes an unreferenced original under this lock: after
		// it, the row below makes this hash referenced.
		if err := s.lockHash(ctx, c, hash); err != nil {
			return err
		}
		if replace {
			if _, err := c.Media.Delete().Where(ownedBy(owner)).Exec(ctx); err != nil {
				return fmt.Errorf("media: replace: %w", err)
			}
		}
		n, err := c.Media.Query().Where(ownedBy(owner)).Count(ctx)
		if err != nil {
			return fmt.Errorf("media: count: %w", err)
		}
		m, err = c.Media.Create().
			SetContentHash(hash).
			SetFormat(entmedia.Format(info.Format)).
			SetBytes(int64(len(clean))).
			SetWidth(info.Width).
			SetHeight(info.Height).
			SetAltText(in.AltText).
			SetPosition(n).
			SetNillableFocalX(in.FocalX).
			SetNillableFocalY(in.FocalY).
			SetNillableProductID(owner.ProductID).
			SetNillableVariantID(owner.VariantID).
			SetNillableCategoryID(owner.CategoryID).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("media: create: %w", err)
		}
		tx, err := database.SQLTx(ctx)
		if err != nil {
			return err
		}
		if _, err := s.cfg.Jobs.InsertTx(ctx, tx, DeriveArgs{MediaID: m.ID}, nil); err != nil {
			return fmt.Errorf("media: enqueue derivatives: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A sweep that ran between keepOriginal and the transaction may have
	// deleted the original, then unreferenced; every later sweep sees
	// the row. So once the row is committed, the original is put back if
	// it went.
	if _, err := s.cfg.Storage.Bucket.Attributes(ctx, originalKey(hash)); gcerrors.Code(err) == gcerrors.NotFound {
		if err := s.keepOriginal(ctx, info, hash, clean); err != nil {
			return nil, err
		}
	}
	if err := s.cfg.Storage.Bucket.Delete(ctx, in.UploadKey); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		s.cfg.Log.WarnContext(ctx, "media: staged upload not deleted", slog.String("key", in.UploadKey), slog.Any("err", err))
	}
	return m, nil
}

// keepOriginal writes the stripped original under its content hash.
func (s *Service) keepOriginal(ctx context.Context, info Info, hash string, clean []byte) error {
	opts := &blob.WriterOptions{ContentType: info.Format.MIME(), CacheControl: ImmutableCacheControl}
	if err := s.cfg.Storage.Bucket.WriteAll(ctx, originalKey(hash), clean, opts); err != nil {
		return fmt.Errorf("media: keep original: %w", err)
	}
	return nil
}

// check verifies the staged object key names and returns its format and
// size in pixels, and its bytes stripped of metadata (Strip).
func (s *Service) check(ctx context.Context, key string) (Info, []byte, error) {
	info, clean, err := s.inspect(ctx, key)
	var refused *input.Error
	if errors.As(err, &refused) && strings.HasPrefix(key, stagingPrefix) {
		// A refused upload is of no further use.
		if err := s.cfg.Storage.Bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			s.cfg.Log.WarnContext(ctx, "media: refused upload not deleted", slog.String("key", key), slog.Any("err", err))
		}
	}
	return info, clean, err
}

func (s *Service) inspect(ctx context.Context, key string) (Info, []byte, error) {
	const field = "uploadKey"
	b := s.cfg.Storage.Bucket
	notFound := input.Fail(input.ErrNotFound, "no uploaded file under this key", field)
	if len(key) <= len(stagingPrefix) || !strings.HasPrefix(key, stagingPrefix) {
		return Info{}, nil, notFound
	}
	attrs, err := b.Attributes(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return Info{}, nil, notFound
	}
	if err != nil {
		return Info{}, nil, fmt.Errorf("media: attributes: %w", err)
	}
	if attrs.Size > s.cfg.MaxBytes {
		return Info{}, nil, input.Fail(input.ErrInvalid, fmt.Sprintf("the file is larger than %d bytes", s.cfg.MaxBytes), field)
	}
	r, err := b.NewReader(ctx, key, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return Info{}, nil, notFound
	}
	if err != nil {
		return Info{}, nil, fmt.Errorf("media: read upload: %w", err)
	}
	defer r.Close()
	// The header is inspected first: a pixel bomb is refused having read
	// a few bytes. Then the whole file, at most MaxBytes, is read to be
	// stripped.
	var data bytes.Buffer
	info, err := Inspect(io.TeeReader(io.LimitReader(r, s.cfg.MaxBytes+1), &data), s.cfg.MaxPixels)
	switch {
	case errors.Is(err, ErrUnsupported):
		return Info{}, nil, input.Fail(input.ErrInvalid, "the file is not a JPEG, PNG or WebP image", field)
	case errors.Is(err, ErrTooManyPixels):
		return Info{}, nil, input.Fail(input.ErrInvalid, fmt.Sprintf("the image is %d × %d pixels; at most %d pixels are accepted", info.Width, info.Height, s.cfg.MaxPixels), field)
	case err != nil:
		return Info{}, nil, err
	}
	if attrs.ContentType != info.Format.MIME() {
		return Info{}, nil, input.Fail(input.ErrInvalid, fmt.Sprintf("the file is %s, not the %s its upload declared", info.Format.MIME(), attrs.ContentType), field)
	}
	if _, err := io.Copy(&data, io.LimitReader(r, s.cfg.MaxBytes+1-int64(data.Len()))); err != nil {
		return Info{}, nil, fmt.Errorf("media: read upload: %w", err)
	}
	if int64(data.Len()) > s.cfg.MaxBytes {
		return Info{}, nil, input.Fail(input.ErrInvalid, fmt.Sprintf("the file is larger than %d bytes", s.cfg.MaxBytes), field)
	}
	clean, err := Strip(data.Bytes(), info.Format)
	if err != nil {
		return Info{}, nil, input.Fail(input.ErrInvalid, "the file is not a well-formed JPEG, PNG or WebP image", field)
	}
	return info, clean, nil
}

// ownerExists refuses an owner that is not exactly one visible row.
func (s *Service) ownerExists(ctx context.Context, o Owner) error {
	var (
		ok    bool
		err   error
		field string
		c     = s.client(ctx)
	)
	switch {
	case o.ProductID != nil && o.VariantID == nil && o.CategoryID == nil:
		field = "productId"
		ok, err = c.Product.Query().Where(product.ID(*o.ProductID)).Exist(ctx)
	case o.VariantID != nil && o.ProductID == nil && o.CategoryID == nil:
		field = "variantId"
		ok, err = c.ProductVariant.Query().Where(productvariant.ID(*o.VariantID)).Exist(ctx)
	case o.CategoryID != nil && o.ProductID == nil && o.VariantID == nil:
		field = "categoryId"
		ok, err = c.Category.Query().Where(category.ID(*o.CategoryID)).Exist(ctx)
	default:
		return errors.New("media: an image has exactly one owner")
	}
	if err != nil {
		return fmt.Errorf("media: owner: %w", err)
	}
	if !ok {
		return input.Fail(input.ErrNotFound, "no such object", field)
	}
	return nil
}

func ownedBy(o Owner) predicate.Media {
	switch {
	case o.ProductID != nil:
		return entmedia.ProductID(*o.ProductID)
	case o.VariantID != nil:
		return entmedia.VariantID(*o.VariantID)
	default:
		return entmedia.CategoryID(*o.CategoryID)
	}
}

// Reorder puts a product's images in the order of ids, which must list
// each of them once.
func (s *Service) Reorder(ctx context.Context, productID int, ids []int) ([]*ent.Media, error) {
	var out []*ent.Media
	err := database.InUnit(ctx, s.cfg.Client, "media_reorder", func(ctx context.Context) error {
		c := ent.FromContext(ctx)
		have, err := c.Media.Query().Where(entmedia.ProductID(productID)).IDs(ctx)
		if err != nil {
			return fmt.Errorf("media: reorder: %w", err)
		}
		if !sameSet(have, ids) {
			return input.Fail(input.ErrInvalid, "list every image of the product exactly once", "mediaIds")
		}
		for i, id := range ids {
			if err := c.Media.UpdateOneID(id).SetPosition(i).Exec(ctx); err != nil {
				return fmt.Errorf("media: reorder: %w", err)
			}
		}
		out, err = c.Media.Query().Where(entmedia.ProductID(productID)).Order(ent.Asc(entmedia.FieldPosition)).All(ctx)
		return err
	})
	return out, err
}

func sameSet(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[int]bool, len(a))
	for _, id := range a {
		seen[id] = true
	}
	for _, id := range b {
		if !seen[id] {
			return false
		}
		delete(seen, id)
	}
	return true
}

// Delete removes an image. Its objects stay until Sweep finds that no
// other row names the same content hash.
func (s *Service) Delete(ctx context.Context, id int) error {
	err := s.client(ctx).Media.DeleteOneID(id).Exec(ctx)
	if ent.IsNotFound(err) {
		return input.Fail(input.ErrNotFound, "no such image", "id")
	}
	if err != nil {
		return fmt.Errorf("media: delete: %w", err)
	}
	return nil
}

// StageBytes stores data as a staged upload, as a client's PUT would, and
// returns its key for Attach (seeds and imports).
func (s *Service) StageBytes(ctx context.Context, data []byte, contentType string) (string, error) {
	var raw [16]byte
	_, _ = rand.Read(raw[:])
	key := stagingPrefix + hex.EncodeToString(raw[:])
	if err := s.cfg.Storage.Bucket.WriteAll(ctx, key, data, &blob.WriterOptions{ContentType: contentType}); err != nil {
		return "", fmt.Errorf("media: stage: %w", err)
	}
	return key, nil
}

// Update changes an image's alt text and focal point (nil: unchanged).
func (s *Service) Update(ctx context.Context, id int, altText *string, focalX, focalY *float64) (*ent.Media, error) {
	upd := s.client(ctx).Media.UpdateOneID(id)
	if altText != nil {
		upd.SetAltText(*altText)
	}
	if focalX != nil && focalY != nil {
		if *focalX < 0 || *focalX > 1 || *focalY < 0 || *focalY > 1 {
			return nil, input.Fail(input.ErrInvalid, "the focal point's x and y are from 0 to 1", "input", "focalPoint")
		}
		upd.SetFocalX(*focalX).SetFocalY(*focalY)
	}
	m, err := upd.Save(ctx)
	switch {
	case ent.IsNotFound(err):
		return nil, input.Fail(input.ErrNotFound, "no such image", "id")
	case ent.IsValidationError(err):
		return nil, input.Fail(input.ErrInvalid, "alt text is at most 512 bytes", "input", "altText")
	case err != nil:
		return nil, fmt.Errorf("media: update: %w", err)
	}
	return m, nil
}
