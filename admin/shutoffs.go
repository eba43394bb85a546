package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// shutoffNotFound is the 404 of GET /emergency_shutoff/{product}/{channel}.
func shutoffNotFound() *Problem {
	return &Problem{Status: http.StatusNotFound, Title: "Not Found", ContentType: ctProblem,
		Detail: "Requested emergency shutoff wasn't found", Exception: "Requested shutoff does not exist"}
}

func (s *Server) listShutoffs(c echo.Context) error {
	var list []rules.Shutoff
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		var err error
		list, err = tx.ListShutoffs()
		return err
	})
	if err != nil {
		return err
	}
	if list == nil {
		list = []rules.Shutoff{}
	}
	return okJSON(c, map[string]any{"count": len(list), "shutoffs": list})
}

func (s *Server) getShutoff(c echo.Context) error {
	var so rules.Shutoff
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		var err error
		so, err = tx.Shutoff(c.Param("product"), c.Param("channel"))
		if errors.Is(err, store.ErrNotFound) {
			return shutoffNotFound()
		}
		return err
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Data-Version", strconv.Itoa(so.DataVersion))
	return okJSON(c, so)
}

func (s *Server) createShutoff(c echo.Context) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	var so rules.Shutoff
	for _, f := range []string{"product", "channel"} {
		if !b.has(f) {
			return invalid(fmt.Sprintf("'%s' is a required property", f))
		}
		v, _, err := optString(b, f, true)
		if err != nil {
			return err
		}
		if v == nil {
			return invalid(fmt.Sprintf("%s: None is not of type 'string'", f))
		}
		if f == "product" {
			so.Product = *v
		} else {
			so.Channel = *v
		}
	}
	if so.Comment, _, err = optString(b, "comment", false); err != nil {
		return err
	}
	if so.Comment != nil && utf8.RuneCountInString(*so.Comment) > 500 {
		return invalid(fmt.Sprintf("comment: %s is too long", pyStr(*so.Comment)))
	}
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if _, err := tx.Shutoff(so.Product, so.Channel); err == nil {
			return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", ContentType: ctProblem,
				Detail: "Invalid Emergency shutoff data", Exception: "Emergency shutoff for product/channel already exists."}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := requirePermission(tx, user, "emergency_shutoff", "create", &so.Product,
			fmt.Sprintf("%s is not allowed to shut off updates for product %s", user, so.Product)); err != nil {
			return err
		}
		return tx.InsertShutoff(so)
	})
	if err != nil {
		return err
	}
	so.DataVersion = 1
	return writeJSON(c, http.StatusCreated, ctJSON, so)
}

func (s *Server) deleteShutoff(c echo.Context) error {
	product, channel := c.Param("product"), c.Param("channel")
	version, err := requiredDataVersion(c)
	if err != nil {
		return err
	}
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if _, err := tx.Shutoff(product, channel); errors.Is(err, store.ErrNotFound) {
			return &Problem{Status: http.StatusNotFound, Title: "Not Found", ContentType: ctProblem,
				Detail: "Shutoff wasn't found", Exception: "Shutoff does not exist"}
		} else if err != nil {
			return err
		}
		return deleteShutoffAs(tx, product, channel, version, nil)
	})
	if err != nil {
		return err
	}
	return emptyOK(c)
}
