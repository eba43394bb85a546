package blobs

import (
	"bytes"
	"errors"
	"strings"

	"github.com/balrog-go/balrog/rules"
)

// renderer carries the per-request state of one rendering: the query and
// update type of the part being rendered, the environment, and scratch
// space for string substitution (so that building URLs does not allocate
// per replacement).
type renderer struct {
	q   *rules.Query
	ut  string
	env *Env
	buf [2][]byte
	// store backs buf so that typical URLs need no allocation.
	store [2][384]byte
}

// newRenderer returns a renderer for env (nil means an empty Env).
func newRenderer(env *Env) *renderer {
	if env == nil {
		env = &Env{}
	}
	r := &renderer{env: env}
	r.buf[0], r.buf[1] = r.store[0][:0], r.store[1][:0]
	return r
}

func (r *renderer) reset(q *rules.Query, ut string) {
	r.q, r.ut = q, ut
}

// locale returns the query's locale; XML queries always have one, and the
// reference fails (HTTP 500) on a query without.
func (r *renderer) locale() (string, error) {
	if r.q.Locale == nil {
		return "", errors.New("blobs: query has no locale")
	}
	return *r.q.Locale, nil
}

// buildID returns the query's build ID (see locale).
func (r *renderer) buildID() (string, error) {
	if r.q.BuildID == nil {
		return "", errors.New("blobs: query has no buildID")
	}
	return *r.q.BuildID, nil
}

// repl is one str.replace step.
type repl struct{ old, new string }

// replaceChain applies the steps in order to s, each replacing every
// occurrence like Python's str.replace. The result is s itself when no step
// applies (changed is false), else bytes in the renderer's scratch space that
// stay valid until the next call.
func (r *renderer) replaceChain(s string, steps []repl) (out []byte, changed bool) {
	cur := -1 // -1: the text is s; 0 or 1: it is r.buf[cur]
	for _, st := range steps {
		if st.old == "" {
			continue // not used by the renderer; str.replace would interleave
		}
		next := 0
		if cur == 0 {
			next = 1
		}
		if cur < 0 {
			if !strings.Contains(s, st.old) {
				continue
			}
			r.buf[next] = appendReplaceAll(r.buf[next][:0], s, st.old, st.new)
		} else {
			old := []byte(st.old)
			if bytes.Index(r.buf[cur], old) < 0 {
				continue
			}
			r.buf[next] = appendReplaceAllBytes(r.buf[next][:0], r.buf[cur], old, st.new)
		}
		cur = next
	}
	if cur < 0 {
		return nil, false
	}
	return r.buf[cur], true
}

// appendReplaceAll appends src with every occurrence of old replaced by
// new.
func appendReplaceAll(dst []byte, src, old, new string) []byte {
	for {
		i := strings.Index(src, old)
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:i]...)
		dst = append(dst, new...)
		src = src[i+len(old):]
	}
}

// appendReplaceAllBytes is appendReplaceAll for a byte slice source.
func appendReplaceAllBytes(dst, src []byte, old []byte, new string) []byte {
	for {
		i := bytes.Index(src, old)
		if i < 0 {
			return append(dst, src...)
		}
		dst = append(dst, src[:i]...)
		dst = append(dst, new...)
		src = src[i+len(old):]
	}
}

// appendLocalized appends s with %LOCALE% and then %locale% replaced by
// locale.
func (r *renderer) appendLocalized(dst []byte, s, locale string) []byte {
	steps := [2]repl{{"%LOCALE%", locale}, {"%locale%", locale}}
	if out, changed := r.replaceChain(s, steps[:]); changed {
		return append(dst, out...)
	}
	return append(dst, s...)
}

// finishURL applies the special force hosts and then the allowlist to a
// download URL (public.md §7.4.4). ok is false when the URL is forbidden for
// the query's product.
func (r *renderer) finishURL(url string) (string, bool, error) {
	var suffix string
	switch r.q.Force {
	case rules.ForceMain:
		suffix = "force=1"
	case rules.ForceFallback:
		suffix = "force=-1"
	}
	if suffix != "" && r.env.ForceHosts.Match(url) {
		if strings.IndexByte(url, '?') >= 0 {
			url = url + "&" + suffix
		} else {
			url = url + "?" + suffix
		}
	}
	allowed, err := r.env.Allowlist.Allowed(url, r.q.Product)
	if err != nil || !allowed {
		return "", false, err
	}
	return url, true, nil
}

// appendAttr appends ` name="value"`.
func appendAttr(dst []byte, name, value string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, '=', '"')
	dst = append(dst, value...)
	return append(dst, '"')
}
