package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/savannah-commerce/savannah/internal/app"
	"github.com/savannah-commerce/savannah/internal/auth"
	"github.com/savannah-commerce/savannah/internal/config"
	"github.com/savannah-commerce/savannah/internal/media"
)

// mediaConfig opens the image storage MEDIA_* names (a directory under
// DATA_DIR by default, so the embedded store needs no service). The file
// driver's upload URLs are signed with MEDIA_UPLOAD_SECRET, or else with
// a key derived from the token signing key, which replicas share.
func mediaConfig(ctx context.Context, cfg config.Config, key auth.SigningKey) (media.Config, error) {
	m := cfg.Media
	secret := []byte(m.UploadSecret)
	if len(secret) == 0 {
		mac := hmac.New(sha256.New, key.Private.Seed())
		mac.Write([]byte("savannah media upload URLs"))
		secret = mac.Sum(nil)
	}
	st, err := media.OpenStorage(ctx, media.StorageConfig{
		Driver:          m.Storage,
		Dir:             m.Dir,
		UploadURL:       cfg.PublicURL + media.UploadPath,
		UploadSecret:    secret,
		Bucket:          m.S3Bucket,
		Region:          m.S3Region,
		Endpoint:        m.S3Endpoint,
		AccessKeyID:     m.S3AccessKeyID,
		SecretAccessKey: m.S3SecretAccessKey,
		PathStyle:       m.S3PathStyle,
	})
	if err != nil {
		return media.Config{}, err
	}
	base := m.ImageBaseURL
	if base == "" {
		base = cfg.PublicURL + media.ServePath
	}
	if base[len(base)-1] != '/' {
		base += "/"
	}
	return media.Config{Storage: st, PublicURL: base, MaxBytes: m.MaxBytes, MaxPixels: m.MaxPixels, UploadTTL: m.UploadTTL, StagingRetention: m.StagingRetention}, nil
}

// addMediaWorker adds the derivative worker when the store has images.
func addMediaWorker(workers *river.Workers, svc *app.Services) error {
	if svc.Media == nil {
		return nil
	}
	if err := river.AddWorkerSafely(workers, media.NewWorker(svc.Media)); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	return nil
}
