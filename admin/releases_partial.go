package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// partialBody is the body of POST /releases/{name} and of the locale PUT
// (Balrog's PartialRelease).
type partialBody struct {
	product       string
	data          map[string]any
	version       int
	hasVersion    bool
	schemaVersion any
	hashFunction  any
	copyTo        []string
	alias         []string
}

// jsonStringField decodes a field that carries JSON text (JSONStringField).
func jsonStringField(b body, name string, dst any) (bool, error) {
	raw, present := b[name]
	if !present || raw == nil {
		return false, nil
	}
	s, ok := raw.(string)
	if !ok {
		return false, invalid(fmt.Sprintf("%s: %s is not of type 'string'", name, pyRepr(raw)))
	}
	if err := json.Unmarshal([]byte(s), dst); err != nil {
		return false, invalid(fmt.Sprintf("Not a valid json. Error: %v. %s: %s is not a 'JSONStringField'", err, name, pyStr(s)))
	}
	return true, nil
}

func readPartialBody(c echo.Context) (partialBody, error) {
	var pb partialBody
	b, err := readBody(c)
	if err != nil {
		return pb, err
	}
	for _, k := range []string{"product", "data"} {
		if !b.has(k) {
			return pb, invalid(fmt.Sprintf("'%s' is a required property", k))
		}
	}
	p, _, err := optString(b, "product", false)
	if err != nil {
		return pb, err
	}
	if p == nil {
		return pb, invalid("product: None is not of type 'string'")
	}
	pb.product = *p
	var data any
	if _, err := jsonStringField(b, "data", &data); err != nil {
		return pb, err
	}
	m, ok := data.(map[string]any)
	if !ok {
		return pb, valueError("data must be a JSON object")
	}
	pb.data = m
	if v, present := b["data_version"]; present && v != nil {
		n, err := dataVersionParam.required(b)
		if err != nil {
			return pb, err
		}
		pb.version, pb.hasVersion = n, true
	}
	pb.schemaVersion = b["schema_version"]
	if pb.schemaVersion == nil {
		pb.schemaVersion = m["schema_version"]
	}
	pb.hashFunction = b["hashFunction"]
	if pb.hashFunction == nil {
		pb.hashFunction = m["hashFunction"]
	}
	if _, err := jsonStringField(b, "copyTo", &pb.copyTo); err != nil {
		return pb, err
	}
	if _, err := jsonStringField(b, "alias", &pb.alias); err != nil {
		return pb, err
	}
	return pb, nil
}

// numberValue turns a decoded json.Number into an int when it is one, so
// that re-encoded blobs keep integers.
func numberValue(v any) any {
	if n, ok := v.(json.Number); ok {
		if i, err := strconv.Atoi(n.String()); err == nil {
			return i
		}
	}
	return v
}

// partialTarget is one release a partial write touches.
type partialTarget struct {
	// orig is the stored release, cur the same with the version to write.
	orig    store.Release
	cur     store.Release
	blob    map[string]any
	created bool
}

// prepareRelease loads (or creates with the skeleton blob) one release of a
// partial write. clientVersion says whether the request's data_version
// applies (the URL release) or the stored one (copyTo releases).
func (s *Server) prepareRelease(tx *gormstore.AdminTx, user, name string, pb partialBody, clientVersion bool) (*partialTarget, error) {
	cur, err := tx.Release(name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		skel := map[string]any{"name": name, "schema_version": numberValue(pb.schemaVersion)}
		if pb.hashFunction != nil {
			skel["hashFunction"] = pb.hashFunction
		}
		data, _ := json.Marshal(skel)
		if err := s.validateBlob(name, pb.product, data, "Couldn't create release"); err != nil {
			var p *Problem
			if errors.As(err, &p) {
				p.Detail = "Couldn't create release: " + fmt.Sprint(p.Exception)
			}
			return nil, err
		}
		r := store.Release{Name: name, Product: pb.product, Data: data}
		if err := insertReleaseAs(tx, user, r); err != nil {
			return nil, err
		}
		r.DataVersion = 1
		return &partialTarget{orig: r, cur: r, blob: skel, created: true}, nil
	case err != nil:
		return nil, err
	}
	orig := cur
	if clientVersion {
		if !pb.hasVersion {
			return nil, badRequest("Release exists, data_version must be provided")
		}
		cur.DataVersion = pb.version
	}
	if cur.Product != pb.product {
		return nil, badRequest(fmt.Sprintf("Product name '%s' doesn't match the one on the release object ('%s') for release '%s'", pb.product, cur.Product, name))
	}
	var blob map[string]any
	dec := json.NewDecoder(bytesReader(cur.Data))
	dec.UseNumber()
	if err := dec.Decode(&blob); err != nil {
		return nil, fmt.Errorf("decode release %s: %w", name, err)
	}
	if hf, ok := blob["hashFunction"]; ok && pb.hashFunction != nil && fmt.Sprint(hf) != fmt.Sprint(pb.hashFunction) {
		return nil, badRequest(fmt.Sprintf("hashFunction '%v' doesn't match the one on the release object ('%v') for release '%s'", pb.hashFunction, hf, name))
	}
	return &partialTarget{orig: orig, cur: cur, blob: blob}, nil
}

