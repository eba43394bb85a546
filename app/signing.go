package app

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/balrog-go/balrog/public"
)

// signingKeys are the keys of the config file's signing map and the
// settings they stand for.
var signingKeys = map[string]string{
	"key_file": "signing-key-file",
	"x5u":      "signing-x5u",
	"products": "signing-products",
}

// signingOf reads the config file's signing map:
//
//	signing: {key_file: /etc/balrog/signing.pem, x5u: https://..., products: [GMP]}
//
// Each key sets the scalar setting it stands for, so the environment and
// flags still override it.
func (c *Config) signingOf(n *yaml.Node, scalars map[string]setting) error {
	if n.Kind != yaml.MappingNode {
		return errors.New("must be a map with key_file, x5u and products")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := n.Content[i].Value, n.Content[i+1]
		name, ok := signingKeys[key]
		if !ok {
			return fmt.Errorf("unknown key %q (want key_file, x5u, products)", key)
		}
		value := v.Value
		switch {
		case key == "products" && v.Kind == yaml.SequenceNode:
			list, err := stringsOf(v)
			if err != nil {
				return fmt.Errorf("products: %w", err)
			}
			value = strings.Join(list, ",")
		case v.Kind != yaml.ScalarNode:
			return fmt.Errorf("%s must be a scalar", key)
		}
		if err := scalars[strings.ReplaceAll(name, "-", "_")].set(c, value); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	return nil
}

// splitList reads a comma-separated list, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// validateSigning accepts signing off (nothing set) or fully configured.
func (c *Config) validateSigning() error {
	set := c.SigningKeyFile != "" || c.SigningX5U != "" || len(c.SigningProducts) > 0
	if !set {
		return nil
	}
	switch {
	case c.SigningKeyFile == "":
		return errors.New("setting signing-key-file: required when signing is configured")
	case c.SigningX5U == "":
		return errors.New("setting signing-x5u: required when signing is configured")
	case len(c.SigningProducts) == 0:
		return errors.New("setting signing-products: required when signing is configured")
	}
	return nil
}

// signer loads the signing key; nil when signing is off.
func (p *process) signer() (*public.Signer, error) {
	if p.cfg.SigningKeyFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(p.cfg.SigningKeyFile)
	if err != nil {
		return nil, fmt.Errorf("signing-key-file: %w", err)
	}
	key, err := public.ParseSigningKey(b)
	if err != nil {
		return nil, fmt.Errorf("signing-key-file %s: %w", p.cfg.SigningKeyFile, err)
	}
	s, err := public.NewSigner(key, p.cfg.SigningX5U, p.cfg.SigningProducts)
	if err != nil {
		return nil, err
	}
	p.log.Info("public: signing update responses", "products", strings.Join(p.cfg.SigningProducts, ","), "x5u", p.cfg.SigningX5U)
	return s, nil
}
