package admin

import (
	"fmt"
	"slices"
	"strings"

	"github.com/balrog-go/balrog/rules"
	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// requirements maps a role to the number of signoffs a change needs from it.
type requirements map[string]int

// add merges the requirement of one required-signoff row (the largest wins).
func (r requirements) add(role string, n int) {
	r[role] = max(r[role], n)
}

// verifySignoffs is Balrog's verification (admin.md §7.3). Direct API writes
// pass no signoffs, so any requirement refuses them.
func verifySignoffs(req requirements, signoffs []store.Signoff) error {
	if len(req) == 0 {
		return nil
	}
	if len(signoffs) == 0 {
		return signoffRequired("No Signoffs given")
	}
	given := map[string]int{}
	for _, s := range signoffs {
		given[s.Role]++
	}
	for _, role := range sortedKeys(req) {
		if given[role] < req[role] {
			return signoffRequired(fmt.Sprintf("Not enough signoffs for role '%s'", role))
		}
	}
	return nil
}

// matchChannelGlob is Balrog's matchChannelGlob: a pattern ending in "*"
// (at least 3 characters) matches channels with its prefix; shorter globs
// match nothing; otherwise the channels must be equal.
func matchChannelGlob(pattern, channel string) bool {
	if strings.HasSuffix(pattern, "*") {
		if len(pattern) < 3 {
			return false
		}
		return strings.HasPrefix(channel, strings.TrimSuffix(pattern, "*"))
	}
	return pattern == channel
}

// productChannelRequirements are the product required signoffs covering an
// object of product and channel (admin.md §7.2): a nil product is covered
// by every row, a nil or empty channel by every row of its product.
func productChannelRequirements(tx *gormstore.AdminTx, product, channel *string) (requirements, error) {
	rows, err := tx.RequiredSignoffs(gormstore.ProductSignoffTable, product, nil)
	if err != nil {
		return nil, err
	}
	req := requirements{}
	addCovering(req, rows, product, channel)
	return req, nil
}

// addCovering adds the requirements of the rows that cover an object of
// product and channel (as productChannelRequirements reads them).
func addCovering(req requirements, rows []store.RequiredSignoff, product, channel *string) {
	for _, r := range rows {
		if product != nil && r.Product != *product {
			continue
		}
		if channel == nil || *channel == "" || matchChannelGlob(*channel, r.Channel) {
			req.add(r.Role, r.SignoffsRequired)
		}
	}
}

// ruleRequirements are the requirements of a change touching the rules.
func ruleRequirements(tx *gormstore.AdminTx, rs ...rules.Rule) (requirements, error) {
	rows, err := tx.RequiredSignoffs(gormstore.ProductSignoffTable, nil, nil)
	if err != nil {
		return nil, err
	}
	return rulesRequirements(rows, rs...), nil
}

// rulesRequirements are the requirements, among the product required
// signoff rows, of a change touching the rules rs.
func rulesRequirements(rows []store.RequiredSignoff, rs ...rules.Rule) requirements {
	req := requirements{}
	for _, r := range rs {
		addCovering(req, rows, r.Product, r.Channel)
	}
	return req
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
