package media_test

import (
	"bytes"
	"image"
	"testing"

	"github.com/disintegration/imaging"
	"github.com/stretchr/testify/require"

	"github.com/savannah-commerce/savannah/internal/media"
	"github.com/savannah-commerce/savannah/internal/media/mediatest"
)

// TestStrip: a JPEG, a PNG and a WebP carrying GPS in EXIF, XMP and text
// lose all of it, pixels untouched: the stripped file decodes to the same
// image, and the JPEG keeps its orientation (displayed upright, 400 ×
// 800); a file that is not a well-formed container is refused.
func TestStrip(t *testing.T) {
	for _, c := range []struct {
		f    media.Format
		data []byte
	}{
		{media.JPEG, mediatest.JPEGWithGPS(800, 400)},
		{media.PNG, mediatest.PNGWithGPS(60, 40)},
		{media.WEBP, mediatest.WebPWithGPS(60, 40)},
	} {
		t.Run(string(c.f), func(t *testing.T) {
			require.Contains(t, string(c.data), mediatest.GPSMarker)
			info, err := media.Inspect(bytes.NewReader(c.data), media.DefaultMaxPixels)
			require.NoError(t, err)
			out, err := media.Strip(c.data, c.f)
			require.NoError(t, err)
			require.NotContains(t, string(out), mediatest.GPSMarker)
			require.NotContains(t, string(out), "GPS")
			require.NotContains(t, string(out), "xmpmeta")
			got, err := media.Inspect(bytes.NewReader(out), media.DefaultMaxPixels)
			require.NoError(t, err)
			require.Equal(t, info, got)

			before, err := imaging.Decode(bytes.NewReader(c.data))
			require.NoError(t, err)
			after, err := imaging.Decode(bytes.NewReader(out))
			require.NoError(t, err)
			require.Equal(t, toNRGBA(before).Pix, toNRGBA(after).Pix, "the pixels are untouched")

			upright, err := imaging.Decode(bytes.NewReader(out), imaging.AutoOrientation(true))
			require.NoError(t, err)
			if c.f == media.JPEG {
				require.Equal(t, image.Pt(400, 800), upright.Bounds().Size(), "orientation kept")
			}
		})
	}
	_, err := media.Strip([]byte("\xff\xd8\xff\xe1\x00"), media.JPEG)
	require.ErrorIs(t, err, media.ErrUnsupported)
	_, err = media.Strip(mediatest.PixelBomb(10, 10)[:20], media.PNG)
	require.ErrorIs(t, err, media.ErrUnsupported)
}

func toNRGBA(img image.Image) *image.NRGBA { return imaging.Clone(img) }
