package app

import (
	"context"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/balrog-go/balrog/blobs"
)

const mib = 1 << 20

// TestMemoryBudgetLimit checks Go's limit for the memory held outside the
// heap: the budget less it, never under a quarter of the budget.
func TestMemoryBudgetLimit(t *testing.T) {
	m := &memoryBudget{limit: 400 * mib}
	for _, tt := range []struct{ off, want int64 }{
		{0, 400 * mib},
		{100 * mib, 300 * mib},
		{300 * mib, 100 * mib},
		{350 * mib, 100 * mib},
		{900 * mib, 100 * mib},
	} {
		if got := m.goLimit(tt.off); got != tt.want {
			t.Errorf("%d MiB outside the heap: limit %d MiB, want %d", tt.off/mib, got/mib, tt.want/mib)
		}
	}
}

// TestMemoryBudgetFollows checks that the limit follows the memory outside
// the heap as it moves, and that Run stops with its context.
func TestMemoryBudgetFollows(t *testing.T) {
	var off atomic.Int64
	var mu sync.Mutex
	var set []int64
	m := &memoryBudget{limit: 400 * mib, offHeap: off.Load, interval: time.Millisecond, set: func(l int64) int64 {
		mu.Lock()
		defer mu.Unlock()
		set = append(set, l)
		return 0
	}}
	last := func() int64 {
		mu.Lock()
		defer mu.Unlock()
		if len(set) == 0 {
			return -1
		}
		return set[len(set)-1]
	}
	m.apply()
	if got := last(); got != 400*mib {
		t.Fatalf("at start: %d MiB", got/mib)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	off.Store(120 * mib)
	for i := 0; i < 2000 && last() != 280*mib; i++ {
		time.Sleep(time.Millisecond)
	}
	if got := last(); got != 280*mib {
		t.Errorf("with 120 MiB outside the heap: %d MiB, want 280", got/mib)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop with its context")
	}
}

// TestServeAppliesMemoryBudget checks that serve --memory-limit sets Go's
// soft limit to the budget less the blobs' memory outside the heap.
func TestServeAppliesMemoryBudget(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	s := startServe(t, "sqlite:///"+filepath.Join(t.TempDir(), "balrog.db"), "--role", "public", "--memory-limit", "512MiB")
	got := debug.SetMemoryLimit(-1)
	want := max(512*mib-blobs.OffHeapBytes(), 128*mib)
	if d := got - want; d < -64*mib || d > 64*mib {
		t.Errorf("Go's memory limit is %d MiB, want about %d (512 less %d outside the heap)", got/mib, want/mib, blobs.OffHeapBytes()/mib)
	}
	if code := s.stop(t); code != 0 {
		t.Errorf("serve exited %d", code)
	}
}
