package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// releaseNotFound is the 404 of Balrog's release views.
func releaseNotFound(name string) *Problem {
	return notFound(fmt.Sprintf("Release: %s not found", name), nil)
}

// releaseLookupErr maps a failed release read: a missing release is the
// views' 404.
func releaseLookupErr(name string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return releaseNotFound(name)
	}
	return err
}

// readOnlyRefused is the 403 of a write to a read-only release.
func readOnlyRefused(detail, name string) *Problem {
	return &Problem{Status: http.StatusForbidden, Title: "Forbidden", Detail: detail,
		Exception: []string{fmt.Sprintf("Release '%s' is read only", name)}}
}

// releaseBody is the body of POST /releases and PUT /releases/{name}.
type releaseBody struct {
	name, product string
	blob          []byte
	version       int
	hasVersion    bool
}

// readReleaseBody validates name, product, blob (a JSON object as a string)
// and the optional data_version.
func readReleaseBody(c echo.Context) (releaseBody, error) {
	var rb releaseBody
	b, err := readBody(c)
	if err != nil {
		return rb, err
	}
	for _, k := range []string{"name", "product", "blob"} {
		if !b.has(k) {
			return rb, invalid(fmt.Sprintf("'%s' is a required property", k))
		}
	}
	for _, k := range []string{"name", "product"} {
		v, _, err := optString(b, k, false)
		if err != nil {
			return rb, err
		}
		if v == nil {
			return rb, invalid(fmt.Sprintf("%s: None is not of type 'string'", k))
		}
		if k == "name" {
			rb.name = *v
		} else {
			rb.product = *v
		}
	}
	blobStr, ok := b["blob"].(string)
	if !ok {
		return rb, invalid(fmt.Sprintf("blob: %s is not of type 'string'", pyRepr(b["blob"])))
	}
	var probe any
	if err := json.Unmarshal([]byte(blobStr), &probe); err != nil {
		return rb, invalid(fmt.Sprintf("Not a valid json. Error: %v. blob: %s is not a 'JSONStringField'", err, pyStr(blobStr)))
	}
	rb.blob = []byte(blobStr)
	if v, present := b["data_version"]; present && v != nil {
		n, isNum := v.(json.Number)
		i, err := strconv.Atoi(n.String())
		if !isNum || err != nil {
			return rb, invalid(fmt.Sprintf("data_version: %s is not of type 'integer'", pyRepr(v)))
		}
		rb.version, rb.hasVersion = i, true
	}
	return rb, nil
}

// validateBlob runs blobs.Validate and the name check, answering with
// Balrog's detail for the view ("Couldn't create release" / "Couldn't update
// release").
func (s *Server) validateBlob(name, product string, data []byte, detail string) error {
	var blobName struct {
		Name *string `json:"name"`
	}
	if err := blobs.Validate(data, product, blobs.ValidateOptions{Allowlist: s.cfg.Allowlist}); err != nil {
		var ve *blobs.ValidationError
		if errors.As(err, &ve) {
			if ve.Kind == blobs.ValidationBadValue {
				return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: detail, Exception: []string{ve.Message}}
			}
			return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: detail, Exception: ve.Schema}
		}
		return fmt.Errorf("validate release %s: %w", name, err)
	}
	_ = json.Unmarshal(data, &blobName)
	if blobName.Name == nil || *blobName.Name != name {
		got := "None"
		if blobName.Name != nil {
			got = *blobName.Name
		}
		return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: detail,
			Exception: []string{fmt.Sprintf("name in database (%s) does not match name in blob (%s)", name, got)}}
	}
	return nil
}

func (s *Server) createRelease(c echo.Context) error {
	rb, err := readReleaseBody(c)
	if err != nil {
		return err
	}
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		if _, err := tx.Release(rb.name); err == nil {
			return &Problem{Status: http.StatusBadRequest, Title: "Bad Request",
				Detail: fmt.Sprintf("Release: %s already exists", rb.name), Exception: "Database already contains the release"}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := s.validateBlob(rb.name, rb.product, rb.blob, "Couldn't create release"); err != nil {
			return err
		}
		return insertReleaseAs(tx, user, store.Release{Name: rb.name, Product: rb.product, Data: rb.blob})
	})
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, ctHTML, map[string]int{"new_data_version": 1})
}

