package admin

import (
	"errors"
	"fmt"

	"github.com/balrog-go/balrog/store"
	"github.com/balrog-go/balrog/store/gormstore"
)

// shutoffsSC is the scheduled-change family of emergency shutoffs: only
// deletions (turning updates back on) are scheduled.
type shutoffsSC struct{}

var scShutoffs scAdapter = shutoffsSC{}

func (shutoffsSC) family() gormstore.SCFamily {
	return gormstore.SCFamily{Base: "emergency_shutoffs", Columns: map[string]gormstore.ColumnKind{
		"product": gormstore.KindString, "channel": gormstore.KindString, "comment": gormstore.KindString, "data_version": gormstore.KindInt,
	}}
}

func (shutoffsSC) noun() string          { return "Emergency Shutoff" }
func (shutoffsSC) changeTypes() []string { return []string{"delete"} }
func (shutoffsSC) listFilters() []string { return nil }
func (shutoffsSC) render(b map[string]any) map[string]any {
	m := map[string]any{}
	for k, v := range b {
		m[k] = v
	}
	return m
}

func (shutoffsSC) pk(sc store.ScheduledChange) map[string]any {
	return map[string]any{"product": sc.Base["product"], "channel": sc.Base["channel"]}
}

func (shutoffsSC) createBase(tx *gormstore.AdminTx, b body, ct string) (map[string]any, error) {
	base := map[string]any{"comment": nil, "data_version": nil}
	for _, f := range []string{"product", "channel"} {
		v, _, err := optString(b, f, true)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, missingField(f)
		}
		base[f] = *v
	}
	dv, ok, err := dataVersionParam.get(b)
	if err != nil {
		return nil, err
	}
	if ok {
		base["data_version"] = int64(dv)
	}
	return base, nil
}

func (shutoffsSC) editBase(b body, sc *store.ScheduledChange) error { return nil }

// strOf returns a string column value.
func strOf(v any) string { s, _ := v.(string); return s }

func (shutoffsSC) validate(tx *gormstore.AdminTx, sc store.ScheduledChange) error {
	product := strOf(sc.Base["product"])
	return requirePermission(tx, tx.User, "emergency_shutoff", "delete", &product,
		fmt.Sprintf("%s is not allowed to delete shutoffs for product %s", tx.User, product))
}

func (shutoffsSC) requirements(tx *gormstore.AdminTx, sc store.ScheduledChange) (requirements, error) {
	product, channel := strOf(sc.Base["product"]), strOf(sc.Base["channel"])
	return productChannelRequirements(tx, &product, &channel)
}

func (a shutoffsSC) enact(tx *gormstore.AdminTx, sc store.ScheduledChange, signoffs []store.Signoff) error {
	product, channel := strOf(sc.Base["product"]), strOf(sc.Base["channel"])
	dv, _ := sc.Base["data_version"].(int64)
	return deleteShutoffAs(tx, product, channel, int(dv), signoffs)
}

// deleteShutoffAs deletes a shutoff as tx.User after the permission and
// signoff checks.
func deleteShutoffAs(tx *gormstore.AdminTx, product, channel string, version int, signoffs []store.Signoff) error {
	if _, err := tx.Shutoff(product, channel); errors.Is(err, store.ErrNotFound) {
		return notFound("Shutoff wasn't found", "Shutoff does not exist")
	} else if err != nil {
		return err
	}
	if err := requirePermission(tx, tx.User, "emergency_shutoff", "delete", &product,
		fmt.Sprintf("%s is not allowed to delete shutoffs for product %s", tx.User, product)); err != nil {
		return err
	}
	req, err := productChannelRequirements(tx, &product, &channel)
	if err != nil {
		return err
	}
	if err := verifySignoffs(req, signoffs); err != nil {
		return err
	}
	if err := refuseIfScheduled(tx, scShutoffs, map[string]any{"product": product, "channel": channel}); err != nil {
		return err
	}
	return tx.DeleteShutoff(product, channel, version)
}
