package app

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/balrog-go/balrog/public"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store/storetest"
)

func TestSigningConfig(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		file    string
		env     map[string]string
		args    []string
		want    Config
		wantErr string
	}{
		{name: "off by default", want: Config{}},
		{name: "file map", file: "signing:\n  key_file: /k.pem\n  x5u: https://x5u.example/c.pem\n  products: [GMP, Guardian]\n",
			want: Config{SigningKeyFile: "/k.pem", SigningX5U: "https://x5u.example/c.pem", SigningProducts: []string{"GMP", "Guardian"}}},
		{name: "file comma list, env and flag override", file: "signing: {key_file: /k.pem, x5u: https://a, products: 'GMP, Firefox'}\n",
			env:  map[string]string{"BALROG_SIGNING_X5U": "https://b"},
			args: []string{"--signing-products", "SystemAddons"},
			want: Config{SigningKeyFile: "/k.pem", SigningX5U: "https://b", SigningProducts: []string{"SystemAddons"}}},
		{name: "flags only", args: []string{"--signing-key-file", "/k.pem", "--signing-x5u", "https://a", "--signing-products", "GMP"},
			want: Config{SigningKeyFile: "/k.pem", SigningX5U: "https://a", SigningProducts: []string{"GMP"}}},
		{name: "no key", file: "signing: {x5u: https://a, products: [GMP]}\n", wantErr: "signing-key-file: required"},
		{name: "no x5u", args: []string{"--signing-key-file", "/k.pem", "--signing-products", "GMP"}, wantErr: "signing-x5u: required"},
		{name: "no products", env: map[string]string{"BALROG_SIGNING_KEY_FILE": "/k", "BALROG_SIGNING_X5U": "https://a"}, wantErr: "signing-products: required"},
		{name: "unknown key", file: "signing: {key: /k.pem}\n", wantErr: `unknown key "key"`},
		{name: "not a map", file: "signing: yes\n", wantErr: "must be a map"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range c.env {
				env[k] = v
			}
			if c.file != "" {
				path := filepath.Join(dir, strings.Repeat("x", i+1)+".yaml")
				if err := os.WriteFile(path, []byte(c.file), 0o600); err != nil {
					t.Fatal(err)
				}
				env["BALROG_CONFIG"] = path
			}
			got, err := LoadConfig(flags(t, c.args...), environ(env))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.SigningKeyFile != c.want.SigningKeyFile || got.SigningX5U != c.want.SigningX5U || !slices.Equal(got.SigningProducts, c.want.SigningProducts) {
				t.Errorf("got %q %q %q", got.SigningKeyFile, got.SigningX5U, got.SigningProducts)
			}
		})
	}
}

