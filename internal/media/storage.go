package media

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"
)

// StorageConfig says where objects live (MEDIA_* in internal/config).
type StorageConfig struct {
	// Driver is "file" (the default: a directory, for the embedded store)
	// or "s3" (any S3-compatible service).
	Driver string
	// Dir is the directory of the file driver.
	Dir string
	// UploadURL is the URL of the binary's upload endpoint (PUBLIC_URL +
	// UploadPath; a bare path makes relative upload URLs), which the file
	// driver's signed upload URLs point at.
	UploadURL string
	// UploadSecret signs the file driver's upload URLs; every replica
	// needs the same one.
	UploadSecret []byte

	// Bucket, Region, Endpoint (empty: AWS itself) and the keys (empty:
	// the SDK's default chain, such as an instance role) of the s3
	// driver; PathStyle addresses the bucket in the path, as most
	// S3-compatible servers want.
	Bucket, Region, Endpoint     string
	AccessKeyID, SecretAccessKey string
	PathStyle                    bool
}

// UploadPath is where the binary accepts the file driver's signed
// uploads; ServePath is where it serves objects.
const (
	UploadPath = "/media/upload"
	ServePath  = "/media/"
)

// Storage is the object store of the images: one gocloud.dev/blob bucket,
// whichever driver is under it.
type Storage struct {
	Bucket *blob.Bucket
	// signer verifies the file driver's upload URLs (nil for s3, whose
	// presigned URLs S3 itself checks).
	signer *fileblob.URLSignerHMAC
}

// OpenStorage opens the bucket cfg names.
func OpenStorage(ctx context.Context, cfg StorageConfig) (*Storage, error) {
	switch cfg.Driver {
	case "", "file":
		if len(cfg.UploadSecret) == 0 {
			return nil, errors.New("media: the file driver needs an upload secret")
		}
		u, err := url.Parse(cfg.UploadURL)
		if err != nil || (!u.IsAbs() && !strings.HasPrefix(u.Path, "/")) {
			return nil, fmt.Errorf("media: upload URL %q is neither absolute nor a path", cfg.UploadURL)
		}
		if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
			return nil, fmt.Errorf("media: %w", err)
		}
		signer := fileblob.NewURLSignerHMAC(u, cfg.UploadSecret)
		b, err := fileblob.OpenBucket(cfg.Dir, &fileblob.Options{URLSigner: signer, CreateDir: true, Metadata: fileblob.MetadataInSidecar})
		if err != nil {
			return nil, fmt.Errorf("media: open %s: %w", cfg.Dir, err)
		}
		return &Storage{Bucket: b, signer: signer}, nil
	case "s3":
		if cfg.Bucket == "" {
			return nil, errors.New("media: the s3 driver needs a bucket")
		}
		var ac aws.Config
		if cfg.AccessKeyID != "" {
			ac = aws.Config{Region: cfg.Region, Credentials: credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")}
		} else {
			var err error
			if ac, err = awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cfg.Region)); err != nil {
				return nil, fmt.Errorf("media: aws config: %w", err)
			}
		}
		client := s3.NewFromConfig(ac, func(o *s3.Options) {
			if cfg.Endpoint != "" {
				o.BaseEndpoint = aws.String(cfg.Endpoint)
				// S3-compatible servers often lack the SDK's newer
				// default checksums (aws-chunked trailers).
				o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
				o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
			}
			o.UsePathStyle = cfg.PathStyle
		})
		b, err := s3blob.OpenBucket(ctx, client, cfg.Bucket, nil)
		if err != nil {
			return nil, fmt.Errorf("media: open bucket %s: %w", cfg.Bucket, err)
		}
		return &Storage{Bucket: b}, nil
	default:
		return nil, fmt.Errorf("media: unknown storage driver %q", cfg.Driver)
	}
}

// Close closes the bucket.
func (s *Storage) Close() error { return s.Bucket.Close() }

// SignPUT signs a PUT of key with the given Content-Type, valid for ttl:
// the file driver's HMAC URL, or S3's presigned URL with the
// Content-Type among its signed headers.
func (s *Storage) SignPUT(ctx context.Context, key, contentType string, ttl time.Duration) (string, error) {
	opts := &blob.SignedURLOptions{Method: http.MethodPut, Expiry: ttl}
	if s.signer != nil {
		opts.ContentType = contentType
	} else {
		// gocloud's s3blob refuses ContentType for PUT; the SDK signs the
		// input's ContentType as a header.
		opts.BeforeSign = func(as func(any) bool) error {
			var in *s3.PutObjectInput
			if as(&in) {
				in.ContentType = aws.String(contentType)
			}
			return nil
		}
	}
	u, err := s.Bucket.SignedURL(ctx, key, opts)
	if err != nil {
		return "", fmt.Errorf("media: sign upload: %w", err)
	}
	return u, nil
}

// Local reports whether uploads come to the binary (the file driver).
func (s *Storage) Local() bool { return s.signer != nil }

// ErrBadUploadURL is an upload URL that is forged, expired, not for PUT
// or not for a staging key.
var ErrBadUploadURL = errors.New("media: invalid or expired upload URL")

// UploadTarget checks a signed upload URL of the file driver and returns
// the key it may write and the Content-Type it must be sent with.
func (s *Storage) UploadTarget(ctx context.Context, u *url.URL) (key, contentType string, err error) {
	if s.signer == nil {
		return "", "", ErrBadUploadURL
	}
	key, err = s.signer.KeyFromURL(ctx, u)
	q := u.Query()
	if err != nil || q.Get("method") != "PUT" || !strings.HasPrefix(key, stagingPrefix) {
		return "", "", ErrBadUploadURL
	}
	return key, q.Get("contentType"), nil
}

// Public reports whether key names an object anyone may fetch: an
// original or a derivative, never a staged upload.
func Public(key string) bool {
	return strings.HasPrefix(key, originalPrefix) || strings.HasPrefix(key, derivedPrefix)
}

// Object key layout: staged uploads by a random name; originals and
// derivatives by the content hash of the original, so a key always names
// the same bytes.
const (
	stagingPrefix  = "staging/"
	originalPrefix = "originals/"
	derivedPrefix  = "derived/v1/"
)

func originalKey(hash string) string { return originalPrefix + hash }

func derivedKey(hash string, width int, f Format) string {
	return fmt.Sprintf("%s%s/%d.%s", derivedPrefix, hash, width, f.ext())
}
