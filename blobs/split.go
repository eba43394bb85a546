package blobs

import (
	"errors"
	"strings"
	"sync/atomic"
)

// Packing the locales is most of the time of parsing a large app release
// (the first request for it waits on it), and a server has more than one
// core: the "platforms" object of a large blob is read in two halves at
// once. The second half is a guess: it starts after the first `}},"` past
// the middle of the remaining text (whitespace allowed before and after the
// comma), which in a Balrog blob ends a platform whose last member is its
// locales. The guess is confirmed when the first
// goroutine, reading in order, finishes a platform exactly there; the
// halves' members are then joined as one reading in order would have made
// them (and the second half's error is the error that reading would have
// met). Otherwise the second goroutine is stopped and its work dropped, and
// the first reads on alone: the result never depends on the guess.

// splitMin is the least text, from the "platforms" object on, that is read
// in two halves; a variable for the tests.
var splitMin = 1 << 20

// splitTries bounds the candidates splitPoint looks at.
const splitTries = 64

// splitPoint finds, from i on, the end of what looks like a platform whose
// last member is an object: "}}" (end is after it), then a comma and the
// quote of the next key (next is after the comma), JSON whitespace allowed
// between them.
func splitPoint(s string, i int) (end, next int, ok bool) {
	for range splitTries {
		k := strings.Index(s[i:], "}}")
		if k < 0 {
			return 0, 0, false
		}
		end = i + k + 2
		j := skipSpaceAt(s, end)
		if j < len(s) && s[j] == ',' {
			next = j + 1
			if j = skipSpaceAt(s, next); j < len(s) && s[j] == '"' {
				return end, next, true
			}
		}
		i = end - 1
	}
	return 0, 0, false
}

// skipSpaceAt returns the index of the first byte at or after i that is
// not JSON whitespace.
func skipSpaceAt(s string, i int) int {
	p := jsonParser{s: s, i: i}
	p.skipSpace()
	return p.i
}

var (
	// errSplitReached stops the first half where the second begins.
	errSplitReached = errors.New("blobs: split point reached")
	// errSplitStopped stops the second half when the guess was wrong.
	errSplitStopped = errors.New("blobs: split abandoned")
)

// splitPlatforms reads the "platforms" object at p.i, found at depth, in
// two halves when a split point is found (else as objectRole does).
func (p *jsonParser) splitPlatforms(depth int) (node, error) {
	end, next, ok := splitPoint(p.s, p.i+(len(p.s)-p.i)/2)
	if !ok {
		return p.objectRole(depth, rolePlatforms)
	}
	// The first half ends a platform at end; the second starts reading
	// members at next.
	q := &jsonParser{s: p.s, i: next, lazy: newPackBuilder(1, len(p.s)-next), clone: true}
	var stop atomic.Bool
	type half struct {
		o   objectNode
		err error
	}
	done := make(chan half, 1)
	go func() {
		var h half
		read := q.memberInto(&h.o, depth, rolePlatforms)
		h.err = q.membersFrom(func(key string) error {
			if stop.Load() {
				return errSplitStopped
			}
			return read(key)
		})
		done <- h
	}()

	var first objectNode
	read := p.memberInto(&first, depth, rolePlatforms)
	err := p.members(func(key string) error {
		if err := read(key); err != nil {
			return err
		}
		switch {
		case p.i == end:
			return errSplitReached
		case p.i > end:
			stop.Store(true)
		}
		return nil
	})
	if !errors.Is(err, errSplitReached) {
		// The guess was wrong, or the first half ended (or failed) before
		// it: p has read what a reading in order reads.
		stop.Store(true)
		<-done // the second half reads p's text, which is only lent
		q.lazy.release()
		if err != nil {
			return node{}, err
		}
		return first.node(), nil
	}
	second := <-done
	if second.err != nil {
		q.lazy.release()
		p.i = q.i
		return node{}, second.err
	}
	for i, key := range second.o.n.keys {
		first.set(key, second.o.n.elems[i])
	}
	p.i = q.i
	p.second = q.lazy
	return first.node(), nil
}
