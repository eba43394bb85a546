package blobs

import (
	"strings"

	"github.com/balrog-go/balrog/rules"
)

// Desupport is a desupport blob (schema_version 50, public.md §6.4.7,
// §7.5): it tells clients that their OS is no longer supported.
type Desupport struct {
	Common
	// DetailsURL is "detailsUrl", a template with %LOCALE%, %VERSION% and
	// %OS% (and their lower-case forms).
	DetailsURL Value
	// DisplayVersion is "displayVersion".
	DisplayVersion Value
}

func parseDesupport(c Common, root *node) *Desupport {
	return &Desupport{
		Common:         c,
		DetailsURL:     valueOf(root.get("detailsUrl")),
		DisplayVersion: valueOf(root.get("displayVersion")),
	}
}

// ShouldServe always answers Yes: desupport messages ignore versions.
func (d *Desupport) ShouldServe(*rules.Query) (Decision, error) { return Yes, nil }

// appendHeader appends nothing: the header is an empty line (Q14).
func (d *Desupport) appendHeader(dst []byte, _ *renderer) ([]byte, error) { return dst, nil }

// appendFooter appends the unindented "</update>" (Q15).
func (d *Desupport) appendFooter(dst []byte, _ *renderer) ([]byte, error) {
	return append(dst, "</update>"...), nil
}

// appendLines appends the single <update … unsupported="true" …> line.
func (d *Desupport) appendLines(dst []byte, rr *renderer) ([]byte, error) {
	tmpl, err := d.DetailsURL.stringOf(d.Name.text, "detailsUrl")
	if err != nil {
		return dst, err
	}
	l, err := rr.locale()
	if err != nil {
		return dst, err
	}
	version := rr.q.Version
	os, _, _ := strings.Cut(rr.q.BuildTarget, "_")
	display, err := d.DisplayVersion.required(d.Name.text, "displayVersion")
	if err != nil {
		return dst, err
	}
	dst = append(dst, `    <update type="`...)
	dst = append(dst, rr.ut...)
	dst = append(dst, `" unsupported="true" detailsURL="`...)
	steps := [6]repl{
		{"%LOCALE%", l}, {"%VERSION%", version}, {"%OS%", os},
		{"%locale%", l}, {"%version%", version}, {"%os%", os},
	}
	if out, changed := rr.replaceChain(tmpl, steps[:]); changed {
		dst = append(dst, out...)
	} else {
		dst = append(dst, tmpl...)
	}
	dst = append(dst, `" displayVersion="`...)
	dst = append(dst, display.text...)
	return append(dst, "\">\n"...), nil
}
