package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// Rule assertions (not Balrog's): an update URL of a product and the
// release it must be answered with (null: no update). This file is their
// CRUD API under /assertions; assertion_check.go enforces them.

// assertionNotFound is the 404 of the single-assertion routes.
func assertionNotFound() *Problem {
	return notFound("Requested assertion wasn't found", "Requested assertion does not exist")
}

// assertionJSON is an assertion as the API shows it.
func assertionJSON(a store.Assertion) map[string]any {
	return map[string]any{"assertion_id": a.AssertionID, "product": a.Product, "url": a.URL,
		"expected_release": a.ExpectedRelease, "comment": a.Comment, "data_version": a.DataVersion}
}

// applyAssertionBody validates the fields present in b and sets them on a.
// required says whether product and url must be present (creation).
func applyAssertionBody(a *store.Assertion, b body, required bool) error {
	for _, f := range []struct {
		name  string
		max   int
		field *string
	}{{"product", 15, &a.Product}, {"url", 2000, &a.URL}} {
		v, present, err := optString(b, f.name, true)
		if err != nil {
			return err
		}
		if !present {
			if required {
				return invalid(fmt.Sprintf("'%s' is a required property", f.name))
			}
			continue
		}
		if v == nil || strings.TrimSpace(*v) == "" {
			return invalid(fmt.Sprintf("%s: must be a non-empty string", f.name))
		}
		if len(*v) > f.max {
			return invalid(fmt.Sprintf("%s: %s is too long", f.name, pyStr(*v)))
		}
		*f.field = strings.TrimSpace(*v)
	}
	target, err := requestTarget(a.URL)
	if err != nil {
		return err
	}
	a.URL = target
	if v, present, err := optString(b, "expected_release", true); err != nil {
		return err
	} else if present {
		if v != nil && (strings.TrimSpace(*v) == "" || len(*v) > 100) {
			return invalid(fmt.Sprintf("expected_release: %s is not a release name", pyStr(*v)))
		}
		a.ExpectedRelease = v
	}
	if v, present, err := optString(b, "comment", false); err != nil {
		return err
	} else if present {
		if v != nil && utf8.RuneCountInString(*v) > 500 {
			return invalid(fmt.Sprintf("comment: %s is too long", pyStr(*v)))
		}
		a.Comment = v
	}
	return nil
}

// requestTarget reduces an update URL to the request target the public
// role answers ("/update/…?…"); a full URL loses its scheme and host.
func requestTarget(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme == "" && !strings.HasPrefix(raw, "/")) || u.Path == "" {
		return "", invalid(fmt.Sprintf("url: %s is not an update URL", pyStr(raw)))
	}
	if u.Scheme == "" {
		return raw, nil
	}
	return u.RequestURI(), nil
}

// checkAssertionPermission requires the assertion permission for action on
// product (admin covers it).
func checkAssertionPermission(tx *gormstore.AdminTx, user, action, product string) error {
	return requirePermission(tx, user, "assertion", action, &product,
		fmt.Sprintf("%s is not allowed to %s assertions for product %s", user, action, product))
}

// findAssertion reads the assertion of the :id path parameter.
func findAssertion(tx *gormstore.AdminTx, c echo.Context) (store.Assertion, error) {
	id, err := strconv.Atoi(c.Param("id"))
	if err != nil {
		return store.Assertion{}, assertionNotFound()
	}
	a, err := tx.Assertion(id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Assertion{}, assertionNotFound()
	}
	return a, err
}

func (s *Server) listAssertions(c echo.Context) error {
	if err := checkQuery(c, "product"); err != nil {
		return err
	}
	out := []map[string]any{}
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		product := c.QueryParam("product")
		list, err := tx.Assertions([]string{product}, product == "")
		for _, a := range list {
			out = append(out, assertionJSON(a))
		}
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"count": len(out), "assertions": out})
}

func (s *Server) getAssertion(c echo.Context) error {
	var a store.Assertion
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		var err error
		a, err = findAssertion(tx, c)
		return err
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Data-Version", strconv.Itoa(a.DataVersion))
	return okJSON(c, assertionJSON(a))
}

func (s *Server) createAssertion(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	var a store.Assertion
	if err := applyAssertionBody(&a, b, true); err != nil {
		return err
	}
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if err := checkAssertionPermission(tx, user, "create", a.Product); err != nil {
			return err
		}
		a.AssertionID, err = tx.InsertAssertion(a)
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, ctJSON, map[string]any{"assertion_id": a.AssertionID, "data_version": 1})
}

func (s *Server) updateAssertion(c echo.Context) error {
	b, version, err := readVersionedBody(c)
	if err != nil {
		return err
	}
	var next store.Assertion
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		cur, err := findAssertion(tx, c)
		if err != nil {
			return err
		}
		next = cur
		if err := applyAssertionBody(&next, b, false); err != nil {
			return err
		}
		for _, p := range []string{cur.Product, next.Product} {
			if err := checkAssertionPermission(tx, user, "modify", p); err != nil {
				return err
			}
		}
		next.DataVersion, err = tx.UpdateAssertion(next, version)
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"assertion_id": next.AssertionID, "data_version": next.DataVersion})
}

func (s *Server) deleteAssertion(c echo.Context) error {
	version, err := requiredDataVersion(c)
	if err != nil {
		return err
	}
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		cur, err := findAssertion(tx, c)
		if err != nil {
			return err
		}
		if err := checkAssertionPermission(tx, user, "delete", cur.Product); err != nil {
			return err
		}
		return tx.DeleteAssertion(cur.AssertionID, version)
	})
	if err != nil {
		return err
	}
	return emptyOK(c)
}

func (s *Server) assertionRevisions(c echo.Context) error {
	out := []map[string]any{}
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		a, err := findAssertion(tx, c)
		if err != nil {
			return err
		}
		revs, err := tx.AssertionHistory(a.AssertionID)
		for _, r := range revs {
			m := assertionJSON(r.Assertion)
			m["change_id"], m["changed_by"], m["timestamp"] = r.ChangeID, r.ChangedBy, r.Timestamp
			out = append(out, m)
		}
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"count": len(out), "revisions": out})
}

// assertionOverrides lists the recorded overrides, newest first
// (?assertion_id= narrows them to one assertion).
func (s *Server) assertionOverrides(c echo.Context) error {
	if err := checkQuery(c, "assertion_id"); err != nil {
		return err
	}
	id, ok, err := queryInt(c, "assertion_id", nil)
	if err != nil {
		return err
	}
	out := []map[string]any{}
	err = s.anon(c, func(tx *gormstore.AdminTx) error {
		var filter *int
		if ok {
			filter = &id
		}
		list, err := tx.AssertionOverrides(filter)
		for _, o := range list {
			out = append(out, map[string]any{"override_id": o.OverrideID, "changed_by": o.ChangedBy,
				"timestamp": o.Timestamp, "request": o.Request, "assertion_id": o.Assertion.AssertionID,
				"product": o.Assertion.Product, "url": o.Assertion.URL,
				"expected_release": o.Assertion.ExpectedRelease, "actual_release": o.ActualRelease})
		}
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"count": len(out), "overrides": out})
}
