package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/store/gormstore"
)

// errNoEvaluator is the answer of the evaluation endpoints on a server
// whose wiring gave no evaluator.
func errNoEvaluator() *Problem {
	return &Problem{Status: http.StatusNotImplemented, Title: "Not Implemented", Detail: "This server cannot evaluate update requests"}
}

// evaluate is POST /evaluate: {"url": "/update/6/...", "force": null}
// answers the explanation of that update request (any authenticated user;
// it writes nothing). force true answers as with force=1 (main mapping,
// throttle bypassed), false as with no force parameter (the throttle dice
// are rolled), null or absent as the URL says.
func (s *Server) evaluate(c echo.Context) error {
	ex, ok := s.cfg.Evaluator.(Explainer)
	if !ok {
		return errNoEvaluator()
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	for k := range b {
		if k != "url" && k != "force" {
			return invalid(fmt.Sprintf("Additional properties are not allowed ('%s' was unexpected)", k))
		}
	}
	target, ok := b["url"].(string)
	if !ok {
		return invalid(fmt.Sprintf("url: %s is not of type 'string'", pyRepr(b["url"])))
	}
	var force *bool
	switch v := b["force"].(type) {
	case nil:
	case bool:
		force = &v
	default:
		return invalid(fmt.Sprintf("force: %s is not of type 'boolean', 'null'", pyRepr(v)))
	}
	var out []byte
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		out, err = ex.Explain(c.Request().Context(), tx.View(), target, force)
		return err
	})
	if errors.Is(err, ErrBadTarget) {
		return badRequest(err.Error())
	}
	if err != nil {
		return err
	}
	return c.JSONBlob(http.StatusOK, out)
}