// insertReleaseAs creates a release after the release/create check.
func insertReleaseAs(tx *gormstore.AdminTx, user string, r store.Release) error {
	if err := requirePermission(tx, user, "release", "create", &r.Product,
		fmt.Sprintf("%s is not allowed to create releases for product %s", user, r.Product)); err != nil {
		return err
	}
	return tx.InsertRelease(r)
}

func (s *Server) putRelease(c echo.Context) error {
	name := c.Param("name")
	rb, err := readReleaseBody(c)
	if err != nil {
		return err
	}
	created, newVersion := false, 0
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		cur, err := tx.Release(name)
		if errors.Is(err, store.ErrNotFound) {
			if err := s.validateBlob(name, rb.product, rb.blob, "Couldn't update release"); err != nil {
				return err
			}
			created = true
			return insertReleaseAs(tx, user, store.Release{Name: name, Product: rb.product, Data: rb.blob})
		} else if err != nil {
			return err
		}
		if !rb.hasVersion {
			return badRequest("data_version field is missing")
		}
		if cur.ReadOnly {
			return readOnlyRefused("Couldn't update release. Release is marked read only", name)
		}
		if err := s.validateBlob(name, rb.product, rb.blob, "Couldn't update release"); err != nil {
			return err
		}
		for _, p := range uniq(cur.Product, rb.product) {
			if err := requirePermission(tx, user, "release", "modify", &p,
				fmt.Sprintf("%s is not allowed to modify releases for product %s", user, p)); err != nil {
				return err
			}
		}
		next := cur
		next.Product, next.Data = rb.product, rb.blob
		newVersion, err = writeReleaseView(tx, cur, next, rb.version, nil)
		var am *ancestorMissing
		if errors.As(err, &am) {
			// ensure() answers its ValueErrors so; OutdatedDataError goes
			// to the global handler.
			return &Problem{Status: http.StatusBadRequest, Title: "Bad Request", Detail: "Couldn't update release", Exception: []string{am.Error()}}
		}
		return err
	})
	if err != nil {
		return err
	}
	if created {
		return c.Blob(http.StatusCreated, ctHTML, nil)
	}
	return okJSON(c, map[string]int{"new_data_version": newVersion})
}

// uniq returns a, and b when it differs.
func uniq(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}

// releaseListEntry is one release of GET /releases; its fields are in the
// order of their JSON names, as Balrog sorts them.
type releaseListEntry struct {
	DataVersion      int                           `json:"data_version"`
	Name             string                        `json:"name"`
	Product          string                        `json:"product"`
	ReadOnly         bool                          `json:"read_only"`
	RequiredSignoffs requirements                  `json:"required_signoffs"`
	RuleIDs          []int                         `json:"rule_ids"`
	RuleInfo         map[string]ruleProductChannel `json:"rule_info"`
}

// ruleProductChannel is a mapping rule's product and channel in a release
// listing.
type ruleProductChannel struct {
	Channel *string `json:"channel"`
	Product *string `json:"product"`
}

