package config_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/config"
)

// TestLoadMedia: the file driver needs nothing (its directory defaults
// under DATA_DIR); s3 needs a bucket and both keys or neither; a bad
// value names its variable.
func TestLoadMedia(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(map[string]string{"DATA_DIR": "/var/lib/savannah"}))
	require.NoError(t, err)
	require.Equal(t, "file", c.Media.Storage)
	require.Equal(t, "/var/lib/savannah/media", c.Media.Dir)

	s3 := map[string]string{"MEDIA_STORAGE": "s3", "MEDIA_S3_BUCKET": "media", "MEDIA_S3_ENDPOINT": "http://127.0.0.1:8333",
		"MEDIA_S3_ACCESS_KEY_ID": "k", "MEDIA_S3_SECRET_ACCESS_KEY": "s", "MEDIA_PUBLIC_URL": "https://cdn.example.com/media/"}
	c, err = config.Load(env(s3))
	require.NoError(t, err)
	require.Equal(t, "media", c.Media.S3Bucket)

	for name, over := range map[string]map[string]string{
		"MEDIA_S3_BUCKET":         {"MEDIA_S3_BUCKET": ""},
		"MEDIA_S3_ACCESS_KEY_ID":  {"MEDIA_S3_SECRET_ACCESS_KEY": ""},
		"MEDIA_PUBLIC_URL":        {"MEDIA_PUBLIC_URL": "cdn.example.com"},
		"MEDIA_STORAGE":           {"MEDIA_STORAGE": "gcs"},
		"MEDIA_MAX_PIXELS":        {"MEDIA_MAX_PIXELS": "0"},
		"MEDIA_UPLOAD_TTL":        {"MEDIA_UPLOAD_TTL": "1s"},
		"MEDIA_STAGING_RETENTION": {"MEDIA_UPLOAD_TTL": "2h", "MEDIA_STAGING_RETENTION": "1h"},
	} {
		vars := map[string]string{}
		for k, v := range s3 {
			vars[k] = v
		}
		for k, v := range over {
			vars[k] = v
		}
		_, err := config.Load(env(vars))
		require.ErrorContains(t, err, name, name)
	}
}
