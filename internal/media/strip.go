package media

import (
	"bytes"
	"encoding/binary"
)

// Strip returns an original without its metadata, losslessly: the pixels
// are not decoded, only the containers' metadata dropped. What stays is
// what decoding needs and what colour needs (an ICC profile); EXIF, XMP,
// IPTC, comments and text chunks go, and with them GPS positions, camera
// serial numbers and editing history. A JPEG keeps a new, minimal EXIF
// block holding its orientation alone, so browsers and the derivative
// job still show it upright. Anything after the image's end (trailing
// data, the embedded previews of a multi-picture JPEG) goes too.
//
// data has passed Inspect; a container Strip cannot walk is
// ErrUnsupported.
func Strip(data []byte, f Format) ([]byte, error) {
	switch f {
	case JPEG:
		return stripJPEG(data)
	case PNG:
		return stripPNG(data)
	case WEBP:
		return stripWebP(data)
	}
	return nil, ErrUnsupported
}

// stripJPEG walks the marker segments of a JPEG, entropy-coded data
// included, up to its EOI.
func stripJPEG(data []byte) ([]byte, error) {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil, ErrUnsupported
	}
	out := make([]byte, 0, len(data))
	out = append(out, 0xFF, 0xD8)
	oriented := false
	i := 2
	for {
		// A marker: 0xFF (fill bytes allowed), then its code.
		if i >= len(data) || data[i] != 0xFF {
			return nil, ErrUnsupported
		}
		for i < len(data) && data[i] == 0xFF {
			i++
		}
		if i >= len(data) {
			return nil, ErrUnsupported
		}
		code := data[i]
		i++
		switch {
		case code == 0xD9: // EOI: the end of the image; nothing after it.
			return append(out, 0xFF, 0xD9), nil
		case code >= 0xD0 && code <= 0xD7 || code == 0x01: // no length
			out = append(out, 0xFF, code)
			continue
		}
		if i+2 > len(data) {
			return nil, ErrUnsupported
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || i+n > len(data) {
			return nil, ErrUnsupported
		}
		seg := data[i : i+n] // length bytes and payload
		payload := seg[2:]
		i += n
		switch {
		case code == 0xE1: // APP1: EXIF or XMP.
			if o := exifOrientation(payload); o > 1 && !oriented {
				out = append(out, orientationEXIF(o)...)
				oriented = true
			}
		case code == 0xE0 && bytes.HasPrefix(payload, []byte("JFIF\x00")),
			code == 0xE2 && bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00")),
			code == 0xEE && bytes.HasPrefix(payload, []byte("Adobe")),
			code < 0xE0: // frame, tables, restart interval, scan
			out = append(out, 0xFF, code)
			out = append(out, seg...)
		default:
			// Every other APPn (IPTC, MPF, JFXX, makers' blocks) and COM.
		}
		if code != 0xDA {
			continue
		}
		// After a scan header, entropy-coded data up to the next marker
		// that is neither a stuffed 0x00 nor a restart.
		start := i
		for {
			if i+1 >= len(data) {
				return nil, ErrUnsupported
			}
			if data[i] == 0xFF && data[i+1] != 0x00 && (data[i+1] < 0xD0 || data[i+1] > 0xD7) && data[i+1] != 0xFF {
				break
			}
			i++
		}
		out = append(out, data[start:i]...)
	}
}

// exifOrientation reads the Orientation tag (0x0112) of IFD0 of an APP1
// EXIF payload; 0 when it has none.
func exifOrientation(p []byte) uint16 {
	if !bytes.HasPrefix(p, []byte("Exif\x00\x00")) || len(p) < 14 {
		return 0
	}
	t := p[6:]
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > len(t) {
		return 0
	}
	count := int(bo.Uint16(t[off:]))
	for k := range count {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if o := bo.Uint16(t[e+8:]); o <= 8 {
				return o
			}
			return 0
		}
	}
	return 0
}

// orientationEXIF is an APP1 segment whose EXIF holds one tag: the
// Orientation o.
func orientationEXIF(o uint16) []byte {
	le := binary.LittleEndian
	tiff := []byte{'I', 'I', 42, 0, 8, 0, 0, 0}
	tiff = le.AppendUint16(tiff, 1)
	tiff = le.AppendUint16(tiff, 0x0112)
	tiff = le.AppendUint16(tiff, 3) // SHORT
	tiff = le.AppendUint32(tiff, 1)
	tiff = le.AppendUint16(tiff, o)
	tiff = append(tiff, 0, 0)
	tiff = le.AppendUint32(tiff, 0) // no next IFD
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(payload)+2))
	return append(seg, payload...)
}

// pngKept reports whether a PNG keeps a chunk: the critical ones,
// transparency, colour and pixel density, and APNG's animation. Text
// (tEXt, zTXt, iTXt), eXIf, tIME and private chunks go.
func pngKept(typ string) bool {
	switch typ {
	case "IHDR", "PLTE", "IDAT", "IEND",
		"tRNS", "cHRM", "gAMA", "iCCP", "sBIT", "sRGB", "cICP", "bKGD", "pHYs",
		"acTL", "fcTL", "fdAT":
		return true
	}
	return false
}

func stripPNG(data []byte) ([]byte, error) {
	const sig = "\x89PNG\r\n\x1a\n"
	if !bytes.HasPrefix(data, []byte(sig)) {
		return nil, ErrUnsupported
	}
	out := make([]byte, 0, len(data))
	out = append(out, sig...)
	for i := len(sig); ; {
		if i+8 > len(data) {
			return nil, ErrUnsupported
		}
		n := int(binary.BigEndian.Uint32(data[i:]))
		end := i + 12 + n // length, type, data, CRC
		if n < 0 || end > len(data) || end < i {
			return nil, ErrUnsupported
		}
		typ := string(data[i+4 : i+8])
		if pngKept(typ) {
			out = append(out, data[i:end]...)
		}
		if typ == "IEND" {
			return out, nil
		}
		i = end
	}
}

// VP8X flags of the chunks WebP's extended format declares.
const (
	vp8xEXIF = 1 << 3
	vp8xXMP  = 1 << 2
)

func stripWebP(data []byte) ([]byte, error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return nil, ErrUnsupported
	}
	riff := int(binary.LittleEndian.Uint32(data[4:]))
	if riff < 4 || 8+riff > len(data) {
		return nil, ErrUnsupported
	}
	body := data[12 : 8+riff]
	out := make([]byte, 12, len(data))
	copy(out, data[:12])
	for i := 0; i < len(body); {
		if i+8 > len(body) {
			return nil, ErrUnsupported
		}
		n := int(binary.LittleEndian.Uint32(body[i+4:]))
		end := i + 8 + n + n%2 // chunks are padded to even sizes
		if end > len(body) || end < i {
			return nil, ErrUnsupported
		}
		chunk := body[i:end]
		switch string(chunk[:4]) {
		case "EXIF", "XMP ":
		case "VP8X":
			c := append([]byte{}, chunk...)
			if len(c) > 8 {
				c[8] &^= vp8xEXIF | vp8xXMP
			}
			out = append(out, c...)
		default:
			out = append(out, chunk...)
		}
		i = end
	}
	binary.LittleEndian.PutUint32(out[4:], uint32(len(out)-8))
	return out, nil
}