func (s *Server) listReleases(c echo.Context) error {
	if err := checkQuery(c, "product", "name_prefix", "names_only"); err != nil {
		return err
	}
	namesOnly := c.QueryParam("names_only") != ""
	var out map[string]any
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		infos, err := tx.ListReleases(c.QueryParam("product"), c.QueryParam("name_prefix"), !namesOnly)
		if err != nil {
			return err
		}
		if namesOnly {
			names := make([]string, len(infos))
			for i, r := range infos {
				names[i] = r.Name
			}
			out = map[string]any{"names": names}
			return nil
		}
		all, err := tx.ListRules(nil)
		if err != nil {
			return err
		}
		slices.SortFunc(all, func(a, b rules.Rule) int { return a.RuleID - b.RuleID })
		signoffRows, err := tx.RequiredSignoffs(gormstore.ProductSignoffTable, nil, nil)
		if err != nil {
			return err
		}
		// The rules mapping each release, in rule id order, found in one
		// pass (5 000 releases × 1 000 rules must not be a product).
		mapped := map[string][]rules.Rule{}
		for _, rule := range all {
			if rule.Mapping != nil {
				mapped[*rule.Mapping] = append(mapped[*rule.Mapping], rule)
			}
			if rule.FallbackMapping != nil && (rule.Mapping == nil || *rule.FallbackMapping != *rule.Mapping) {
				mapped[*rule.FallbackMapping] = append(mapped[*rule.FallbackMapping], rule)
			}
		}
		list := make([]releaseListEntry, len(infos))
		for i, r := range infos {
			rs := mapped[r.Name]
			e := releaseListEntry{Name: r.Name, Product: r.Product, DataVersion: r.DataVersion, ReadOnly: r.ReadOnly,
				RuleIDs: make([]int, 0, len(rs)), RuleInfo: make(map[string]ruleProductChannel, len(rs)),
				RequiredSignoffs: rulesRequirements(signoffRows, rs...)}
			for _, rule := range rs {
				e.RuleIDs = append(e.RuleIDs, rule.RuleID)
				e.RuleInfo[strconv.Itoa(rule.RuleID)] = ruleProductChannel{Product: rule.Product, Channel: rule.Channel}
			}
			list[i] = e
		}
		out = map[string]any{"releases": list}
		return nil
	})
	if err != nil {
		return err
	}
	return okJSON(c, out)
}

func (s *Server) getRelease(c echo.Context) error {
	if err := checkQuery(c, "pretty"); err != nil {
		return err
	}
	name := c.Param("name")
	var r store.Release
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		if v2, err := loadV2(tx, name); err == nil {
			r = v2.base
			r.Data = mustJSON(v2.blob())
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var err error
		r, err = tx.Release(name)
		if errors.Is(err, store.ErrNotFound) {
			return &Problem{Status: http.StatusNotFound, Title: "Not Found", ContentType: ctProblem,
				Detail: fmt.Sprintf("Release name: %s not found", name)}
		}
		return err
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set("X-Data-Version", strconv.Itoa(r.DataVersion))
	return c.Blob(http.StatusOK, ctJSON, releaseJSON(r.Data, c.QueryParam("pretty") != ""))
}

func (s *Server) deleteRelease(c echo.Context) error {
	name := c.Param("name")
	version, err := requiredDataVersion(c)
	if err != nil {
		return err
	}
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		cur, err := tx.Release(name)
		if errors.Is(err, store.ErrNotFound) {
			return releaseNotFound(name)
		} else if err != nil {
			return err
		}
		return deleteReleaseAs(tx, cur, version, nil)
	})
	if err != nil {
		return err
	}
	return emptyOK(c)
}

func (s *Server) getReadOnly(c echo.Context) error {
	name := c.Param("name")
	var ro bool
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		r, err := tx.Release(name)
		if errors.Is(err, store.ErrNotFound) {
			return releaseNotFound(name)
		}
		ro = r.ReadOnly
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]bool{"read_only": ro})
}

func (s *Server) putReadOnly(c echo.Context) error {
	name := c.Param("name")
	b, version, err := readVersionedBody(c)
	if err != nil {
		return err
	}
	want := false
	switch v := b["read_only"].(type) {
	case bool:
		want = v
	case string:
		want = v != ""
	case nil:
	default:
		return invalid(fmt.Sprintf("read_only: %s is not of type 'boolean'", pyRepr(v)))
	}
	newVersion := 0
	err = s.authed(c, func(tx *gormstore.AdminTx, user string) error {
		cur, err := tx.Release(name)
		if errors.Is(err, store.ErrNotFound) {
			return releaseNotFound(name)
		} else if err != nil {
			return err
		}
		if want && cur.ReadOnly {
			newVersion = version
			return nil
		}
		action, verb := "unset", "unmark"
		if want {
			action, verb = "set", "mark"
		}
		if err := requirePermission(tx, user, "release_read_only", action, &cur.Product,
			fmt.Sprintf("%s is not allowed to %s %s products read only", user, verb, cur.Product)); err != nil {
			return err
		}
		if !want && cur.ReadOnly {
			if err := requireReadWriteSignoffs(tx, cur, nil); err != nil {
				return err
			}
		}
		next := cur
		next.ReadOnly = want
		// The change has no blob: a stale version is not merged.
		newVersion, err = storeReleaseMerging(tx, cur, next, version, false)
		return err
	})
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, ctHTML, map[string]int{"new_data_version": newVersion})
}

