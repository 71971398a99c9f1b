package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"
)

// Media is where product images are kept and how large they may be
// (README "Product media").
type Media struct {
	// Storage is "file" (a directory, the default) or "s3"
	// (MEDIA_STORAGE).
	Storage string `env:"MEDIA_STORAGE" envDefault:"file"`
	// Dir is the file driver's directory (MEDIA_DIR); empty means
	// <DATA_DIR>/media.
	Dir string `env:"MEDIA_DIR"`
	// UploadSecret signs the file driver's upload URLs
	// (MEDIA_UPLOAD_SECRET); empty means one derived from the token
	// signing key, which replicas share anyway.
	UploadSecret string `env:"MEDIA_UPLOAD_SECRET"`
	// The s3 driver: bucket, region, endpoint (empty: AWS), keys (empty:
	// the AWS SDK's default chain) and path-style addressing
	// (MEDIA_S3_BUCKET, MEDIA_S3_REGION, MEDIA_S3_ENDPOINT,
	// MEDIA_S3_ACCESS_KEY_ID, MEDIA_S3_SECRET_ACCESS_KEY,
	// MEDIA_S3_PATH_STYLE).
	S3Bucket          string `env:"MEDIA_S3_BUCKET"`
	S3Region          string `env:"MEDIA_S3_REGION" envDefault:"us-east-1"`
	S3Endpoint        string `env:"MEDIA_S3_ENDPOINT"`
	S3AccessKeyID     string `env:"MEDIA_S3_ACCESS_KEY_ID"`
	S3SecretAccessKey string `env:"MEDIA_S3_SECRET_ACCESS_KEY"`
	S3PathStyle       bool   `env:"MEDIA_S3_PATH_STYLE"`
	// ImageBaseURL is the base of image URLs, such as a CDN in front of the
	// bucket (MEDIA_PUBLIC_URL); empty means the server serves them at
	// <PUBLIC_URL>/media/.
	ImageBaseURL string `env:"MEDIA_PUBLIC_URL"`
	// MaxBytes bounds an upload (MEDIA_MAX_BYTES); MaxPixels an image's
	// width × height, checked from its header before decoding
	// (MEDIA_MAX_PIXELS).
	MaxBytes  int64 `env:"MEDIA_MAX_BYTES" envDefault:"20971520"`
	MaxPixels int64 `env:"MEDIA_MAX_PIXELS" envDefault:"40000000"`
	// UploadTTL is how long an upload URL is valid (MEDIA_UPLOAD_TTL).
	UploadTTL time.Duration `env:"MEDIA_UPLOAD_TTL" envDefault:"15m"`
	// StagingRetention is how long an upload never attached is kept
	// before the media_sweep task deletes it (MEDIA_STAGING_RETENTION).
	StagingRetention time.Duration `env:"MEDIA_STAGING_RETENTION" envDefault:"24h"`
}

func (m Media) check() []error {
	var errs []error
	switch m.Storage {
	case "file":
	case "s3":
		if m.S3Bucket == "" {
			errs = append(errs, errors.New("MEDIA_S3_BUCKET: required with MEDIA_STORAGE=s3"))
		}
		if (m.S3AccessKeyID == "") != (m.S3SecretAccessKey == "") {
			errs = append(errs, errors.New("MEDIA_S3_ACCESS_KEY_ID, MEDIA_S3_SECRET_ACCESS_KEY: set both or neither"))
		}
	default:
		errs = append(errs, fmt.Errorf("MEDIA_STORAGE: %q is not file or s3", m.Storage))
	}
	for key, v := range map[string]string{"MEDIA_PUBLIC_URL": m.ImageBaseURL, "MEDIA_S3_ENDPOINT": m.S3Endpoint} {
		if v == "" {
			continue
		}
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %q is not an http(s) URL", key, v))
		}
	}
	if m.MaxBytes <= 0 || m.MaxBytes > 1<<30 {
		errs = append(errs, errors.New("MEDIA_MAX_BYTES: want 1 to 1073741824"))
	}
	if m.MaxPixels <= 0 || m.MaxPixels > 200_000_000 {
		errs = append(errs, errors.New("MEDIA_MAX_PIXELS: want 1 to 200000000"))
	}
	if m.UploadTTL < time.Minute || m.UploadTTL > 7*24*time.Hour {
		errs = append(errs, errors.New("MEDIA_UPLOAD_TTL: want 1m to 168h"))
	}
	if m.StagingRetention < m.UploadTTL || m.StagingRetention > 30*24*time.Hour {
		errs = append(errs, errors.New("MEDIA_STAGING_RETENTION: want MEDIA_UPLOAD_TTL to 720h"))
	}
	return errs
}

// LogValue shows the media configuration, keys masked.
func (m Media) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("storage", m.Storage),
		slog.String("dir", m.Dir),
		slog.Bool("upload_secret_set", m.UploadSecret != ""),
		slog.String("s3_bucket", m.S3Bucket),
		slog.String("s3_region", m.S3Region),
		slog.String("s3_endpoint", m.S3Endpoint),
		slog.Bool("s3_keys_set", m.S3AccessKeyID != ""),
		slog.String("public_url", m.ImageBaseURL),
		slog.Int64("max_bytes", m.MaxBytes),
		slog.Int64("max_pixels", m.MaxPixels),
		slog.Duration("upload_ttl", m.UploadTTL),
	)
}
