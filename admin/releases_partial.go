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
// (Balrog's PartialRelease). data, schemaVersion and hashFunction are kept
// as ordered JSON, so that they go into the stored blob as Python would
// put them (see ordjson.go).
type partialBody struct {
	product    string
	data       *blobs.Ordered
	version    int
	hasVersion bool
	// schemaVersion and hashFunction are the body's value when it is truthy,
	// else data's when truthy, else nil (Balrog's changeRelease).
	schemaVersion *blobs.Ordered
	hashFunction  *blobs.Ordered
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
	if _, ok := data.(map[string]any); !ok {
		return pb, valueError("data must be a JSON object")
	}
	s, _ := b["data"].(string)
	if pb.data, err = parseOrderedObject([]byte(s)); err != nil {
		return pb, invalid(fmt.Sprintf("Not a valid json. Error: %v. data: %s is not a 'JSONStringField'", err, pyStr(s)))
	}
	if v, present := b["data_version"]; present && v != nil {
		n, err := dataVersionParam.required(b)
		if err != nil {
			return pb, err
		}
		pb.version, pb.hasVersion = n, true
	}
	pb.schemaVersion = truthyOf(orderedValue(b["schema_version"]), pb.data.Get("schema_version"))
	pb.hashFunction = truthyOf(orderedValue(b["hashFunction"]), pb.data.Get("hashFunction"))
	if _, err := jsonStringField(b, "copyTo", &pb.copyTo); err != nil {
		return pb, err
	}
	if _, err := jsonStringField(b, "alias", &pb.alias); err != nil {
		return pb, err
	}
	return pb, nil
}

// truthyOf returns the first of vs that Python finds true, or nil.
func truthyOf(vs ...*blobs.Ordered) *blobs.Ordered {
	for _, v := range vs {
		if v != nil && v.Truthy() {
			return v
		}
	}
	return nil
}

// partialTarget is one release a partial write touches.
type partialTarget struct {
	// orig is the stored release, cur the same with the version to write.
	orig    store.Release
	cur     store.Release
	blob    *blobs.Ordered
	created bool
}

// prepareRelease loads (or creates with the skeleton blob) one release of a
// partial write. primary says whether this is the URL release, which alone
// takes the request's data_version and has its product and hashFunction
// checked; copyTo releases are written at their stored version.
func (s *Server) prepareRelease(tx *gormstore.AdminTx, user, name string, pb partialBody, primary bool) (*partialTarget, error) {
	cur, err := tx.Release(name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		skel := blobs.NewOrderedObject()
		skel.Set("name", blobs.NewOrderedString(name))
		skel.Set("schema_version", pb.schemaVersion.Clone())
		if pb.hashFunction != nil {
			skel.Set("hashFunction", pb.hashFunction.Clone())
		}
		data := skel.PyJSON()
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
	blob, err := parseOrderedObject(cur.Data)
	if err != nil {
		return nil, fmt.Errorf("decode release %s: %w", name, err)
	}
	orig := cur
	if primary {
		if !pb.hasVersion {
			return nil, badRequest("Release exists, data_version must be provided")
		}
		cur.DataVersion = pb.version
		if cur.Product != pb.product {
			return nil, badRequest(fmt.Sprintf("Product name '%s' doesn't match the one on the release object ('%s') for release '%s'", pb.product, cur.Product, name))
		}
		if hf := blob.Get("hashFunction"); hf != nil && pb.hashFunction != nil && !hf.Equal(pb.hashFunction) {
			return nil, badRequest(fmt.Sprintf("hashFunction '%s' doesn't match the one on the release object ('%s') for release '%s'", pb.hashFunction, hf, name))
		}
	}
	return &partialTarget{orig: orig, cur: cur, blob: blob}, nil
}

// commitRelease validates and writes the new blob of a partial write,
// stored as json.dumps of the edited blob.
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
	data := t.blob.PyJSON()
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
	n, err := writeReleaseView(tx, t.orig, next, t.cur.DataVersion, nil)
	return n, partialWriteErr(err)
}

// outdatedMessage is str() of Balrog's OutdatedDataError for an update.
const outdatedMessage = "Failed to update row, old_data_version doesn't match current data_version"

