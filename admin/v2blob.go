package admin

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"github.com/balrog-go/balrog/store"
)

// The split storage of v2 releases (schema.md §4.3–4.4): an app release
// (schema_version 1–9) keeps every platforms.<p>.locales.<l> object as an
// asset at path ".platforms.<p>.locales.<l>"; the rest is the base blob.

// decodeJSON decodes JSON text keeping numbers exact.
func decodeJSON(b []byte) any {
	var v any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return nil
	}
	return v
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}

// hasAssets reports whether blobs of this schema_version are split.
func hasAssets(blob map[string]any) bool {
	sv, err := asInt64(blob["schema_version"])
	return err == nil && sv >= 1 && sv <= 9
}

// assetPath is the asset path of a platform's locale.
func assetPath(platform, locale string) string {
	return ".platforms." + platform + ".locales." + locale
}

// parseAssetPath splits an asset path into platform and locale.
func parseAssetPath(path string) (platform, locale string, ok bool) {
	rest, found := strings.CutPrefix(path, ".platforms.")
	if !found {
		return "", "", false
	}
	return strings.Cut(rest, ".locales.")
}

// splitBlob separates base and assets of a (full or partial) blob; split
// says whether its schema splits.
func splitBlob(blob map[string]any, split bool) (map[string]any, map[string]any) {
	base := deepCopy(blob).(map[string]any)
	assets := map[string]any{}
	if !split {
		return base, assets
	}
	platforms, _ := base["platforms"].(map[string]any)
	for p, pv := range platforms {
		pm, ok := pv.(map[string]any)
		if !ok {
			continue
		}
		locales, ok := pm["locales"].(map[string]any)
		if !ok {
			continue
		}
		for l, lv := range locales {
			assets[assetPath(p, l)] = lv
		}
		pm["locales"] = map[string]any{}
	}
	return base, assets
}

// assemble puts assets back into a copy of base.
func assemble(base map[string]any, assets map[string]any) map[string]any {
	blob := deepCopy(base).(map[string]any)
	for path, data := range assets {
		p, l, ok := parseAssetPath(path)
		if !ok {
			continue
		}
		platforms, _ := blob["platforms"].(map[string]any)
		if platforms == nil {
			platforms = map[string]any{}
			blob["platforms"] = platforms
		}
		pm, _ := platforms[p].(map[string]any)
		if pm == nil {
			pm = map[string]any{}
			platforms[p] = pm
		}
		locales, _ := pm["locales"].(map[string]any)
		if locales == nil {
			locales = map[string]any{}
			pm["locales"] = locales
		}
		locales[l] = data
	}
	return blob
}

// deepMerge merges patch into dst: objects recursively, every other value
// replaced.
func deepMerge(dst, patch map[string]any) {
	for k, v := range patch {
		pm, pok := v.(map[string]any)
		dm, dok := dst[k].(map[string]any)
		if pok && dok {
			deepMerge(dm, pm)
			continue
		}
		dst[k] = deepCopy(v)
	}
}

// versionTree builds a data_versions tree: "." and asset paths.
func versionTree(base any, assets map[string]any) map[string]any {
	tree := map[string]any{}
	if base != nil {
		tree["."] = base
	}
	for path, v := range assets {
		p, l, ok := parseAssetPath(path)
		if !ok {
			continue
		}
		platforms, _ := tree["platforms"].(map[string]any)
		if platforms == nil {
			platforms = map[string]any{}
			tree["platforms"] = platforms
		}
		pm, _ := platforms[p].(map[string]any)
		if pm == nil {
			pm = map[string]any{"locales": map[string]any{}}
			platforms[p] = pm
		}
		pm["locales"].(map[string]any)[l] = v
	}
	return tree
}

// treeVersion looks up the version of path ("." or an asset path) in a
// data_versions tree.
func treeVersion(tree map[string]any, path string) (int, bool) {
	var v any
	if path == "." {
		v = tree["."]
	} else if p, l, ok := parseAssetPath(path); ok {
		platforms, _ := tree["platforms"].(map[string]any)
		pm, _ := platforms[p].(map[string]any)
		locales, _ := pm["locales"].(map[string]any)
		v = locales[l]
	}
	if v == nil {
		return 0, false
	}
	n, err := asInt64(v)
	return int(n), err == nil
}

// assetMap decodes stored assets into path → data.
func assetMap(list []store.ReleaseAsset) map[string]any {
	out := map[string]any{}
	for _, a := range list {
		out[a.Path] = decodeJSON(a.Data)
	}
	return out
}

// sortedPaths returns the keys of m in order.
func sortedPaths(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mustJSON encodes v.
func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
