package blobs

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/balrog-go/balrog/rules"
)

// queryFromPath builds the update query of a request path the way public.md
// §3 describes. It exists so that tests can be written with the request
// paths of the spec and of the recorded conformance cases; the real parser
// lives in the public package.
func queryFromPath(path, userAgent string) (*rules.Query, error) {
	rawPath, rawQuery, _ := strings.Cut(path, "?")
	raw := strings.Split(rawPath, "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		d, err := url.PathUnescape(s)
		if err != nil {
			return nil, err
		}
		segs[i] = d
	}
	params := parseQueryLenient(rawQuery)
	last := func(k string) *string {
		if v, ok := params[k]; ok {
			s := v[len(v)-1]
			return &s
		}
		return nil
	}
	if len(segs) < 4 || segs[0] != "" {
		return nil, fmt.Errorf("bad path %q", path)
	}
	n, err := strconv.Atoi(segs[2])
	if err != nil {
		return nil, err
	}
	q := &rules.Query{QueryVersion: n}
	if segs[1] == "json" {
		return jsonQuery(q, segs, last)
	}
	names := map[int][]string{
		1: {"product", "version", "buildID", "buildTarget", "locale", "channel"},
		2: {"product", "version", "buildID", "buildTarget", "locale", "channel", "osVersion"},
		3: {"product", "version", "buildID", "buildTarget", "locale", "channel", "osVersion", "distribution", "distVersion"},
		4: {"product", "version", "buildID", "buildTarget", "locale", "channel", "osVersion", "distribution", "distVersion", "platformVersion"},
		5: {"product", "version", "buildID", "buildTarget", "locale", "channel", "osVersion", "distribution", "distVersion", "IMEI"},
		6: {"product", "version", "buildID", "buildTarget", "locale", "channel", "osVersion", "systemCapabilities", "distribution", "distVersion"},
	}[n]
	if names == nil || segs[1] != "update" || len(segs) != len(names)+4 || segs[len(segs)-1] != "update.xml" {
		return nil, fmt.Errorf("unrouted path %q", path)
	}
	f := map[string]string{}
	for i, name := range names {
		f[name] = segs[3+i]
	}
	if n == 3 && strings.HasSuffix(f["version"], "esrpre") {
		f["version"] = strings.TrimSuffix(f["version"], "esrpre")
	}
	if n == 1 {
		f["osVersion"] = ""
	}
	caps, hasCaps := f["systemCapabilities"]
	delete(f, "systemCapabilities")
	force := last("force")
	for k, v := range f {
		f[k] = asciiFold(v)
	}
	if force != nil {
		s := asciiFold(*force)
		force = &s
		if strings.Contains(s, "avast") {
			before, _, found := strings.Cut(s, "?")
			if !found {
				before, _, found = strings.Cut(s, "%3F")
			}
			if found {
				force = &before
			}
		}
	}
	f["locale"] = strings.ReplaceAll(f["locale"], "x86 ", "")
	str := func(k string) *string {
		if v, ok := f[k]; ok {
			return &v
		}
		return nil
	}
	q.Route = rules.RouteXML
	q.Product, q.Version, q.BuildTarget, q.Channel = f["product"], f["version"], f["buildTarget"], f["channel"]
	q.BuildID, q.Locale = str("buildID"), str("locale")
	q.OSVersion, q.Distribution, q.DistVersion = str("osVersion"), str("distribution"), str("distVersion")
	q.PlatformVersion, q.IMEI = str("platformVersion"), str("IMEI")
	if hasCaps {
		q.InstructionSet, q.Memory, q.Jaws = systemCapabilities(caps)
	}
	q.HeaderArchitecture = "Intel"
	if strings.HasPrefix(q.BuildTarget, "Darwin") && strings.Contains(userAgent, "PPC") {
		q.HeaderArchitecture = "PPC"
	}
	q.Force = forceOf(force)
	if m := last("mig64"); m != nil {
		b := *m == "1"
		q.Mig64 = &b
	}
	if p := last("pin"); p != nil {
		s := asciiFold(*p)
		q.Pin = &s
	}
	return q, nil
}

func jsonQuery(q *rules.Query, segs []string, last func(string) *string) (*rules.Query, error) {
	q.Route = rules.RouteJSON
	switch {
	case q.QueryVersion == 1 && len(segs) == 8:
	case q.QueryVersion == 2 && len(segs) == 9:
		os := segs[7]
		q.OSVersion = &os
	default:
		return nil, fmt.Errorf("unrouted json path")
	}
	q.Product, q.Version, q.BuildTarget, q.Channel = segs[3], segs[4], segs[5], segs[6]
	q.Force = forceOf(last("force"))
	return q, nil
}

func forceOf(s *string) rules.Force {
	if s == nil {
		return rules.ForceNone
	}
	switch *s {
	case "1":
		return rules.ForceMain
	case "-1":
		return rules.ForceFallback
	}
	return rules.ForceNone
}

func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= utf8.RuneSelf {
			b.WriteByte('?')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func systemCapabilities(s string) (iset *string, mem *int, jaws *bool) {
	atoi := func(v string) *int {
		i, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil
		}
		return &i
	}
	if strings.HasPrefix(s, "ISET:") {
		for _, part := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(part, ":")
			if !ok {
				continue
			}
			switch k {
			case "ISET":
				v := v
				iset = &v
			case "MEM":
				mem = atoi(v)
			case "JAWS":
				jaws = nil
				if i := atoi(v); i != nil {
					b := *i != 0
					jaws = &b
				}
			}
		}
		return
	}
	parts := strings.Split(s, ",")
	switch len(parts) {
	case 1:
		iset = &parts[0]
	case 2:
		iset = &parts[0]
		mem = atoi(parts[1])
	}
	return
}

// parseQueryLenient parses a query string like werkzeug: "+" is a space and
// invalid percent escapes are kept as written.
func parseQueryLenient(raw string) map[string][]string {
	params := map[string][]string{}
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, v = unquoteLenient(k), unquoteLenient(v)
		params[k] = append(params[k], v)
	}
	return params
}

func unquoteLenient(s string) string {
	s = strings.ReplaceAll(s, "+", " ")
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}
