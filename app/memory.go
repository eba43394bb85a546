package app

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/balrog-go/balrog/blobs"
)

// memoryBudget keeps Go's soft memory limit at the process's budget
// (--memory-limit) less the memory the parsed blobs hold outside the Go
// heap (blobs.OffHeapBytes), which the runtime does not count: with the
// budget alone as its limit, the heap could grow to the whole budget on top
// of the packed blobs, and the process past the container's memory.
type memoryBudget struct {
	// limit is the budget in bytes.
	limit int64
	// offHeap reports the memory held outside the Go heap.
	offHeap func() int64
	// set sets Go's soft memory limit (debug.SetMemoryLimit).
	set func(int64) int64
	// interval is how often the limit follows offHeap.
	interval time.Duration
}

// budgetInterval is how often the Go limit follows the blobs' memory.
const budgetInterval = time.Second

// newMemoryBudget returns the budget of limit bytes, applied at once.
func newMemoryBudget(limit int64) *memoryBudget {
	m := &memoryBudget{limit: limit, offHeap: blobs.OffHeapBytes, set: debug.SetMemoryLimit, interval: budgetInterval}
	m.apply()
	return m
}

// goLimit is Go's limit when off bytes are held outside the heap: the
// budget less them, but never under a quarter of the budget (the heap needs
// room to work even when the blobs take most of it).
func (m *memoryBudget) goLimit(off int64) int64 {
	return max(m.limit-off, m.limit/4)
}

// apply sets Go's limit for the memory held outside the heap now.
func (m *memoryBudget) apply() {
	m.set(m.goLimit(m.offHeap()))
}

// Run keeps Go's limit following the blobs' memory until ctx ends.
func (m *memoryBudget) Run(ctx context.Context) error {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			m.apply()
		}
	}
}
