package public

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Content signing (public.md §10.3) as Autograph's content signature does
// it, with a P-384 key held by the process instead of a remote service: the
// signed input is "Content-Signature:\x00" followed by the body, hashed with
// SHA-384; the signature is r||s (48 bytes each), base64url-encoded, sent as
// Content-Signature: x5u=<x5u>; p384ecdsa=<signature>.

// contentSignaturePrefix is what Autograph puts before the signed body.
const contentSignaturePrefix = "Content-Signature:\x00"

// p384Size is the length of r and of s in a P-384 signature.
const p384Size = 48

// Signer signs the update responses of the products it is configured for.
// A nil *Signer signs nothing.
type Signer struct {
	key      *ecdsa.PrivateKey
	x5u      string
	products map[string]bool
}

// NewSigner returns a signer with a P-384 key, the x5u URL clients fetch the
// certificate chain from, and the products whose responses it signs.
func NewSigner(key *ecdsa.PrivateKey, x5u string, products []string) (*Signer, error) {
	if key == nil || key.Curve != elliptic.P384() {
		return nil, errors.New("signing: the key must be an ECDSA P-384 private key")
	}
	if x5u == "" {
		return nil, errors.New("signing: an x5u URL is required")
	}
	if len(products) == 0 {
		return nil, errors.New("signing: no products to sign for")
	}
	s := &Signer{key: key, x5u: x5u, products: map[string]bool{}}
	for _, p := range products {
		s.products[p] = true
	}
	return s, nil
}

// ParseSigningKey reads a PEM-encoded ECDSA P-384 private key, in SEC 1
// ("EC PRIVATE KEY") or PKCS #8 ("PRIVATE KEY") form.
func ParseSigningKey(pemBytes []byte) (*ecdsa.PrivateKey, error) {
	for rest := pemBytes; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("signing key: no EC PRIVATE KEY or PRIVATE KEY PEM block")
		}
		var key any
		var err error
		switch block.Type {
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			continue // e.g. EC PARAMETERS before the key
		}
		if err != nil {
			return nil, fmt.Errorf("signing key: %w", err)
		}
		ec, ok := key.(*ecdsa.PrivateKey)
		if !ok || ec.Curve != elliptic.P384() {
			return nil, errors.New("signing key: not an ECDSA P-384 key")
		}
		return ec, nil
	}
}

// signs reports whether responses for product carry a signature.
func (s *Signer) signs(product string) bool {
	return s != nil && s.products[product]
}

// header signs body and returns the Content-Signature value.
func (s *Signer) header(body []byte) (string, error) {
	digest := ContentSignatureDigest(body)
	r, sig, err := ecdsa.Sign(rand.Reader, s.key, digest[:])
	if err != nil {
		return "", fmt.Errorf("content signature: %w", err)
	}
	var raw [2 * p384Size]byte
	r.FillBytes(raw[:p384Size])
	sig.FillBytes(raw[p384Size:])
	return "x5u=" + s.x5u + "; p384ecdsa=" + base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// signatureHeader returns the Content-Signature header value for a response
// to product, or nil when the product is not signed.
func (s *Signer) signatureHeader(product string, body []byte) ([]string, error) {
	if !s.signs(product) {
		return nil, nil
	}
	v, err := s.header(body)
	if err != nil {
		return nil, err
	}
	return []string{v}, nil
}

// ContentSignatureDigest is the SHA-384 of "Content-Signature:\x00" + body,
// the value Autograph signs.
func ContentSignatureDigest(body []byte) [sha512.Size384]byte {
	h := sha512.New384()
	h.Write([]byte(contentSignaturePrefix))
	h.Write(body)
	var out [sha512.Size384]byte
	h.Sum(out[:0])
	return out
}

// VerifyContentSignature checks a Content-Signature header value against
// body with the public key, and returns the x5u it names.
func VerifyContentSignature(pub *ecdsa.PublicKey, body []byte, header string) (string, error) {
	var x5u, sig string
	for _, field := range strings.Split(header, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(field), "=")
		switch k {
		case "x5u":
			x5u = v
		case "p384ecdsa":
			sig = v
		}
	}
	if x5u == "" || sig == "" {
		return "", fmt.Errorf("content signature %q: want x5u=...; p384ecdsa=...", header)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(sig, "="))
	if err != nil || len(raw) != 2*p384Size {
		return "", fmt.Errorf("content signature: p384ecdsa is not %d base64url bytes", 2*p384Size)
	}
	digest := ContentSignatureDigest(body)
	r, sv := new(big.Int).SetBytes(raw[:p384Size]), new(big.Int).SetBytes(raw[p384Size:])
	if !ecdsa.Verify(pub, digest[:], r, sv) {
		return x5u, errors.New("content signature: the signature does not match the body")
	}
	return x5u, nil
}
