package public

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/store/storetest"
)

// TestContentSignatureDigest checks the signed input against the example of
// public.md §10.3.
func TestContentSignatureDigest(t *testing.T) {
	body := `{"version": "0.5.0.0", "url": "https://good.com/0.5.0.0.msi", "required": true, "hashFunction": "sha512", "hashValue": "abcdef"}`
	d := ContentSignatureDigest([]byte(body))
	if got := base64.StdEncoding.EncodeToString(d[:]); got != "OG6gdacy/EPJcOT4Lb/oJlcURJ6gLkkUHsTBVTquhmHURDJaMfa5U0jE0upMPq1j" {
		t.Errorf("digest %s", got)
	}
}

func TestParseSigningKey(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sec1, _ := x509.MarshalECPrivateKey(p384)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(p384)
	sec1P256, _ := x509.MarshalECPrivateKey(p256)
	params := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 5, 43, 129, 4, 0, 34}})
	cases := []struct {
		name    string
		pem     []byte
		wantErr string
	}{
		{"sec1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), ""},
		{"pkcs8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), ""},
		{"openssl ecparam output", append(params, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...), ""},
		{"P-256", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1P256}), "not an ECDSA P-384 key"},
		{"no PEM", []byte("hello"), "no EC PRIVATE KEY"},
		{"garbage", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1, 2, 3}}), "signing key:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := ParseSigningKey(c.pem)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatal(err)
			case c.wantErr == "" && !k.Equal(p384):
				t.Fatal("parsed a different key")
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("error %v, want %q", err, c.wantErr)
			}
		})
	}
}

// TestSignedResponses signs Firefox answers only: they verify with the
// public key, a tampered body does not, a cached answer carries the very
// signature it was stored with, and other answers carry none.
func TestSignedResponses(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := NewSigner(key, "https://x5u.example/chain.pem", []string{"Firefox"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			allow, _ := blobs.NewAllowlist([]blobs.AllowlistHost{{Host: "download.mozilla.org", Products: []string{"Firefox"}}})
			s := New(openLoaded(t, d, testDataset()), Config{Allowlist: allow, Signer: signer}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if _, err := s.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(s.NewHandler())
			defer srv.Close()

			signed := []struct{ name, path string }{
				{"update", updateURL},
				{"no update for a signed product", "/update/6/Firefox/59.0/20170101000000/WINNT_x86-msvc/en-US/nightly/Windows_NT%2010.0/ISET:SSE3,MEM:8192/default/default/update.xml"},
			}
			for _, c := range signed {
				code, body, hdr := fetch(t, srv.URL+c.path)
				sig := hdr.Get("Content-Signature")
				if code != 200 || sig == "" {
					t.Fatalf("%s: %d, Content-Signature %q", c.name, code, sig)
				}
				x5u, err := VerifyContentSignature(&key.PublicKey, []byte(body), sig)
				if err != nil || x5u != "https://x5u.example/chain.pem" {
					t.Fatalf("%s: %v (x5u %q)", c.name, err, x5u)
				}
				if !strings.HasPrefix(sig, "x5u=https://x5u.example/chain.pem; p384ecdsa=") {
					t.Errorf("%s: header %q", c.name, sig)
				}
				tampered := strings.Replace(body, "<updates>", "<updates> ", 1)
				if tampered == body {
					t.Fatalf("%s: nothing to tamper with in %q", c.name, body)
				}
				if _, err := VerifyContentSignature(&key.PublicKey, []byte(tampered), sig); err == nil {
					t.Errorf("%s: a tampered body verifies", c.name)
				}
				other, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
				if _, err := VerifyContentSignature(&other.PublicKey, []byte(body), sig); err == nil {
					t.Errorf("%s: verifies with another key", c.name)
				}
				// ECDSA signatures are randomised: the same value again
				// means the cached answer kept its signature.
				_, again, hdr2 := fetch(t, srv.URL+c.path)
				if again != body || hdr2.Get("Content-Signature") != sig {
					t.Errorf("%s: second answer re-signed or changed: %q", c.name, hdr2.Get("Content-Signature"))
				}
				req, _ := http.NewRequest(http.MethodHead, srv.URL+c.path, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.Header.Get("Content-Signature") != sig {
					t.Errorf("%s: HEAD carries %q", c.name, resp.Header.Get("Content-Signature"))
				}
			}

			unsigned := []struct {
				name, path string
				code       int
			}{
				{"unsigned product", "/update/6/Thunderbird/59.0/20170101000000/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0/ISET:SSE3,MEM:8192/default/default/update.xml", 200},
				{"unknown update path", "/update/whatever", 200},
				{"bad request", "/update/6/Firefox/3.6.17pre/20170101000000/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0/ISET:SSE3,MEM:8192/default/default/update.xml", 400},
				{"json 404", "/json/1/Firefox/59.0/20170101000000/WINNT_x86-msvc/en-US/release/update.json", 404},
			}
			for _, c := range unsigned {
				code, body, hdr := fetch(t, srv.URL+c.path)
				if code != c.code || hdr.Get("Content-Signature") != "" {
					t.Errorf("%s: %d (want %d), Content-Signature %q, body %.100q", c.name, code, c.code, hdr.Get("Content-Signature"), body)
				}
			}
		})
	}
}

func TestNewSignerRefuses(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cases := []struct {
		name     string
		key      *ecdsa.PrivateKey
		x5u      string
		products []string
	}{
		{"P-256 key", p256, "https://x", []string{"GMP"}},
		{"no key", nil, "https://x", []string{"GMP"}},
		{"no x5u", p384, "", []string{"GMP"}},
		{"no products", p384, "https://x", nil},
	}
	for _, c := range cases {
		if _, err := NewSigner(c.key, c.x5u, c.products); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

// BenchmarkContentSignature is the cost of signing one 4 KB answer: what a
// response-cache miss of a signed product adds.
func BenchmarkContentSignature(b *testing.B) {
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	s, err := NewSigner(key, "https://x5u.example/chain.pem", []string{"GMP"})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(strings.Repeat("<update/>", 4096/9))
	for b.Loop() {
		if _, err := s.header(body); err != nil {
			b.Fatal(err)
		}
	}
}
