package media_test

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	xwebp "golang.org/x/image/webp"

	"github.com/savannah-commerce/savannah/internal/media"
	"github.com/savannah-commerce/savannah/internal/media/mediatest"
)

// TestInspectRefusesPixelBombWithoutDecoding: a PNG claiming 50,000 ×
// 50,000 pixels is refused from its header, allocating next to nothing;
// a real image of the same format passes.
func TestInspectRefusesPixelBombWithoutDecoding(t *testing.T) {
	bomb := mediatest.PixelBomb(50_000, 50_000)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	info, err := media.Inspect(bytes.NewReader(bomb), media.DefaultMaxPixels)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, media.ErrTooManyPixels)
	require.Equal(t, 50_000, info.Width)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "inspecting the bomb allocated the image")

	ok, err := media.SolidPNG(64, 32, color.Black)
	require.NoError(t, err)
	info, err = media.Inspect(bytes.NewReader(ok), media.DefaultMaxPixels)
	require.NoError(t, err)
	require.Equal(t, media.Info{Format: media.PNG, Width: 64, Height: 32}, info)
}

// TestInspectSniffsTheRealType: a GIF or text is refused whatever it
// claims; JPEG is recognised by its bytes.
func TestInspectSniffsTheRealType(t *testing.T) {
	_, err := media.Inspect(strings.NewReader("GIF89a\x01\x00\x01\x00"), media.DefaultMaxPixels)
	require.ErrorIs(t, err, media.ErrUnsupported)
	_, err = media.Inspect(strings.NewReader("<svg></svg>"), media.DefaultMaxPixels)
	require.ErrorIs(t, err, media.ErrUnsupported)
	info, err := media.Inspect(bytes.NewReader(mediatest.JPEGWithGPS(40, 20)), media.DefaultMaxPixels)
	require.NoError(t, err)
	require.Equal(t, media.JPEG, info.Format)
}

// TestDeriveStripsMetadataAndTurnsUpright: every derivative (JPEG and
// WebP, at each width) lacks the EXIF block and its GPS tag, and is
// upright (the 400 × 200 original with orientation 6 becomes 200 wide).
func TestDeriveStripsMetadataAndTurnsUpright(t *testing.T) {
	src := mediatest.JPEGWithGPS(400, 200)
	require.Contains(t, string(src), mediatest.GPSMarker)
	d, err := media.Derive(bytes.NewReader(src))
	require.NoError(t, err)
	require.Equal(t, 200, d.Width)
	require.Equal(t, 400, d.Height)
	require.Len(t, d.Derivatives, 4) // 160 and 200, each JPEG and WebP
	for _, v := range d.Derivatives {
		require.NotContains(t, string(v.Bytes), "Exif")
		require.NotContains(t, string(v.Bytes), mediatest.GPSMarker)
		var cfg image.Config
		if v.Format == media.JPEG {
			cfg, err = jpeg.DecodeConfig(bytes.NewReader(v.Bytes))
		} else {
			cfg, err = xwebp.DecodeConfig(bytes.NewReader(v.Bytes))
		}
		require.NoError(t, err)
		require.Equal(t, v.Width, cfg.Width)
		require.Equal(t, v.Width*2, cfg.Height, "upright: twice as tall as wide")
	}
	require.True(t, strings.HasPrefix(d.Placeholder, "data:image/png;base64,"))
	require.Less(t, len(d.Placeholder), 1024)
}

func TestSnapWidth(t *testing.T) {
	made := []int{160, 320, 640, 900}
	require.Equal(t, 160, media.SnapWidth(made, 1))
	require.Equal(t, 320, media.SnapWidth(made, 161))
	require.Equal(t, 640, media.SnapWidth(made, 640))
	require.Equal(t, 900, media.SnapWidth(made, 2000))
	require.Equal(t, 900, media.SnapWidth(made, 0))
	require.Equal(t, []int{160, 320, 640, 900}, media.Widths(900))
	require.Equal(t, []int{100}, media.Widths(100))
	require.Equal(t, []int{160, 320, 640, 1280, 2048}, media.Widths(5000))
}

// BenchmarkDerive makes every derivative of a 2-megapixel JPEG and
// reports the time per megapixel and the peak heap in use while it runs
// (sampled every 2 ms).
func BenchmarkDerive(b *testing.B) {
	src := mediatest.JPEGWithGPS(1600, 1250)
	const mp = 1600 * 1250 / 1e6
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}
	}()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := media.Derive(bytes.NewReader(src)); err != nil {
			b.Fatal(err)
		}
	}
	close(done)
	<-sampled
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/mp, "ms/megapixel")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
}
