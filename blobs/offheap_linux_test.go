//go:build linux

package blobs

import (
	"errors"
	"os"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapped reports whether every page of b is mapped: madvise fails with
// ENOMEM on a range that is not.
func mapped(t *testing.T, b []byte) bool {
	t.Helper()
	err := unix.Madvise(b, unix.MADV_NORMAL)
	if err != nil && !errors.Is(err, unix.ENOMEM) {
		t.Fatalf("madvise: %v", err)
	}
	return err == nil
}

// TestPackBufferMapping checks that a pack buffer is aligned to huge pages
// and that handing it over keeps the pages written and releases the rest,
// and that a buffer given back is released whole.
func TestPackBufferMapping(t *testing.T) {
	const want = 3 << 20
	b := mapBuffer(want)
	if b == nil {
		t.Skip("anonymous memory cannot be mapped here")
	}
	full := b[:cap(b)]
	base := uintptr(unsafe.Pointer(unsafe.SliceData(full)))
	if base%hugePage != 0 || cap(b)%hugePage != 0 || cap(b) < want {
		t.Fatalf("buffer at %#x of capacity %d: want a multiple of %d from an aligned address, at least %d", base, cap(b), hugePage, want)
	}
	if !mapped(t, full) {
		t.Fatal("a new buffer is not mapped")
	}
	const n = 5000
	b = append(b, make([]byte, n)...)
	for i := range b {
		b[i] = byte(i)
	}
	owner := &packedLocales{}
	s := keepMapped(owner, full[:0], n)
	if len(s) != n || s[n-1] != byte((n-1)%256) {
		t.Fatalf("kept text of %d bytes ends with %d", len(s), s[len(s)-1])
	}
	held := (n + os.Getpagesize() - 1) / os.Getpagesize() * os.Getpagesize()
	if !mapped(t, full[:held]) {
		t.Error("the pages written were released")
	}
	if mapped(t, full[held:held+os.Getpagesize()]) || mapped(t, full[cap(full)-os.Getpagesize():]) {
		t.Error("the pages past the written ones are still mapped")
	}
	if s[0] != 0 {
		t.Error("the kept text changed")
	}

	c := mapBuffer(1)
	cf := c[:cap(c)]
	unmapBuffer(c)
	if mapped(t, cf[:os.Getpagesize()]) {
		t.Error("a buffer given back is still mapped")
	}
}

// TestHeldTextSpares checks the memory of held texts: released at the end
// of the complete parse, kept as a spare that the next held text of a size
// it fits reuses, and given back by TrimSpares.
func TestHeldTextSpares(t *testing.T) {
	defer func(n int) { deferMin = n; TrimSpares(0) }(deferMin)
	deferMin = 0
	TrimSpares(0)
	data := []byte(bigRelease(4, 20, 40))
	first, complete, err := ParseDeferred(data)
	if err != nil || complete == nil {
		t.Fatalf("not deferred: %v", err)
	}
	text := first.(*AppRelease).Platforms["plat0"].deferred.text
	if _, err := complete(); err != nil {
		t.Fatal(err)
	}
	if text.s != "" || text.free != nil {
		t.Fatal("the text was not released by the complete parse")
	}
	// A spare is prepared in the background when a held text finds none.
	for range 1000 {
		spareTexts.Lock()
		n, preparing := len(spareTexts.spares), spareTexts.preparing
		spareTexts.Unlock()
		if n == maxSpareTexts && preparing == 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	spareTexts.Lock()
	if n := len(spareTexts.spares); n != maxSpareTexts {
		t.Fatalf("%d spares, want %d (the released text's and the one prepared)", n, maxSpareTexts)
	}
	spare := unsafe.SliceData(spareTexts.spares[0].mem)
	spareTexts.Unlock()

	before := OffHeapBytes()
	held := holdText(data[:len(data)/2])
	if unsafe.StringData(held.s) != spare || held.s != string(data[:len(data)/2]) {
		t.Error("a held text that fits a spare did not take it")
	}
	if OffHeapBytes() != before {
		t.Errorf("off-heap bytes moved from %d to %d: new memory was mapped", before, OffHeapBytes())
	}
	held.release(&AppRelease{})

	TrimSpares(time.Hour)
	if len(spareTexts.spares) == 0 || OffHeapBytes() != before {
		t.Error("TrimSpares released spares used within the idle time")
	}
	TrimSpares(0)
	if n := len(spareTexts.spares); n != 0 || OffHeapBytes() >= before {
		t.Errorf("%d spares left, off-heap bytes %d (from %d), after trimming them all", n, OffHeapBytes(), before)
	}
}
