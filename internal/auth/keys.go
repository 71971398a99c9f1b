package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
)

// SigningKey is the Ed25519 key that signs access tokens, with its key ID.
type SigningKey struct {
	ID      string
	Private ed25519.PrivateKey
}

// Public returns the key's public half.
func (k SigningKey) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// newSigningKey names a key by its public half (PublicKeyID).
func newSigningKey(priv ed25519.PrivateKey) SigningKey {
	return SigningKey{ID: PublicKeyID(priv.Public().(ed25519.PublicKey)), Private: priv}
}

// PublicKeyID is a key's kid: a hash of its public half, so the same key
// always has the same kid, whether given as a private key or as a
// previous public key, and a new key never collides with an old one.
func PublicKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

// ParsePublicKeys reads Ed25519 public keys from a list of PEM blocks
// (PKIX, "PUBLIC KEY"), as JWT_PREVIOUS_PUBLIC_KEYS holds them.
func ParsePublicKeys(pemText []byte) ([]ed25519.PublicKey, error) {
	var out []ed25519.PublicKey
	for i := 1; ; i++ {
		var block *pem.Block
		block, pemText = pem.Decode(pemText)
		if block == nil {
			break
		}
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("key %d: want a PEM block of type PUBLIC KEY, got %s", i, block.Type)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key %d: parse public key: %w", i, err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("key %d: want an Ed25519 key, got %T", i, k)
		}
		out = append(out, pub)
	}
	if len(bytes.TrimSpace(pemText)) > 0 {
		return nil, errors.New("text after the last PEM block is not a key")
	}
	return out, nil
}

// MarshalPublicKey writes the key's public half as PKIX PEM, the form
// JWT_PREVIOUS_PUBLIC_KEYS takes after a rotation.
func MarshalPublicKey(k SigningKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// GenerateSigningKey makes a new random signing key.
func GenerateSigningKey() (SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	return newSigningKey(priv), nil
}

// ParseSigningKey reads an Ed25519 private key from PEM (PKCS#8, "PRIVATE
// KEY"), as JWT_PRIVATE_KEY holds it.
func ParseSigningKey(pemText []byte) (SigningKey, error) {
	block, _ := pem.Decode(pemText)
	if block == nil || block.Type != "PRIVATE KEY" {
		return SigningKey{}, errors.New("want a PEM block of type PRIVATE KEY (PKCS#8)")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return SigningKey{}, fmt.Errorf("parse PKCS#8 key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return SigningKey{}, fmt.Errorf("want an Ed25519 key, got %T", k)
	}
	return newSigningKey(priv), nil
}

// MarshalSigningKey writes the key as PKCS#8 PEM.
func MarshalSigningKey(k SigningKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return nil, fmt.Errorf("marshal signing key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// DevSigningKey loads the development signing key from dir, generating and
// saving it (readable by the owner only) on first use, so tokens survive a
// restart. It warns: production must configure JWT_PRIVATE_KEY.
func DevSigningKey(dir string, log *slog.Logger) (SigningKey, error) {
	path := filepath.Join(dir, "jwt-signing-key.pem")
	if b, err := os.ReadFile(path); err == nil {
		k, err := ParseSigningKey(b)
		if err != nil {
			return SigningKey{}, fmt.Errorf("%s: %w", path, err)
		}
		log.Warn("using the development JWT signing key; set JWT_PRIVATE_KEY in production", slog.String("path", path), slog.String("kid", k.ID))
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return SigningKey{}, fmt.Errorf("read signing key: %w", err)
	}
	k, err := GenerateSigningKey()
	if err != nil {
		return SigningKey{}, err
	}
	b, err := MarshalSigningKey(k)
	if err != nil {
		return SigningKey{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return SigningKey{}, fmt.Errorf("create data directory: %w", err)
	}
	// O_EXCL: two processes starting at once must not overwrite each
	// other's key; the loser reads the winner's.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return DevSigningKey(dir, log)
	}
	if err != nil {
		return SigningKey{}, fmt.Errorf("write signing key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return SigningKey{}, fmt.Errorf("write signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return SigningKey{}, fmt.Errorf("write signing key: %w", err)
	}
	log.Warn("generated a development JWT signing key; set JWT_PRIVATE_KEY in production", slog.String("path", path), slog.String("kid", k.ID))
	return k, nil
}

// JWK is one public key in JSON Web Key form (RFC 8037: OKP, Ed25519).
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// JWKS is the document served at /.well-known/jwks.json.
type JWKS struct {
	Keys []JWK `json:"keys"`
}
