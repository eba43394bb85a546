package public

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/balrog-go/balrog/blobs"
	"github.com/balrog-go/balrog/rules"
)

func defaultDice() int { return rand.IntN(100) }

// outcome is what an update query resolves to (public.md §4.2–4.3).
type outcome struct {
	// decision carries the selected rule for the Rule-ID headers.
	decision rules.Decision
	// blob is the release to serve, nil for "no update".
	blob blobs.Blob
	// release names blob's release (a pin's, when a pin decided).
	release string
	// parts are a superblob's fan-out results.
	parts []blobs.Part
}

// errMissingRelease means a rule, pin or superblob names a release that does
// not exist. Balrog answers 500 (§15 Q1, free); this server logs it and
// serves no update.
var errMissingRelease = errors.New("release does not exist")

// evaluator resolves queries against one snapshot.
type evaluator struct {
	s    *Service
	snap *snapshot
	ctx  context.Context
	// volatile is set when the answer depended on a throttle roll that
	// the cache key does not carry (a superblob part's), or on something
	// logged on every request (a missing release): such an answer is not
	// cached.
	volatile bool
}

// dice is the throttle roll of the configuration, noting that the answer
// now depends on it.
func (ev *evaluator) dice() int {
	ev.volatile = true
	return ev.s.cfg.Dice()
}

// release returns the parsed blob of a release named in the snapshot.
func (ev *evaluator) release(name string) (blobs.Blob, error) {
	info, ok := ev.snap.releases[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", errMissingRelease, name)
	}
	return ev.s.blobs.get(ev.ctx, name, info.DataVersion)
}

// LookupRelease finds from-releases for the partial-update checks.
func (ev *evaluator) LookupRelease(name string) (blobs.Blob, bool, error) {
	if _, ok := ev.snap.releases[name]; !ok {
		return nil, false, nil
	}
	b, err := ev.release(name)
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// resolve runs the evaluation of §4.2: rules, throttle, release, should-serve
// and pins. It does not fan out superblobs.
func (ev *evaluator) resolve(q *rules.Query) (outcome, error) {
	dec, err := ev.snap.index.Evaluate(q, ev.dice)
	if err != nil {
		return outcome{decision: dec}, err
	}
	return ev.resolveDecision(q, dec)
}

// resolveDecision runs the steps of §4.2 after rule evaluation: release,
// should-serve and pins. Its result depends on q and dec only (and the
// snapshot), not on any roll.
func (ev *evaluator) resolveDecision(q *rules.Query, dec rules.Decision) (outcome, error) {
	out := outcome{decision: dec}
	if dec.Mapping == "" {
		return out, nil
	}
	blob, err := ev.release(dec.Mapping)
	if err != nil {
		return out, err
	}
	serve, err := ev.shouldServe(blob, q, dec.Mapping)
	if err != nil {
		return out, err
	}
	switch serve {
	case blobs.No:
		return out, nil
	case blobs.Maybe:
		name := dec.Mapping
		if blob, name, err = ev.pinned(q, blob, name); err != nil || blob == nil {
			return out, err
		}
		out.blob, out.release = blob, name
		return out, nil
	}
	out.blob, out.release = blob, dec.Mapping
	return out, nil
}

// pinned resolves a Maybe: the release the client's pin names, if the pin
// table has one, else the original (§4.2 step 11). It returns the blob and
// its release name.
func (ev *evaluator) pinned(q *rules.Query, original blobs.Blob, name string) (blobs.Blob, string, error) {
	if q.Pin == nil {
		return original, name, nil
	}
	pv, err := rules.ParsePin(*q.Pin)
	if err != nil {
		return nil, "", err
	}
	pin, ok := ev.snap.index.LookupPin(q.Product, rules.FallbackChannel(q.Channel), pv)
	ev.tracePin(q, pin, ok)
	if !ok {
		return original, name, nil
	}
	blob, err := ev.release(pin.Mapping)
	if err != nil {
		return nil, "", err
	}
	serve, err := ev.shouldServe(blob, q, pin.Mapping)
	if err != nil || serve == blobs.No {
		return nil, "", err
	}
	return blob, pin.Mapping, nil
}

// fanOut collects a superblob's parts (§4.3).
func (ev *evaluator) fanOut(q *rules.Query, sb *blobs.Superblob, updateType string) ([]blobs.Part, error) {
	var parts []blobs.Part
	switch sb.FanOut() {
	case blobs.FanOutProducts:
		for _, product := range sb.Products {
			sub := *q
			sub.Product = product
			res, err := ev.resolve(&sub)
			if err != nil {
				if errors.Is(err, errMissingRelease) {
					ev.volatile = true
					ev.s.log.Error("public: superblob part names a missing release", "superblob", sb.Name.String(), "error", err.Error())
					continue
				}
				return nil, err
			}
			if res.blob == nil {
				continue
			}
			parts = append(parts, blobs.Part{Blob: res.blob, Query: &sub, UpdateType: res.decision.UpdateType})
		}
	case blobs.FanOutBlobs:
		for _, name := range sb.Blobs {
			blob, err := ev.release(name)
			if err != nil {
				if errors.Is(err, errMissingRelease) {
					ev.volatile = true
					ev.s.log.Error("public: superblob lists a missing release", "superblob", sb.Name.String(), "error", err.Error())
					continue
				}
				return nil, err
			}
			sub := *q
			sub.Product = ev.snap.releases[name].Product
			parts = append(parts, blobs.Part{Blob: blob, Query: &sub, UpdateType: updateType})
		}
	}
	return parts, nil
}
