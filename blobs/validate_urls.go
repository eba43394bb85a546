package blobs

// Download-URL walkers for the forbidden-domain check (admin.md §5.2 step 3)
// and GMP's hash-length check (step 2). They run on schema-valid blobs, but
// platform entries with an "alias" may carry any other keys (the schema's
// alias branch does not restrict them) and Balrog walks those too, so the
// walkers tolerate unexpected types: they skip containers of the wrong type
// and report a non-string URL.

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// valAppReleaseURLs visits the download URLs of app releases V1–V9: every
// value of the top-level fileUrls (old style: channel → URL; unified:
// channel → patch kind → from → URL), and the fileUrl of partial/complete
// and of every item of partials/completes in every locale of every platform
// (alias entries included).
func valAppReleaseURLs(root *valNode, visit func(path string, url *valNode)) {
	if fu, ok := root.get("fileUrls"); ok && fu.kind == valObject {
		fp := "fileUrls"
		for _, ch := range fu.keys {
			chNode, chPath := fu.obj[ch], valKeyPath(fp, ch)
			if chNode.kind != valObject {
				visit(chPath, chNode)
				continue
			}
			for _, kind := range chNode.keys {
				kindNode, kindPath := chNode.obj[kind], valKeyPath(chPath, kind)
				if kindNode.kind != valObject {
					continue
				}
				for _, from := range kindNode.keys {
					visit(valKeyPath(kindPath, from), kindNode.obj[from])
				}
			}
		}
	}
	platforms, ok := root.get("platforms")
	if !ok || platforms.kind != valObject {
		return
	}
	for _, pk := range platforms.keys {
		pPath := valKeyPath("platforms", pk)
		locales, ok := platforms.obj[pk].get("locales")
		if !ok || locales.kind != valObject {
			continue
		}
		for _, lk := range locales.keys {
			locale, lPath := locales.obj[lk], valKeyPath(valKeyPath(pPath, "locales"), lk)
			for _, single := range []string{"partial", "complete"} {
				if patch, ok := locale.get(single); ok {
					if u, ok := patch.get("fileUrl"); ok {
						visit(valKeyPath(valKeyPath(lPath, single), "fileUrl"), u)
					}
				}
			}
			for _, list := range []string{"partials", "completes"} {
				patches, ok := locale.get(list)
				if !ok || patches.kind != valArray {
					continue
				}
				for i, patch := range patches.arr {
					if u, ok := patch.get("fileUrl"); ok {
						visit(valKeyPath(valIndexPath(valKeyPath(lPath, list), i), "fileUrl"), u)
					}
				}
			}
		}
	}
}

// valAddonPlatforms calls fn for every platform entry of GMP vendors or
// system add-ons: root[container][name].platforms[platform].
func valAddonPlatforms(root *valNode, container string, fn func(path string, platform *valNode)) {
	c, ok := root.get(container)
	if !ok || c.kind != valObject {
		return
	}
	for _, name := range c.keys {
		platforms, ok := c.obj[name].get("platforms")
		if !ok || platforms.kind != valObject {
			continue
		}
		pPath := valKeyPath(valKeyPath(container, name), "platforms")
		for _, pk := range platforms.keys {
			fn(valKeyPath(pPath, pk), platforms.obj[pk])
		}
	}
}

// valGMPURLs visits fileUrl and every mirrorUrls item of every vendor
// platform.
func valGMPURLs(root *valNode, visit func(path string, url *valNode)) {
	valAddonPlatforms(root, "vendors", func(path string, p *valNode) {
		if u, ok := p.get("fileUrl"); ok {
			visit(valKeyPath(path, "fileUrl"), u)
		}
		if m, ok := p.get("mirrorUrls"); ok {
			if m.kind != valArray {
				visit(valKeyPath(path, "mirrorUrls"), m)
				return
			}
			for i, u := range m.arr {
				visit(valIndexPath(valKeyPath(path, "mirrorUrls"), i), u)
			}
		}
	})
}

// valSystemAddonsURLs visits fileUrl of every add-on platform.
func valSystemAddonsURLs(root *valNode, visit func(path string, url *valNode)) {
	valAddonPlatforms(root, "addons", func(path string, p *valNode) {
		if u, ok := p.get("fileUrl"); ok {
			visit(valKeyPath(path, "fileUrl"), u)
		}
	})
}

// valGuardianURLs visits fileUrl of every platform.
func valGuardianURLs(root *valNode, visit func(path string, url *valNode)) {
	platforms, ok := root.get("platforms")
	if !ok || platforms.kind != valObject {
		return
	}
	for _, pk := range platforms.keys {
		if u, ok := platforms.obj[pk].get("fileUrl"); ok {
			visit(valKeyPath(valKeyPath("platforms", pk), "fileUrl"), u)
		}
	}
}

// valHashLengths are the hex digest lengths of the hash functions Balrog
// knows (auslib.util.hashes.getHashLen); the name is compared
// case-insensitively.
var valHashLengths = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

// valCheckGMPHashes checks that every hashValue of a GMP blob (alias entries
// included) has the length of the blob's hashFunction. Balrog only compares
// lengths, not characters. A hashFunction Balrog does not know makes it crash
// (HTTP 500) as soon as one hashValue exists; here that is a ValueError-kind
// error too.
func valCheckGMPHashes(root *valNode) *ValidationError {
	hf, _ := root.get("hashFunction") // required by the schema
	name := strings.ToLower(hf.str)
	want, known := valHashLengths[name]
	var errs []string
	first := ""
	valAddonPlatforms(root, "vendors", func(path string, p *valNode) {
		hv, ok := p.get("hashValue")
		if !ok {
			return
		}
		hp := valKeyPath(path, "hashValue")
		switch {
		case !known:
			errs = append(errs, fmt.Sprintf("%s: cannot check the length: unknown hashFunction %q (known: sha256, sha384, sha512)", hp, hf.str))
			if first == "" {
				first = fmt.Sprintf("Unknown hashFunction %s.", hf.str)
			}
		case hv.kind != valString:
			errs = append(errs, fmt.Sprintf("%s: expected string, got %s", hp, hv.kindName()))
			if first == "" {
				first = "hashValue is not a string."
			}
		default:
			if got := utf8.RuneCountInString(hv.str); got != want {
				errs = append(errs, fmt.Sprintf("%s: length %d, but %s needs %d", hp, got, name, want))
				if first == "" {
					first = fmt.Sprintf("The hashValue length is different from the required length of %d for %s.", want, name)
				}
			}
		}
	})
	if len(errs) == 0 {
		return nil
	}
	return &ValidationError{Kind: ValidationBadValue, Message: first, Errors: errs}
}
