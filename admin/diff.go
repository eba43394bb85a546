package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// releaseDiff is GET /scheduled_change/diff/release/{sc_id}: a unified diff
// of the current blob against the scheduled one, both rendered as Python's
// json.dumps(indent=2, sort_keys=True).
func (s *Server) releaseDiff(c echo.Context) error {
	id, err := scID(c)
	if err != nil {
		return err
	}
	var out string
	err = s.anon(c, func(tx *gormstore.AdminTx) error {
		sc, err := loadSC(tx, scReleases, id, scNotFound())
		if err != nil {
			return err
		}
		name := strOf(sc.Base["name"])
		cur, err := tx.Release(name)
		var old []byte
		curVersion := "None"
		if err == nil {
			old, curVersion = cur.Data, fmt.Sprint(cur.DataVersion)
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		newData, _ := sc.Base["data"].(string)
		out = unifiedDiff(pyIndentJSON(old), pyIndentJSON([]byte(newData)),
			fmt.Sprintf("Current Version (Data Version %s)", curVersion), fmt.Sprintf("Scheduled Update (sc_id %d)", id))
		return nil
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "text/plain", []byte(out))
}

// pyIndentJSON renders JSON text as Python's json.dumps(v, indent=2,
// sort_keys=True) does: lines, non-ASCII escaped.
func pyIndentJSON(b []byte) []string {
	if len(b) == 0 {
		return []string{"null"}
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return strings.Split(string(b), "\n")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	var out strings.Builder
	for _, r := range strings.TrimSuffix(buf.String(), "\n") {
		if r < utf8.RuneSelf {
			out.WriteRune(r)
			continue
		}
		for _, u := range utf16Units(r) {
			fmt.Fprintf(&out, `\u%04x`, u)
		}
	}
	return strings.Split(out.String(), "\n")
}

func utf16Units(r rune) []uint16 {
	if r < 0x10000 {
		return []uint16{uint16(r)}
	}
	r -= 0x10000
	return []uint16{uint16(0xd800 + (r >> 10)), uint16(0xdc00 + (r & 0x3ff))}
}

// opcode is one difflib opcode: tag over a[i1:i2] and b[j1:j2].
type opcode struct {
	tag            byte // 'e'qual, 'r'eplace, 'd'elete, 'i'nsert
	i1, i2, j1, j2 int
}

// diffOpcodes matches a against b: common prefix and suffix, and a longest
// common subsequence of the middle when it is small (else one replacement).
func diffOpcodes(a, b []string) []opcode {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []opcode
	add := func(tag byte, i1, i2, j1, j2 int) {
		if i1 == i2 && j1 == j2 {
			return
		}
		if tag != 'e' {
			switch {
			case i1 == i2:
				tag = 'i'
			case j1 == j2:
				tag = 'd'
			default:
				tag = 'r'
			}
		}
		ops = append(ops, opcode{tag, i1, i2, j1, j2})
	}
	add('e', 0, pre, 0, pre)
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma)*len(mb) > 4_000_000 {
		add('r', pre, pre+len(ma), pre, pre+len(mb))
	} else {
		// lcs[i][j] is the LCS length of ma[i:] and mb[j:].
		lcs := make([][]int, len(ma)+1)
		for i := range lcs {
			lcs[i] = make([]int, len(mb)+1)
		}
		for i := len(ma) - 1; i >= 0; i-- {
			for j := len(mb) - 1; j >= 0; j-- {
				if ma[i] == mb[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j, si, sj := 0, 0, 0, 0
		for i < len(ma) && j < len(mb) {
			switch {
			case ma[i] == mb[j]:
				add('r', pre+si, pre+i, pre+sj, pre+j)
				k := 0
				for i+k < len(ma) && j+k < len(mb) && ma[i+k] == mb[j+k] {
					k++
				}
				add('e', pre+i, pre+i+k, pre+j, pre+j+k)
				i, j = i+k, j+k
				si, sj = i, j
			case lcs[i+1][j] >= lcs[i][j+1]:
				i++
			default:
				j++
			}
		}
		add('r', pre+si, pre+len(ma), pre+sj, pre+len(mb))
	}
	add('e', len(a)-suf, len(a), len(b)-suf, len(b))
	return ops
}

// groupOpcodes is difflib's get_grouped_opcodes with n lines of context.
func groupOpcodes(ops []opcode, n int) [][]opcode {
	if len(ops) == 0 {
		ops = []opcode{{'e', 0, 1, 0, 1}}
	}
	if ops[0].tag == 'e' {
		o := &ops[0]
		o.i1, o.j1 = max(o.i1, o.i2-n), max(o.j1, o.j2-n)
	}
	if last := &ops[len(ops)-1]; last.tag == 'e' {
		last.i2, last.j2 = min(last.i2, last.i1+n), min(last.j2, last.j1+n)
	}
	var groups [][]opcode
	var group []opcode
	for _, o := range ops {
		if o.tag == 'e' && o.i2-o.i1 > 2*n {
			group = append(group, opcode{'e', o.i1, min(o.i2, o.i1+n), o.j1, min(o.j2, o.j1+n)})
			groups = append(groups, group)
			group = nil
			o.i1, o.j1 = max(o.i1, o.i2-n), max(o.j1, o.j2-n)
		}
		group = append(group, o)
	}
	if len(group) > 0 && !(len(group) == 1 && group[0].tag == 'e') {
		groups = append(groups, group)
	}
	return groups
}

// unifiedRange is difflib's _format_range_unified.
func unifiedRange(start, stop int) string {
	begin, length := start+1, stop-start
	if length == 1 {
		return fmt.Sprint(begin)
	}
	if length == 0 {
		begin--
	}
	return fmt.Sprintf("%d,%d", begin, length)
}

// unifiedDiff is "\n".join(difflib.unified_diff(a, b, from, to, lineterm="")).
func unifiedDiff(a, b []string, from, to string) string {
	var lines []string
	for _, g := range groupOpcodes(diffOpcodes(a, b), 3) {
		if lines == nil {
			lines = append(lines, "--- "+from, "+++ "+to)
		}
		first, last := g[0], g[len(g)-1]
		lines = append(lines, fmt.Sprintf("@@ -%s +%s @@", unifiedRange(first.i1, last.i2), unifiedRange(first.j1, last.j2)))
		for _, o := range g {
			if o.tag == 'e' {
				for _, l := range a[o.i1:o.i2] {
					lines = append(lines, " "+l)
				}
				continue
			}
			for _, l := range a[o.i1:o.i2] {
				lines = append(lines, "-"+l)
			}
			for _, l := range b[o.j1:o.j2] {
				lines = append(lines, "+"+l)
			}
		}
	}
	return strings.Join(lines, "\n")
}