// partialWriteErr answers as changeRelease does for the ValueError and
// OutdatedDataError of the release update: a stale data_version whose
// change does not merge (admin.md §5.3), or whose ancestor is not in the
// history, is a 400 "Couldn't update release: <error>". Other errors are
// returned unchanged.
func partialWriteErr(err error) error {
	var am *ancestorMissing
	switch {
	case err == nil:
		return nil
	case errors.As(err, &am):
		return &Problem{Status: http.StatusBadRequest, Title: "Bad Request",
			Detail: "Couldn't update release: " + am.Error(), Exception: []string{am.Error()}}
	case errors.Is(err, store.ErrOutdated):
		return &Problem{Status: http.StatusBadRequest, Title: "Bad Request",
			Detail: "Couldn't update release: " + outdatedMessage, Exception: []string{outdatedMessage}}
	}
	return err
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
			// releaseData.update(incomingData)
			t.blob.Update(pb.data.Clone())
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
			// Balrog's localeExists looks at the URL platform, before the
			// write and without following an alias.
			existed := storedLocale(t.blob, platform, locale) != nil
			setLocale(t.blob, platform, locale, pb.data.Clone(), pb.alias)
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

// setLocale is Balrog's addLocaleToRelease on the blob: it sets
// platforms.<platform>.locales.<locale> to data, writing through an alias
// platform entry to the platform it names, and adds an {"alias": <that
// platform>} entry for each alias platform not yet in the blob. New keys go
// at the end of their object, existing ones keep their place.
func setLocale(blob *blobs.Ordered, platform, locale string, data *blobs.Ordered, aliases []string) {
	platforms := objectMember(blob, "platforms")
	if p := platforms.Get(platform); p != nil {
		if a := p.Get("alias"); a != nil && a.Kind() == blobs.KindString {
			platform = a.String()
		}
	}
	locales := objectMember(objectMember(platforms, platform), "locales")
	locales.Set(locale, data)
	for _, a := range aliases {
		if !platforms.Has(a) {
			entry := blobs.NewOrderedObject()
			entry.Set("alias", blobs.NewOrderedString(platform))
			platforms.Set(a, entry)
		}
	}
}

// objectMember returns the object at key of o, first setting it to {} when
// it is missing or not an object.
func objectMember(o *blobs.Ordered, key string) *blobs.Ordered {
	v := o.Get(key)
	if v == nil || v.Kind() != blobs.KindObject {
		v = blobs.NewOrderedObject()
		o.Set(key, v)
	}
	return v
}

// storedLocale returns platforms.<platform>.locales.<locale> of blob (no
// alias resolution), or nil.
func storedLocale(blob *blobs.Ordered, platform, locale string) *blobs.Ordered {
	for _, k := range []string{"platforms", platform, "locales", locale} {
		if blob = blob.Get(k); blob == nil {
			return nil
		}
	}
	return blob
}

// getLocale answers json.dumps of the locale object, keys in stored order.
func (s *Server) getLocale(c echo.Context) error {
	name, platform, locale := c.Param("name"), c.Param("platform"), c.Param("locale")
	out := []byte("null")
	var version int
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		missing := &Problem{Status: http.StatusNotFound, Title: "Not Found", ContentType: ctProblem,
			Detail: fmt.Sprintf(`["Couldn't find locale identified by: %s, %s, %s"]`, name, platform, locale)}
		if v2, err := loadV2(tx, name); err == nil {
			// Balrog answers 200 null for a missing v2 locale.
			version = v2.base.DataVersion
			for _, a := range v2.assets {
				if a.Path == assetPath(platform, locale) {
					out, version = a.Data, a.DataVersion
					if o, err := blobs.ParseOrdered(a.Data); err == nil {
						out = o.PyJSON()
					}
					return nil
				}
			}
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
		blob, err := blobs.ParseOrdered(r.Data)
		if err != nil {
			return fmt.Errorf("decode release %s: %w", name, err)
		}
		l := storedLocale(blob, platform, locale)
		if l == nil {
			return missing
		}
		out, version = l.PyJSON(), r.DataVersion
		return nil
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Data-Version", strconv.Itoa(version))
	return c.Blob(http.StatusOK, ctJSON, out)
}