// signingConfig writes the scenario dir's config.json with signing on for
// products, with a new P-384 key, and returns its path and the key.
func signingConfig(t *testing.T, dir string, products []string) (string, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(key)
	tmp := t.TempDir()
	keyFile := filepath.Join(tmp, "signing.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "config.json"))
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["signing"] = map[string]any{"key_file": keyFile, "x5u": "https://x5u.example/chain.pem", "products": products}
	config := filepath.Join(tmp, "config.yaml")
	b, _ = json.Marshal(cfg)
	if err := os.WriteFile(config, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return config, key
}

// TestServeSignsConfiguredProducts replays the firefox-modern scenario with
// signing on for GMP and Guardian: every update answer of those products
// carries a signature that verifies with the public key, no other answer
// carries one, and apart from that header every case answers as recorded.
func TestServeSignsConfiguredProducts(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	cases := readCases(t, filepath.Join(dir, "cases.jsonl"))
	signed := []string{"GMP", "Guardian"}
	config, key := signingConfig(t, dir, signed)

	for _, d := range storetest.Databases(t) {
		t.Run(d.Name, func(t *testing.T) {
			if r := runCmd(t, nil, "migrate", "pre", "--db", d.URL); r.code != 0 {
				t.Fatalf("migrate pre: %s", r.stderr)
			}
			if r := runCmd(t, nil, "import", "--skip-validation", "--log-format", "text", "--log-level", "error", "--db", d.URL, dir); r.code != 0 {
				t.Fatalf("import: %s", r.stderr)
			}
			s := startServe(t, d.URL, "--role", "public", "--config", config, "--log-level", "error")
			client := &rawClient{addr: s.addr("public")}
			defer client.reset()
			nSigned, nUnsigned := 0, 0
			for _, c := range cases {
				resp, body, err := client.do(c.Method, c.Path, c.Headers)
				if err != nil {
					t.Fatal(err)
				}
				rawPath, rawQuery, _ := strings.Cut(c.Path, "?")
				m, perr := rules.ParseUpdateRequest(rawPath, rawQuery, c.Headers["User-Agent"])
				wantSigned := perr == nil && m.Kind == rules.UpdateRoute && slices.Contains(signed, m.Query.Product) && resp.StatusCode == 200
				sig := resp.Header.Get("Content-Signature")
				switch {
				case wantSigned && sig == "":
					t.Errorf("case %s %s: no Content-Signature", c.ID, c.Path)
				case !wantSigned && sig != "":
					t.Errorf("case %s %s (%d): unexpected Content-Signature", c.ID, c.Path, resp.StatusCode)
				case wantSigned:
					if _, err := public.VerifyContentSignature(&key.PublicKey, body, sig); err != nil {
						t.Errorf("case %s: %v", c.ID, err)
					}
					nSigned++
				default:
					nUnsigned++
				}
				resp.Header.Del("Content-Signature")
				if why := compareCase(c, resp, body); why != "" && !c.Free {
					t.Errorf("case %s: %s", c.ID, why)
				}
			}
			if nSigned == 0 || nUnsigned == 0 {
				t.Fatalf("%d signed and %d unsigned answers: the scenario does not exercise both", nSigned, nUnsigned)
			}
			t.Logf("%d signed, %d unsigned answers", nSigned, nUnsigned)
		})
	}
}

func TestServeRefusesBadSigningKey(t *testing.T) {
	d := storetest.SQLite(t)
	keyFile := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(keyFile, []byte("not a key"), 0o600)
	r := runCmd(t, nil, "serve", "--role", "public", "--db", d.URL, "--public-addr", "127.0.0.1:0", "--log-format", "text",
		"--signing-key-file", keyFile, "--signing-x5u", "https://a", "--signing-products", "GMP")
	if r.code == 0 || !strings.Contains(r.stderr, "signing-key-file") {
		t.Fatalf("code %d, stderr %q", r.code, r.stderr)
	}
}

// TestExplainShowsContentSignature checks that explain (POST /api/evaluate
// and `balrog explain`) shows the Content-Signature header the public role
// sends: present, verifying with the public key over the explained body,
// for a product signing is configured for; absent for other products and
// when signing is off.
func TestExplainShowsContentSignature(t *testing.T) {
	dir := filepath.Join(sharedDir(t), "conformance", "scenarios", "firefox-modern")
	config, key := signingConfig(t, dir, []string{"GMP"})
	const (
		gmp  = "/update/3/GMP/67.0/20190513195729/WINNT_x86-msvc/en-US/release/Windows_NT%2010.0.0.0.18363.592%20(x64)/default/default/update.xml"
		beta = "/update/6/Firefox/54.0.1/20170628075643/WINNT_x86-msvc-x64/en-US/beta/Windows_NT%2010.0.0.0.18363.592%20(x64)/ISET:SSE4_2,MEM:16384/default/default/update.xml"
	)
	d := storetest.SQLite(t)
	importScenario(t, d, dir)
	s := startServe(t, d.URL, "--role", "admin,public", "--auth", "dev", "--config", config, "--log-level", "error")

	// response is the "response" of an explanation.
	type response struct {
		Status  int               `json:"status"`
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
	}
	overHTTP := func(url string) response {
		t.Helper()
		status, raw := devPost(t, "http://"+s.addr("admin")+"/api/evaluate", "someone", `{"url": "`+url+`"}`)
		var x struct{ Response response }
		if err := json.Unmarshal(raw, &x); err != nil || status != 200 {
			t.Fatalf("explain %s: %d %s", url, status, raw)
		}
		return x.Response
	}
	onCommandLine := func(config, url string) response {
		t.Helper()
		r := runCmd(t, nil, "explain", "--db", d.URL, "--config", config, "--log-level", "error", url)
		var x struct{ Response response }
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &x) != nil {
			t.Fatalf("balrog explain %s: code %d, %.300s %s", url, r.code, r.stdout, r.stderr)
		}
		return x.Response
	}
	verifies := func(how string, resp response) {
		t.Helper()
		sig := resp.Headers["Content-Signature"]
		if resp.Status != 200 || sig == "" || !strings.Contains(resp.Body, " URL=") {
			t.Fatalf("%s: status %d, headers %v, body %.200q: want a signed update", how, resp.Status, resp.Headers, resp.Body)
		}
		x5u, err := public.VerifyContentSignature(&key.PublicKey, []byte(resp.Body), sig)
		if err != nil || x5u != "https://x5u.example/chain.pem" {
			t.Errorf("%s: x5u %q, %v", how, x5u, err)
		}
		if _, err := public.VerifyContentSignature(&key.PublicKey, []byte(strings.Replace(resp.Body, " URL=", "  URL=", 1)), sig); err == nil {
			t.Errorf("%s: the signature verifies over a tampered body", how)
		}
	}

	signed := overHTTP(gmp)
	verifies("POST /api/evaluate", signed)
	_, body, hdr := get(t, "http://"+s.addr("public")+gmp)
	if body != signed.Body || hdr.Get("Content-Signature") == "" {
		t.Errorf("public role: body %.200q, Content-Signature %q; explain body %.200q", body, hdr.Get("Content-Signature"), signed.Body)
	}
	verifies("balrog explain", onCommandLine(config, gmp))

	for how, resp := range map[string]response{
		"unsigned product":       overHTTP(beta),
		"signing not configured": onCommandLine(filepath.Join(dir, "config.json"), gmp),
	} {
		if resp.Status != 200 || resp.Headers["Content-Type"] == "" || !strings.Contains(resp.Body, " URL=") {
			t.Errorf("%s: status %d, headers %v, body %.200q: want an update", how, resp.Status, resp.Headers, resp.Body)
		}
		if sig, ok := resp.Headers["Content-Signature"]; ok {
			t.Errorf("%s: Content-Signature %q", how, sig)
		}
	}
}
