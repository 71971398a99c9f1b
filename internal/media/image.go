package media

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"

	"github.com/disintegration/imaging"
	"github.com/gen2brain/webp"
	xwebp "golang.org/x/image/webp"
)

// Format is an image format the store accepts (originals) or makes
// (derivatives).
type Format string

// The formats: originals are JPEG, PNG or WebP; derivatives JPEG and
// WebP.
const (
	JPEG Format = "JPEG"
	PNG  Format = "PNG"
	WEBP Format = "WEBP"
)

// MIME is the format's media type.
func (f Format) MIME() string {
	switch f {
	case PNG:
		return "image/png"
	case WEBP:
		return "image/webp"
	default:
		return "image/jpeg"
	}
}

func (f Format) ext() string {
	switch f {
	case PNG:
		return "png"
	case WEBP:
		return "webp"
	default:
		return "jpg"
	}
}

// FormatOfMIME is the accepted format of a media type.
func FormatOfMIME(mime string) (Format, bool) {
	for _, f := range []Format{JPEG, PNG, WEBP} {
		if f.MIME() == mime {
			return f, true
		}
	}
	return "", false
}

// Ladder is the widths derivatives are made at; URLs snap to it.
var Ladder = [...]int{160, 320, 640, 1280, 2048}

// Why an image is refused (Inspect).
var (
	ErrUnsupported   = errors.New("media: not a JPEG, PNG or WebP image")
	ErrTooManyPixels = errors.New("media: too many pixels")
)

// Info is what Inspect learns from an image's header.
type Info struct {
	Format        Format
	Width, Height int
}

// Inspect sniffs the real format of r's bytes (whatever the uploader
// claimed) and reads the pixel size from the header alone: an image of
// more than maxPixels is refused before anything is decoded, so a small
// file claiming 50,000 × 50,000 pixels costs a few bytes of reading.
func Inspect(r io.Reader, maxPixels int64) (Info, error) {
	br := bufio.NewReaderSize(r, 512)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) {
		return Info{}, fmt.Errorf("media: read: %w", err)
	}
	f, ok := FormatOfMIME(http.DetectContentType(head))
	if !ok {
		return Info{}, ErrUnsupported
	}
	var cfg image.Config
	switch f {
	case JPEG:
		cfg, err = jpeg.DecodeConfig(br)
	case PNG:
		cfg, err = png.DecodeConfig(br)
	case WEBP:
		cfg, err = xwebp.DecodeConfig(br)
	}
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return Info{}, ErrUnsupported
	}
	info := Info{Format: f, Width: cfg.Width, Height: cfg.Height}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return info, ErrTooManyPixels
	}
	return info, nil
}

// Derivative is one resized copy of an image.
type Derivative struct {
	Width, Height int
	Format        Format
	Bytes         []byte
}

// Derived is what Derive makes of an original.
type Derived struct {
	// Width and Height are the original's, upright.
	Width, Height int
	// Derivatives, by ascending width, each in JPEG and WebP.
	Derivatives []Derivative
	// Placeholder is a data: URI of an image at most 8 pixels on a side.
	Placeholder string
}

// Widths are the derivative widths for an image w pixels wide: the ladder
// below w, and w itself (at most the ladder's top).
func Widths(w int) []int {
	top := min(w, Ladder[len(Ladder)-1])
	var out []int
	for _, l := range Ladder {
		if l < top {
			out = append(out, l)
		}
	}
	return append(out, top)
}

// Derive decodes an original (checked by Inspect), turns it upright by its
// EXIF orientation and re-encodes it at every width of Widths, as JPEG
// and WebP. Re-encoding from pixels keeps no metadata: EXIF, GPS and XMP
// are gone from every derivative. Transparency is flattened onto white.
func Derive(r io.Reader) (Derived, error) {
	img, err := imaging.Decode(r, imaging.AutoOrientation(true))
	if err != nil {
		return Derived{}, fmt.Errorf("media: decode: %w", err)
	}
	b := img.Bounds()
	// Flatten onto white only what has transparency: a JPEG is opaque,
	// and a copy of a 40 MP image costs 160 MB.
	flat := img
	if o, ok := img.(interface{ Opaque() bool }); !ok || !o.Opaque() {
		flat = imaging.Overlay(imaging.New(b.Dx(), b.Dy(), color.White), img, image.Pt(0, 0), 1)
	}
	out := Derived{Width: b.Dx(), Height: b.Dy()}
	for _, w := range Widths(b.Dx()) {
		sized := flat
		if w != b.Dx() {
			sized = imaging.Resize(flat, w, 0, imaging.Lanczos)
		}
		var jb bytes.Buffer
		if err := jpeg.Encode(&jb, sized, &jpeg.Options{Quality: 82}); err != nil {
			return Derived{}, fmt.Errorf("media: jpeg: %w", err)
		}
		var wb bytes.Buffer
		if err := webp.Encode(&wb, sized, webp.Options{Quality: 75, Method: 4}); err != nil {
			return Derived{}, fmt.Errorf("media: webp: %w", err)
		}
		h := sized.Bounds().Dy()
		out.Derivatives = append(out.Derivatives,
			Derivative{Width: w, Height: h, Format: JPEG, Bytes: jb.Bytes()},
			Derivative{Width: w, Height: h, Format: WEBP, Bytes: wb.Bytes()})
	}
	var pb bytes.Buffer
	if err := png.Encode(&pb, imaging.Fit(flat, 8, 8, imaging.Box)); err != nil {
		return Derived{}, fmt.Errorf("media: placeholder: %w", err)
	}
	out.Placeholder = "data:image/png;base64," + base64.StdEncoding.EncodeToString(pb.Bytes())
	return out, nil
}

// SnapWidth is the width of the derivative to serve for a request of at
// most maxWidth pixels (0: the largest): the smallest made width at or
// above it, else the largest.
func SnapWidth(made []int, maxWidth int) int {
	if len(made) == 0 {
		return 0
	}
	if maxWidth > 0 {
		for _, w := range made {
			if w >= maxWidth {
				return w
			}
		}
	}
	return made[len(made)-1]
}

// SolidPNG is a w × h PNG of one colour (the demo store's images).
func SolidPNG(w, h int, c color.Color) ([]byte, error) {
	var b bytes.Buffer
	if err := png.Encode(&b, imaging.New(w, h, c)); err != nil {
		return nil, fmt.Errorf("media: png: %w", err)
	}
	return b.Bytes(), nil
}