func (s *Server) releaseColumn(c echo.Context) error {
	column := c.Param("column")
	var vals []string
	err := s.anon(c, func(tx *gormstore.AdminTx) error {
		var err error
		vals, err = tx.ReleaseColumn(column)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Requested column does not exist", nil)
		}
		return err
	})
	if err != nil {
		return err
	}
	return okJSON(c, map[string]any{"count": len(vals), column: vals})
}

// writeRelease writes next over release old, guarded by version, after
// verifying the signoffs the release's rules require. A stale version is
// merged as storeRelease says; a missing merge ancestor is Balrog's
// ValueError through the global handler (the v1 views answer it
// themselves, see writeReleaseView).
func writeRelease(tx *gormstore.AdminTx, old, next store.Release, version int, signoffs []store.Signoff) (int, error) {
	n, err := writeReleaseView(tx, old, next, version, signoffs)
	return n, globalAncestorErr(err)
}

// writeReleaseView is writeRelease with a missing merge ancestor left as
// *ancestorMissing.
func writeReleaseView(tx *gormstore.AdminTx, old, next store.Release, version int, signoffs []store.Signoff) (int, error) {
	req, err := releaseSignoffs(tx, old.Name)
	if err != nil {
		return 0, err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return 0, err
	}
	return storeReleaseMerging(tx, old, next, version, next.Data != nil)
}

// globalAncestorErr turns *ancestorMissing into the answer of Balrog's
// global ValueError handler.
func globalAncestorErr(err error) error {
	var am *ancestorMissing
	if errors.As(err, &am) {
		return valueError(am.Error())
	}
	return err
}

// storeRelease writes next over release old, guarded by version, once the
// caller has checked permissions and signoffs, and merges the change into
// the release's pending scheduled changes (admin.md §8.6). old is the
// release as read in this transaction. When version is no longer the
// release's data_version and the write carries a blob, the blob is merged
// with the writes made since (admin.md §5.3, see mergeStale).
func storeRelease(tx *gormstore.AdminTx, old, next store.Release, version int) (int, error) {
	n, err := storeReleaseMerging(tx, old, next, version, next.Data != nil)
	return n, globalAncestorErr(err)
}

// storeReleaseMerging is storeRelease; merge says whether the write changes
// the blob (Balrog merges only a change that includes data).
func storeReleaseMerging(tx *gormstore.AdminTx, old, next store.Release, version int, merge bool) (int, error) {
	if version == old.DataVersion {
		n, written, err := storeGuarded(tx, old, next, version)
		if err == nil || written || !merge || !errors.Is(err, store.ErrOutdated) {
			return n, err
		}
		// A concurrent write committed after old was read: the tip has
		// moved on, merge with it as with any stale version.
	} else if !merge {
		// Balrog's guarded UPDATE fails before anything else is looked at.
		return 0, outdatedRelease(old.Name)
	}
	return mergeStale(tx, old, next, version)
}

// outdatedRelease is the OutdatedDataError of a guarded release update.
func outdatedRelease(name string) error {
	return fmt.Errorf("update release %s: %w", name, store.ErrOutdated)
}

// storeGuarded is the guarded write of storeRelease; written says whether
// the release row was updated (an error after that must not be retried).
func storeGuarded(tx *gormstore.AdminTx, old, next store.Release, version int) (n int, written bool, err error) {
	pk := map[string]any{"name": old.Name}
	old.DataVersion, next.DataVersion = version, version+1
	if err := checkMergeable(tx, scReleases, pk, releaseMap(old), releaseMap(next)); err != nil {
		return 0, false, err
	}
	n, err = tx.UpdateRelease(next, version)
	if err != nil {
		return 0, false, err
	}
	if err := mergePending(tx, scReleases, pk, releaseMap(old), releaseMap(next)); err != nil {
		return 0, true, err
	}
	return n, true, nil
}

// ancestorMissing is the ValueError of Balrog's history lookup for the v1
// merge when there is not exactly one history entry of the release at the
// stale data_version (releases_history rows here, GCS objects upstream).
type ancestorMissing struct{ found int }

