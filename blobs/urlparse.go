package blobs

import (
	"errors"
	"net/netip"
	"strings"
)

// splitURL returns the network location and the path of url exactly as
// Python 3.11's urllib.parse.urlparse computes them (netloc and path): the
// allowlist compares those. Leading C0 control characters and spaces are
// stripped and tabs and newlines removed first; a scheme is recognised only
// when it is made of scheme characters and starts with an ASCII letter; the
// netloc follows "//"; the path stops at "?" or "#", and for the schemes
// that use parameters at the ";" of the last path segment. The error is
// Python's ValueError for an unbalanced or invalid bracketed host. (Python's
// NFKC check of non-ASCII network locations is not reproduced.)
func splitURL(url string) (netloc, path string, err error) {
	for len(url) > 0 && url[0] <= ' ' {
		url = url[1:] // C0 controls and space
	}
	if indexAny3(url, '\t', '\r', '\n') >= 0 {
		url = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(url)
	}
	scheme := ""
	if i := strings.IndexByte(url, ':'); i > 0 && isASCIILetter(url[0]) && allSchemeChars(url[:i]) {
		scheme, url = url[:i], url[i+1:]
	}
	if strings.HasPrefix(url, "//") {
		rest := url[2:]
		end := indexAny3(rest, '/', '?', '#')
		if end < 0 {
			end = len(rest)
		}
		netloc, url = rest[:end], rest[end:]
		if err := checkBrackets(netloc); err != nil {
			return "", "", err
		}
	}
	if i := indexAny3(url, '#', '?', '?'); i >= 0 {
		url = url[:i]
	}
	if usesParams(scheme) && strings.IndexByte(url, ';') >= 0 {
		url = splitParams(url)
	}
	return netloc, url, nil
}

func isASCIILetter(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

func allSchemeChars(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isASCIILetter(c) && !('0' <= c && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// usesParams reports whether the (not yet lower-cased) scheme is in
// Python's uses_params list.
func usesParams(scheme string) bool {
	switch strings.ToLower(scheme) {
	case "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtsps", "rtspu", "sip", "sips", "mms", "sftp", "tel":
		return true
	}
	return false
}

// splitParams is Python's _splitparams: the path ends at the first ";" of
// its last segment (or of the whole text when there is no "/").
func splitParams(url string) string {
	if slash := strings.LastIndexByte(url, '/'); slash >= 0 {
		i := strings.IndexByte(url[slash:], ';')
		if i < 0 {
			return url
		}
		return url[:slash+i]
	}
	return url[:strings.IndexByte(url, ';')]
}

var errInvalidIPv6 = errors.New("blobs: invalid IPv6 URL")

// checkBrackets reproduces urlsplit's validation of bracketed hosts.
func checkBrackets(netloc string) error {
	open, close := strings.IndexByte(netloc, '[') >= 0, strings.IndexByte(netloc, ']') >= 0
	if open != close {
		return errInvalidIPv6
	}
	if !open {
		return nil
	}
	_, after, _ := strings.Cut(netloc, "[")
	host, _, _ := strings.Cut(after, "]")
	if strings.HasPrefix(host, "v") {
		// \Av[a-fA-F0-9]+\..+\Z
		i := 1
		for i < len(host) && strings.IndexByte("0123456789abcdefABCDEF", host[i]) >= 0 {
			i++
		}
		if i == 1 || i >= len(host)-1 || host[i] != '.' {
			return errors.New("blobs: IPvFuture address is invalid")
		}
		return nil
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return errInvalidIPv6
	}
	if addr.Is4() {
		return errors.New("blobs: an IPv4 address cannot be in brackets")
	}
	return nil
}

// indexAny3 returns the index of the first of the bytes a, b, c in s, or
// -1 (strings.IndexAny without building a table on every call).
func indexAny3(s string, a, b, c byte) int {
	for i := 0; i < len(s); i++ {
		if x := s[i]; x == a || x == b || x == c {
			return i
		}
	}
	return -1
}
