// Package mediatest makes the images media's tests upload: a JPEG carrying
// EXIF orientation and GPS tags, and a pixel bomb.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"github.com/gen2brain/webp"
)

// GPSMarker is in the EXIF block of JPEGWithGPS, and nowhere else.
const GPSMarker = "SAVANNAH-GPS"

// JPEGWithGPS is a w × h JPEG whose EXIF says to rotate it 90° clockwise
// for display (orientation 6) and carries a GPS IFD (latitude reference
// "N") plus a software tag reading GPSMarker. Displayed upright, it is
// h × w pixels.
func JPEGWithGPS(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	raw := b.Bytes()
	out := append([]byte{}, raw[:2]...) // SOI
	out = append(out, segment(0xE1, exifBlock())...)
	out = append(out, segment(0xE1, []byte(xmpPacket))...)
	out = append(out, segment(0xFE, []byte("taken at "+GPSMarker))...) // COM
	return append(out, raw[2:]...)
}

// xmpPacket is an XMP block (as cameras and editors write it in APP1)
// with a GPS position and GPSMarker.
const xmpPacket = "http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">" +
	"<rdf:Description xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" exif:GPSLatitude=\"1,17.0S\" exif:GPSLongitude=\"36,49.0E\" exif:UserComment=\"" + GPSMarker + "\"/>" +
	"</rdf:RDF></x:xmpmeta>"

func segment(marker byte, payload []byte) []byte {
	seg := []byte{0xFF, marker, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	return append(seg, payload...)
}

// PNGWithGPS is a w × h PNG with an eXIf chunk (the EXIF of JPEGWithGPS,
// GPS included) and tEXt and iTXt chunks naming GPSMarker.
func PNGWithGPS(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x), 90, uint8(y), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	raw := b.Bytes()
	// After the signature and IHDR (8 + 25 bytes).
	var meta bytes.Buffer
	chunk(&meta, "eXIf", exifBlock()[6:]) // eXIf holds the TIFF block alone
	chunk(&meta, "tEXt", []byte("Comment\x00"+GPSMarker))
	chunk(&meta, "iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00"+xmpPacket[29:]))
	out := append([]byte{}, raw[:33]...)
	out = append(out, meta.Bytes()...)
	return append(out, raw[33:]...)
}

// WebPWithGPS is a w × h WebP in the extended format, with EXIF and XMP
// chunks (GPS included) declared in its VP8X header.
func WebPWithGPS(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{30, uint8(x), uint8(y), 255})
		}
	}
	var b bytes.Buffer
	if err := webp.Encode(&b, img, webp.Options{Quality: 80}); err != nil {
		panic(err)
	}
	simple := b.Bytes()[12:] // the VP8 or VP8L chunk
	le := binary.LittleEndian
	vp8x := make([]byte, 10)
	vp8x[0] = 1<<3 | 1<<2 // EXIF and XMP present
	put24 := func(p []byte, v int) { p[0], p[1], p[2] = byte(v), byte(v>>8), byte(v>>16) }
	put24(vp8x[4:], w-1)
	put24(vp8x[7:], h-1)
	riffChunk := func(fourcc string, data []byte) []byte {
		c := append([]byte(fourcc), le.AppendUint32(nil, uint32(len(data)))...)
		c = append(c, data...)
		if len(data)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	body := []byte("WEBP")
	body = append(body, riffChunk("VP8X", vp8x)...)
	body = append(body, simple...)
	body = append(body, riffChunk("EXIF", exifBlock()[6:])...)
	body = append(body, riffChunk("XMP ", []byte(xmpPacket[29:]))...)
	out := append([]byte("RIFF"), le.AppendUint32(nil, uint32(len(body)))...)
	return append(out, body...)
}

// exifBlock: "Exif\0\0", a little-endian TIFF header, IFD0 with
// Orientation=6, Software (GPSMarker) and the GPS IFD pointer, and a GPS
// IFD with GPSLatitudeRef "N".
func exifBlock() []byte {
	le := binary.LittleEndian
	var t []byte
	t = append(t, 'I', 'I', 42, 0, 8, 0, 0, 0)
	// IFD0 at 8: 3 entries (2 + 3*12 + 4 = 42 bytes), then data.
	ifd0Len := 2 + 3*12 + 4
	softOff := 8 + ifd0Len
	soft := append([]byte(GPSMarker), 0)
	gpsOff := softOff + len(soft)
	entry := func(tag, typ uint16, count, value uint32) []byte {
		e := make([]byte, 12)
		le.PutUint16(e[0:], tag)
		le.PutUint16(e[2:], typ)
		le.PutUint32(e[4:], count)
		le.PutUint32(e[8:], value)
		return e
	}
	t = le.AppendUint16(t, 3)
	t = append(t, entry(0x0112, 3, 1, 6)...)                               // Orientation, SHORT
	t = append(t, entry(0x0131, 2, uint32(len(soft)), uint32(softOff))...) // Software, ASCII
	t = append(t, entry(0x8825, 4, 1, uint32(gpsOff))...)                  // GPS IFD pointer
	t = le.AppendUint32(t, 0)
	t = append(t, soft...)
	// GPS IFD: GPSLatitudeRef "N".
	t = le.AppendUint16(t, 1)
	t = append(t, entry(0x0001, 2, 2, uint32('N'))...)
	t = le.AppendUint32(t, 0)
	return append([]byte("Exif\x00\x00"), t...)
}

// PixelBomb is a PNG of a few dozen bytes whose header claims w × h
// pixels (50,000 × 50,000 would take 10 GB decoded).
func PixelBomb(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk(&b, "IHDR", ihdr)
	chunk(&b, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

func chunk(b *bytes.Buffer, typ string, data []byte) {
	_ = binary.Write(b, binary.BigEndian, uint32(len(data)))
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	b.WriteString(typ)
	b.Write(data)
	_ = binary.Write(b, binary.BigEndian, crc.Sum32())
}
