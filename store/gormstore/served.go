package gormstore

import (
	"maps"
	"slices"

	"github.com/balrog-go/balrog/store"
)

// servedSet collects what a transaction's writes may change in the public
// role's answers (store.ServedChanges). The write methods of rules,
// releases, shutoffs and pins mark it; nothing else does.
type servedSet struct {
	all      bool
	products map[string]bool
	releases map[string]bool
}

// touchProduct marks a product's answers as changed; nil (a rule for every
// product) marks all of them.
func (t *AdminTx) touchProduct(product *string) {
	if product == nil {
		t.served.all = true
		return
	}
	if t.served.products == nil {
		t.served.products = map[string]bool{}
	}
	t.served.products[*product] = true
}

// touchRelease marks the answers that serve release name as changed.
func (t *AdminTx) touchRelease(name string) {
	if t.served.releases == nil {
		t.served.releases = map[string]bool{}
	}
	t.served.releases[name] = true
}

// touchRuleProduct marks the product rule id has now (before an update or
// a delete changes it).
func (t *AdminTx) touchRuleProduct(id int) error {
	var products []*string
	if err := t.tx.Model(&ruleRow{}).Where("rule_id = ?", id).Pluck("product", &products).Error; err != nil {
		return unavailable("read rule product", err)
	}
	for _, p := range products {
		t.touchProduct(p)
	}
	return nil
}

// ServedChanges returns what this transaction's writes may have changed in
// the public role's answers so far.
func (t *AdminTx) ServedChanges() store.ServedChanges {
	return store.ServedChanges{
		All:      t.served.all,
		Products: slices.Sorted(maps.Keys(t.served.products)),
		Releases: slices.Sorted(maps.Keys(t.served.releases)),
	}
}

// ServedProducts resolves ch to the products whose answers may have
// changed: its products, and for each release the products of the rules
// and pins that map to it. all is true when every product's may have (a
// rule without a product changed, or maps a changed release).
func (t *AdminTx) ServedProducts(ch store.ServedChanges) (products []string, all bool, err error) {
	if ch.All {
		return nil, true, nil
	}
	set := map[string]bool{}
	for _, p := range ch.Products {
		set[p] = true
	}
	if len(ch.Releases) > 0 {
		var ruleProducts []*string
		err := t.tx.Model(&ruleRow{}).Where("mapping IN ? OR fallbackMapping IN ?", ch.Releases, ch.Releases).
			Distinct().Pluck("product", &ruleProducts).Error
		if err != nil {
			return nil, false, unavailable("products of rules mapping changed releases", err)
		}
		for _, p := range ruleProducts {
			if p == nil {
				return nil, true, nil
			}
			set[*p] = true
		}
		var pinProducts []string
		if err := t.tx.Model(&pinRow{}).Where("mapping IN ?", ch.Releases).Distinct().Pluck("product", &pinProducts).Error; err != nil {
			return nil, false, unavailable("products of pins of changed releases", err)
		}
		for _, p := range pinProducts {
			set[p] = true
		}
	}
	return slices.Sorted(maps.Keys(set)), false, nil
}
