package admin

import (
	"encoding/json"

	"github.com/labstack/echo/v4"
)

// routes registers every admin endpoint this package implements.
func (s *Server) routes(e *echo.Echo) {
	// Rules (admin.md §11.1).
	getHead(e, "/rules", s.listRules)
	e.POST("/rules", s.createRule)
	getHead(e, "/rules/history", s.rulesHistory)
	getHead(e, "/rules/columns/:column", s.ruleColumn)
	getHead(e, "/rules/:id", s.getRule)
	e.POST("/rules/:id", s.updateRule)
	e.PUT("/rules/:id", s.updateRule)
	e.DELETE("/rules/:id", s.deleteRule)
	getHead(e, "/rules/:id/revisions", s.ruleRevisions)
	e.POST("/rules/:id/revisions", s.revertRule)

	// Explain and impact preview (issue 9; evaluate.go, preview.go).
	e.POST("/evaluate", s.evaluate)
	e.POST("/rules/preview", s.previewRule)

	// Users, permissions, roles (§11.5).
	getHead(e, "/users", s.listUsers)
	getHead(e, "/users/:user", s.getUser)
	getHead(e, "/users/:user/permissions", s.userPermissions)
	getHead(e, "/users/:user/permissions/:permission", s.getPermission)
	e.PUT("/users/:user/permissions/:permission", s.putPermission)
	e.POST("/users/:user/permissions/:permission", s.postPermission)
	e.DELETE("/users/:user/permissions/:permission", s.deletePermission)
	e.PUT("/users/:user/roles/:role", s.putRole)
	e.DELETE("/users/:user/roles/:role", s.deleteRole)
	getHead(e, "/permissions/history", s.permissionsHistory)

	// Required signoffs (§11.4).
	for path, k := range map[string]signoffKind{"product": productSignoffs, "permissions": permissionsSignoffs} {
		base := "/required_signoffs/" + path
		getHead(e, base, s.listSignoffs(k))
		e.POST(base, s.createSignoff(k))
		e.DELETE(base, s.deleteSignoff)
		getHead(e, base+"/revisions", s.signoffRevisions(k))
		getHead(e, base+"/history", s.signoffHistory(k))
	}

	// Emergency shutoffs (§11.6).
	getHead(e, "/emergency_shutoff", s.listShutoffs)
	e.POST("/emergency_shutoff", s.createShutoff)
	getHead(e, "/emergency_shutoff/:product/:channel", s.getShutoff)
	e.DELETE("/emergency_shutoff/:product/:channel", s.deleteShutoff)

	// Scheduled changes (§8, §11.3).
	s.scRoutes(e, "rules", scRules, true, true)
	s.scRoutes(e, "emergency_shutoff", scShutoffs, false, false)
	s.scRoutes(e, "releases", releasesSC{s: s}, true, true)
	getHead(e, "/scheduled_change/diff/release/:sc_id", s.releaseDiff)
	s.scRoutes(e, "permissions", scPermissions, false, true)
	s.scRoutes(e, "required_signoffs/product", scProductSignoffs, false, true)
	s.scRoutes(e, "required_signoffs/permissions", scPermissionsSignoffs, false, true)

	// v2 releases and pins (§11.8).
	getHead(e, "/v2/releases", s.v2List)
	getHead(e, "/v2/releases/:name", s.v2Get)
	e.PUT("/v2/releases/:name", s.v2Put)
	e.POST("/v2/releases/:name", s.v2Post)
	e.DELETE("/v2/releases/:name", s.v2Delete)
	getHead(e, "/v2/releases/:name/data_versions", s.v2DataVersions)
	getHead(e, "/v2/releases/:name/:path/data_version", s.v2AssetVersion)
	e.PUT("/v2/releases/:name/read_only", s.v2ReadOnly)
	e.PUT("/v2/releases/:name/signoff", s.v2Signoff)
	e.DELETE("/v2/releases/:name/signoff", s.v2RevokeSignoff)
	e.POST("/v2/releases/:name/enact", s.v2Enact)
	e.PUT("/v2/releases/:name/pinnable", s.v2Pinnable)
	getHead(e, "/v2/pins/:product/:channel/:version", s.v2GetPin)
	getHead(e, "/scheduled_changes/pinnable_releases", scHandlers{s: s, a: scPins}.list)
	e.POST("/scheduled_changes/pinnable_releases/:sc_id/enact", scHandlers{s: s, a: scPins}.enact)

	// Rule assertions (not Balrog's; assertions.go).
	getHead(e, "/assertions", s.listAssertions)
	e.POST("/assertions", s.createAssertion)
	getHead(e, "/assertions/overrides", s.assertionOverrides)
	getHead(e, "/assertions/:id", s.getAssertion)
	e.PUT("/assertions/:id", s.updateAssertion)
	e.DELETE("/assertions/:id", s.deleteAssertion)
	getHead(e, "/assertions/:id/revisions", s.assertionRevisions)

	// v1 releases (§11.2).
	getHead(e, "/releases", s.listReleases)
	e.POST("/releases", s.createRelease)
	getHead(e, "/releases/columns/:column", s.releaseColumn)
	getHead(e, "/releases/:name", s.getRelease)
	e.PUT("/releases/:name", s.putRelease)
	e.POST("/releases/:name", s.postRelease)
	getHead(e, "/releases/:name/builds/:platform/:locale", s.getLocale)
	e.PUT("/releases/:name/builds/:platform/:locale", s.putLocale)
	e.DELETE("/releases/:name", s.deleteRelease)
	getHead(e, "/releases/:name/read_only", s.getReadOnly)
	getHead(e, "/releases/:name/read_only/product/required_signoffs", s.releaseReadOnlySignoffs)
	e.PUT("/releases/:name/read_only", s.putReadOnly)
}

// structMap turns a JSON-tagged struct into a map, to add keys to it.
func structMap(v any) map[string]any {
	b, _ := json.Marshal(v)
	m := map[string]any{}
	_ = json.Unmarshal(b, &m)
	return m
}
