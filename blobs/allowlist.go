package blobs

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Allowlist is the domain allowlist (the reference's ALLOWLISTED_DOMAINS,
// public.md §9): it decides whether a download URL may be served to a
// product. It is built once from configuration (regular expressions are
// compiled then) and is safe for concurrent use. A nil *Allowlist allows
// nothing.
type Allowlist struct {
	hosts map[string]*allowHost
}

// AllowlistHost configures one network location (host, plus ":port" and
// "user@" when URLs carry them).
type AllowlistHost struct {
	Host string
	// Products lists the products allowed on the host. It is used when
	// Paths is nil.
	Products []string
	// Paths, when non-nil, is the path form: the first entry whose
	// pattern matches the whole URL path decides.
	Paths []AllowlistPath
}

// AllowlistPath is one entry of a host's path form.
type AllowlistPath struct {
	// Pattern is a Python regular expression matched against the whole
	// path (re.fullmatch).
	Pattern  string
	Products []string
}

type allowHost struct {
	products []string
	paths    []allowPath // nil for the product-list form
}

type allowPath struct {
	re       *regexp.Regexp
	products []string
}

// NewAllowlist builds an Allowlist. A later entry for the same host
// replaces an earlier one. Patterns are translated from Python syntax (see
// compilePythonRegexp); a pattern Go cannot compile is an error.
func NewAllowlist(hosts []AllowlistHost) (*Allowlist, error) {
	a := &Allowlist{hosts: make(map[string]*allowHost, len(hosts))}
	for _, h := range hosts {
		e := &allowHost{products: slices.Clone(h.Products)}
		if h.Paths != nil {
			e.paths = make([]allowPath, 0, len(h.Paths))
			for _, p := range h.Paths {
				re, err := compilePythonRegexp(p.Pattern)
				if err != nil {
					return nil, fmt.Errorf("blobs: allowlist %s: %w", h.Host, err)
				}
				e.paths = append(e.paths, allowPath{re: re, products: slices.Clone(p.Products)})
			}
		}
		a.hosts[h.Host] = e
	}
	return a, nil
}

// ParseAllowlist builds an Allowlist from its JSON configuration form,
// {"host": ["Product", …], "host2": {"<path regex>": ["Product", …]}},
// keeping the order of the path regexes as written.
func ParseAllowlist(data []byte) (*Allowlist, error) {
	root, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	if root.kind != KindObject {
		return nil, errors.New("blobs: domain allowlist is not a JSON object")
	}
	hosts := make([]AllowlistHost, 0, len(root.keys))
	for i, host := range root.keys {
		v := &root.elems[i]
		h := AllowlistHost{Host: host}
		switch v.kind {
		case KindArray:
			if h.Products, err = productList(host, v); err != nil {
				return nil, err
			}
		case KindObject:
			h.Paths = make([]AllowlistPath, 0, len(v.keys))
			for j, pattern := range v.keys {
				products, err := productList(host, &v.elems[j])
				if err != nil {
					return nil, err
				}
				h.Paths = append(h.Paths, AllowlistPath{Pattern: pattern, Products: products})
			}
		default:
			return nil, fmt.Errorf("blobs: domain allowlist entry for %s is neither a list nor an object", host)
		}
		hosts = append(hosts, h)
	}
	return NewAllowlist(hosts)
}

func productList(host string, n *node) ([]string, error) {
	list, ok := stringList(n)
	if !ok || n.kind != KindArray {
		return nil, fmt.Errorf("blobs: domain allowlist entry for %s: products must be a list of strings", host)
	}
	return list, nil
}

// Allowed reports whether url may be served to product. The URL's network
// location (Python's urlparse(url).netloc, compared exactly) must be
// configured; with a product list the product must be in it; with the path
// form the first pattern that matches the whole path decides. The error
// reports a URL that Python's urlparse rejects (an invalid bracketed host),
// on which the reference fails with HTTP 500.
func (a *Allowlist) Allowed(url, product string) (bool, error) {
	netloc, path, err := splitURL(url)
	if err != nil {
		return false, err
	}
	if a == nil {
		return false, nil
	}
	h, ok := a.hosts[netloc]
	if !ok {
		return false, nil
	}
	if h.paths == nil {
		return slices.Contains(h.products, product), nil
	}
	for _, p := range h.paths {
		if p.re.MatchString(path) {
			return slices.Contains(p.products, product), nil
		}
	}
	return false, nil
}

// ForceHosts is the list of special force hosts (the reference's
// SPECIAL_FORCE_HOSTS): URL prefixes whose download URLs carry the
// request's force parameter on (public.md §7.4.4).
type ForceHosts []string

// Match reports whether url starts with one of the prefixes.
func (h ForceHosts) Match(url string) bool {
	for _, p := range h {
		if strings.HasPrefix(url, p) {
			return true
		}
	}
	return false
}

// compilePythonRegexp compiles a Python regular expression for
// re.fullmatch semantics. The pattern is anchored at both ends, Python's
// \Z becomes \z, and the Unicode-aware classes \w, \W and \d of Python str
// patterns become their Unicode equivalents (inside a bracket expression
// only \w and \d are widened). Python-only syntax that RE2 lacks
// (look-around, back-references) fails to compile.
func compilePythonRegexp(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`\A(?:`)
	inClass := false
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			i++
			e := pattern[i]
			switch {
			case e == 'w' && inClass:
				b.WriteString(`\p{L}\p{N}_`)
			case e == 'w':
				b.WriteString(`[\p{L}\p{N}_]`)
			case e == 'W' && !inClass:
				b.WriteString(`[^\p{L}\p{N}_]`)
			case e == 'd':
				b.WriteString(`\p{Nd}`)
			case e == 'D' && !inClass:
				b.WriteString(`\P{Nd}`)
			case e == 'Z' && !inClass:
				b.WriteString(`\z`)
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			// A ']' right after '[' or '[^' is a literal.
			if i+1 < len(pattern) && pattern[i+1] == '^' {
				i++
				b.WriteByte('^')
			}
			if i+1 < len(pattern) && pattern[i+1] == ']' {
				i++
				b.WriteString(`\]`)
			}
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString(`)\z`)
	return regexp.Compile(b.String())
}
