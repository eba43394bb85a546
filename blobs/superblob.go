package blobs

import (
	"errors"

	"github.com/balrog-go/balrog/rules"
)

// Superblob is a superblob (schema_version 4000, public.md §6.4.6, §4.3):
// a response assembled from other releases. The caller does the fan-out
// (see FanOut) and passes the parts to AppendXML.
type Superblob struct {
	Common
	// Products is "products" (GMP style): product names, each evaluated
	// through the rules again with the query's product replaced.
	Products []string
	// Blobs is "blobs" (System add-ons style): release names rendered
	// directly, without rule evaluation or should-serve check.
	Blobs []string
}

// FanOutKind says how a superblob's parts are obtained.
type FanOutKind uint8

const (
	// FanOutNone: the superblob lists nothing usable; AppendXML then
	// fails with ErrNoFanOut (the reference answers HTTP 500).
	FanOutNone FanOutKind = iota
	// FanOutProducts: for each name in Products, in order, copy the query,
	// set its product to the name and evaluate the rules again (shutoffs,
	// dice, should-serve, pins included); every result is a part with the
	// copied query and the sub-rule's update type. Products without a
	// result are skipped.
	FanOutProducts
	// FanOutBlobs: for each name in Blobs, in order, load that release (no
	// rules, no should-serve), copy the query and set its product to the
	// product stored with that release; the part uses the superblob rule's
	// update type. A missing release is a server error in the reference.
	FanOutBlobs
)

// FanOut tells the caller which fan-out to do. A non-empty "products" list
// wins over "blobs", as in the reference.
func (s *Superblob) FanOut() FanOutKind {
	switch {
	case len(s.Products) > 0:
		return FanOutProducts
	case len(s.Blobs) > 0:
		return FanOutBlobs
	}
	return FanOutNone
}

func parseSuperblob(c Common, root *node) (*Superblob, error) {
	s := &Superblob{Common: c}
	var ok bool
	if s.Products, ok = nameList(root.get("products")); !ok {
		return nil, errors.New("blobs: superblob products is not a list of names")
	}
	if s.Blobs, ok = nameList(root.get("blobs")); !ok {
		return nil, errors.New("blobs: superblob blobs is not a list of names")
	}
	return s, nil
}

// nameList reads "products" or "blobs": a list of strings; a falsy value
// is an empty list.
func nameList(n *node) ([]string, bool) {
	if n == nil || (n.kind != KindArray && !valueOf(n).Truthy()) {
		return nil, true
	}
	return stringList(n)
}

// ShouldServe always answers Yes.
func (s *Superblob) ShouldServe(*rules.Query) (Decision, error) { return Yes, nil }

func (s *Superblob) appendHeader(dst []byte, _ *renderer) ([]byte, error) {
	return append(dst, "    <addons>"...), nil
}

func (s *Superblob) appendFooter(dst []byte, _ *renderer) ([]byte, error) {
	return append(dst, "    </addons>"...), nil
}

// appendLines fails: a superblob has no lines of its own. It is reached
// only when the superblob is rendered without a fan-out.
func (s *Superblob) appendLines(dst []byte, _ *renderer) ([]byte, error) {
	return dst, ErrNoFanOut
}