// commitRelease validates and writes the new blob of a partial write.
func (s *Server) commitRelease(tx *gormstore.AdminTx, user string, t *partialTarget, product string) (int, error) {
	name := t.cur.Name
	if t.cur.ReadOnly {
		return 0, readOnlyRefused(fmt.Sprintf("Couldn't update release: Release '%s' is read only", name), name)
	}
	for _, p := range uniq(t.cur.Product, product) {
		if err := requirePermission(tx, user, "release", "modify", &p,
			fmt.Sprintf("%s is not allowed to modify releases for product %s", user, p)); err != nil {
			return 0, err
		}
	}
	data, err := json.Marshal(t.blob)
	if err != nil {
		return 0, fmt.Errorf("encode release %s: %w", name, err)
	}
	if err := blobs.Validate(data, product, blobs.ValidateOptions{Allowlist: s.cfg.Allowlist}); err != nil {
		var ve *blobs.ValidationError
		if errors.As(err, &ve) {
			exc := ve.Schema
			if len(exc) == 0 || ve.Kind == blobs.ValidationBadValue {
				exc = []string{ve.Message}
			}
			return 0, &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "Couldn't update release: " + ve.Message, Exception: exc}
		}
		return 0, err
	}
	next := t.cur
	next.Product, next.Data = product, data
	return writeRelease(tx, t.orig, next, t.cur.DataVersion, nil)
}

func (s *Server) postRelease(c echo.Context) error {
	name := c.Param("name")
	pb, err := readPartialBody(c)
	if err != nil {
		return err
	}
	if pb.schemaVersion == nil {
		return badRequest("schema_version is required")
	}
	created, version := false, 0
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		for i, rel := range append([]string{name}, pb.copyTo...) {
			t, err := s.prepareRelease(tx, user, rel, pb, i == 0)
			if err != nil {
				return err
			}
			for k, v := range pb.data {
				t.blob[k] = v
			}
			n, err := s.commitRelease(tx, user, t, pb.product)
			if err != nil {
				return err
			}
			if i == 0 {
				created, version = t.created, n
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(c, status, ctHTML, map[string]int{"new_data_version": version})
}

func (s *Server) putLocale(c echo.Context) error {
	name, platform, locale := c.Param("name"), c.Param("platform"), c.Param("locale")
	pb, err := readPartialBody(c)
	if err != nil {
		return err
	}
	if pb.schemaVersion == nil {
		return badRequest("schema_version is required")
	}
	newLocale, version := false, 0
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		for i, rel := range append([]string{name}, pb.copyTo...) {
			t, err := s.prepareRelease(tx, user, rel, pb, i == 0)
			if err != nil {
				return err
			}
			if t.cur.ReadOnly {
				return readOnlyRefused(fmt.Sprintf("Couldn't update release: Release '%s' is read only", rel), rel)
			}
			if err := requirePermission(tx, user, "release_locale", "modify", &t.cur.Product,
				fmt.Sprintf("%s is not allowed to add builds for product %s", user, t.cur.Product)); err != nil {
				return err
			}
			existed := setLocale(t.blob, platform, locale, pb.data, pb.alias)
			n, err := s.commitRelease(tx, user, t, pb.product)
			if err != nil {
				return err
			}
			if i == 0 {
				newLocale, version = !existed || t.created, n
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	status := http.StatusOK
	if newLocale {
		status = http.StatusCreated
	}
	return writeJSON(c, status, ctHTML, map[string]int{"new_data_version": version})
}

// setLocale writes data as platforms.<platform>.locales.<locale> of blob,
// following an alias platform entry, and adds alias platforms. It reports
// whether the locale existed before.
func setLocale(blob map[string]any, platform, locale string, data map[string]any, aliases []string) bool {
	platforms, _ := blob["platforms"].(map[string]any)
	if platforms == nil {
		platforms = map[string]any{}
		blob["platforms"] = platforms
	}
	target := platform
	if p, ok := platforms[platform].(map[string]any); ok {
		if a, ok := p["alias"].(string); ok {
			target = a
		}
	}
	p, _ := platforms[target].(map[string]any)
	if p == nil {
		p = map[string]any{}
		platforms[target] = p
	}
	locales, _ := p["locales"].(map[string]any)
	if locales == nil {
		locales = map[string]any{}
		p["locales"] = locales
	}
	_, existed := locales[locale]
	locales[locale] = data
	for _, a := range aliases {
		if _, ok := platforms[a]; !ok {
			platforms[a] = map[string]any{"alias": platform}
		}
	}
	return existed
}

func (s *Server) getLocale(c echo.Context) error {
	name, platform, locale := c.Param("name"), c.Param("platform"), c.Param("locale")
	var out any
	var version int
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		missing := &Problem{Status: http.StatusNotFound, Title: "Not Found", ContentType: ctProblem,
			Detail: fmt.Sprintf(`["Couldn't find locale identified by: %s, %s, %s"]`, name, platform, locale)}
		if v2, err := loadV2(tx, name); err == nil {
			for _, a := range v2.assets {
				if a.Path == assetPath(platform, locale) {
					out, version = json.RawMessage(a.Data), a.DataVersion
					return nil
				}
			}
			out = nil // Balrog answers 200 null for a missing v2 locale.
			version = v2.base.DataVersion
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		r, err := tx.Release(name)
		if errors.Is(err, store.ErrNotFound) {
			return missing
		} else if err != nil {
			return err
		}
		var blob struct {
			Platforms map[string]struct {
				Locales map[string]json.RawMessage `json:"locales"`
			} `json:"platforms"`
		}
		_ = json.Unmarshal(r.Data, &blob)
		l, ok := blob.Platforms[platform].Locales[locale]
		if !ok {
			return missing
		}
		out, version = l, r.DataVersion
		return nil
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Data-Version", strconv.Itoa(version))
	return okJSON(c, out)
}