func (e *ancestorMissing) Error() string {
	return fmt.Sprintf("Found %d blobs instead of 1", e.found)
}

// mergeStale is Balrog's Releases.update on OutdatedDataError (admin.md
// §5.3): the blob the release had at version (its releases_history row) is
// the ancestor of a 3-way merge of the blob now stored (the tip) and
// next's; the merged blob is written over the tip at the tip's version,
// with its history row and the §8.6 merge into pending scheduled changes.
// No history row at version (or several: a release deleted and created
// again) is *ancestorMissing; a conflicting merge is the original
// OutdatedDataError.
func mergeStale(tx *gormstore.AdminTx, old, next store.Release, version int) (int, error) {
	name := old.Name
	ancestorData, found, err := tx.ReleaseAncestor(name, version)
	if err != nil {
		return 0, err
	}
	if found != 1 {
		return 0, &ancestorMissing{found: found}
	}
	tip, err := tx.ReleaseForUpdate(name)
	if errors.Is(err, store.ErrNotFound) {
		return 0, outdatedRelease(name)
	} else if err != nil {
		return 0, err
	}
	if tip.ReadOnly && !old.ReadOnly {
		// Marked read only by a concurrent write since the checks ran.
		return 0, outdatedRelease(name)
	}
	ancestor, err := parseOrderedObject(ancestorData)
	if err != nil {
		return 0, fmt.Errorf("decode release %s history at data_version %d: %w", name, version, err)
	}
	tipBlob, err := parseOrderedObject(tip.Data)
	if err != nil {
		return 0, fmt.Errorf("decode release %s: %w", name, err)
	}
	incoming, err := parseOrderedObject(next.Data)
	if err != nil {
		return 0, fmt.Errorf("decode new blob of release %s: %w", name, err)
	}
	merged, err := mergeBlobs(ancestor, tipBlob, incoming)
	var conflict *errMergeConflict
	if errors.As(err, &conflict) {
		return 0, fmt.Errorf("%w (%s)", outdatedRelease(name), conflict.msg)
	} else if err != nil {
		return 0, fmt.Errorf("merge release %s at data_version %d: %w", name, version, err)
	}
	// The columns the write changes come from next, the others stay as the
	// tip has them (Balrog's update sets only the columns of its "what").
	write := tip
	write.Data = merged
	if next.Product != old.Product {
		write.Product = next.Product
	}
	if next.ReadOnly != old.ReadOnly {
		write.ReadOnly = next.ReadOnly
	}
	n, _, err := storeGuarded(tx, tip, write, tip.DataVersion)
	return n, err
}

// deleteReleaseAs deletes release cur as tx.User, guarded by version.
func deleteReleaseAs(tx *gormstore.AdminTx, cur store.Release, version int, signoffs []store.Signoff) error {
	name := cur.Name
	if cur.ReadOnly {
		return readOnlyRefused(fmt.Sprintf("Couldn't delete %s. Release is marked read only", name), name)
	}
	ids, err := tx.RulesMapping(name)
	if err != nil {
		return err
	}
	if len(ids) > 0 {
		return valueError(name + " has rules pointing to it. Hence it cannot be deleted.")
	}
	if err := requirePermission(tx, tx.User, "release", "delete", &cur.Product,
		fmt.Sprintf("%s is not allowed to delete releases for product %s", tx.User, cur.Product)); err != nil {
		return err
	}
	req, err := releaseSignoffs(tx, name)
	if err != nil {
		return err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return err
	}
	if err := refuseIfScheduled(tx, scReleases, map[string]any{"name": name}); err != nil {
		return err
	}
	return tx.DeleteRelease(name, version)
}

// releaseMap is a release as base columns of its scheduled-change table,
// the blob in canonical JSON.
func releaseMap(r store.Release) map[string]any {
	m := map[string]any{"name": r.Name, "product": r.Product, "read_only": r.ReadOnly, "data": canonicalJSON(r.Data), "data_version": int64(r.DataVersion)}
	if r.Data == nil {
		m["data"] = nil
	}
	return m
}

// canonicalJSON re-encodes JSON text with sorted keys, so that equal blobs
// compare equal as text.
func canonicalJSON(b []byte) string {
	var v any
	dec := json.NewDecoder(bytesReader(b))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
