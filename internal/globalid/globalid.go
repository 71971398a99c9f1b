// Package globalid is the one spelling of the opaque global IDs clients
// see: the GraphQL ID scalar (graph/scalar) and the CDN's cache tags
// (internal/cdn) both use it.
package globalid

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// ErrInvalid is returned for an ID that this server did not issue.
var ErrInvalid = errors.New("invalid ID")

// Len is the length of every encoded ID.
const Len = 11

// Encode turns an ent ID into the opaque global ID clients see: the eight
// big-endian bytes of the ID in unpadded URL-safe base64. ent's global ID
// ranges make the integer unique across all types, so node(id:) can tell
// the type from it.
func Encode(id int) string {
	var b [Len]byte
	Put(b[:], id)
	return string(b[:])
}

// Put writes the encoding of id into dst, which must hold Len bytes,
// without allocating.
func Put(dst []byte, id int) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	base64.RawURLEncoding.Encode(dst[:Len], b[:])
}

// Decode is the inverse of Encode.
func Decode(s string) (int, error) {
	if len(s) != Len {
		return 0, ErrInvalid
	}
	var b [8]byte
	// Strict: an ID has one spelling, the one Encode wrote.
	n, err := base64.RawURLEncoding.Strict().Decode(b[:], []byte(s))
	if err != nil || n != 8 {
		return 0, ErrInvalid
	}
	v := binary.BigEndian.Uint64(b[:])
	if v == 0 || v > 1<<62 {
		return 0, ErrInvalid
	}
	return int(v), nil
}
