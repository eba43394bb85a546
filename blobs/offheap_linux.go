//go:build linux

package blobs

import (
	"os"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The packed locales of the large blobs a server keeps are most of its
// memory (50 blobs of 100 × 100 locales: about 200 MB) and hold no
// pointers. Kept on the Go heap, they would also set the collector's pace:
// with GOGC=100 the heap may grow to twice the live heap before a
// collection, so 200 MB of blobs that never change would let a busy server
// grow by another 200 MB of garbage. Kept in memory mapped for them, the
// heap goal follows the memory the requests actually turn over.
//
// The mappings are made and released by address (unix.MmapPtr and
// unix.MunmapPtr) rather than with unix.Mmap and unix.Munmap, which only
// release a whole mapping they made: a pack buffer is mapped larger than
// needed and its unwritten part is released on its own.

// storeOffHeap copies buf into anonymous memory mapped for it (populated
// at once: one system call rather than a page fault per page) and returns
// it as a string; the mapping is released when owner becomes unreachable,
// so the string must not be used longer than owner, nor anything sliced
// from it kept (unpack copies what it returns). Where mapping fails it
// returns a copy on the Go heap.
func storeOffHeap[T any](owner *T, buf []byte) string {
	mem := mapAnon(len(buf), unix.MAP_POPULATE)
	if mem == nil {
		return string(buf)
	}
	copy(mem, buf)
	handOver(owner, mem)
	return unsafe.String(unsafe.SliceData(mem), len(mem))
}

// mapBuffer returns an empty buffer of capacity at least n in anonymous
// memory mapped for it, or nil where that fails: its pages are only made
// when written, so a capacity larger than needed costs address space, not
// memory. The mapping is aligned to huge pages and asks the kernel for
// them (MADV_HUGEPAGE): packing writes a large blob's buffer once, front
// to back, and a page fault per 4 KiB page was a third of the time of a
// cold parse on a virtual machine, where faults are dear. It is released
// with unmapBuffer or handed over with keepMapped.
func mapBuffer(n int) []byte {
	if n <= 0 {
		return nil
	}
	n = (n + hugePage - 1) &^ (hugePage - 1)
	raw := mapAnon(n+hugePage, 0)
	if raw == nil {
		return nil
	}
	// Keep the aligned n bytes of the mapping; unmap the rest.
	off := int(-uintptr(unsafe.Pointer(unsafe.SliceData(raw))) & (hugePage - 1))
	unmap(raw[:off])
	unmap(raw[off+n:])
	mem := raw[off : off+n : off+n]
	_ = unix.Madvise(mem, unix.MADV_HUGEPAGE) // advice: without it, small pages
	mappedBuffers.Add(1)
	return mem[:0]
}

// unmapBuffer releases a buffer mapBuffer returned.
func unmapBuffer(b []byte) {
	mappedBuffers.Add(-1)
	unmap(b[:cap(b)])
}

// keepMapped hands the buffer b (from mapBuffer), of which the first n
// bytes were written, over to owner as storeOffHeap does. The pages past
// the written ones are unmapped: the last huge page written is split, and
// its unwritten part does not stay in memory.
func keepMapped[T any](owner *T, b []byte, n int) string {
	mappedBuffers.Add(-1)
	page := os.Getpagesize()
	held := (n + page - 1) / page * page // the pages written
	unmap(b[held:cap(b)])
	handOver(owner, b[:held])
	return unsafe.String(unsafe.SliceData(b), n)
}

// handOver counts mem as off-heap memory of owner's and unmaps it when
// owner becomes unreachable.
func handOver[T any](owner *T, mem []byte) {
	offHeapBytes.Add(int64(len(mem)))
	runtime.AddCleanup(owner, func(mem []byte) {
		offHeapBytes.Add(-int64(len(mem)))
		unmap(mem)
	}, mem)
}

// mapAnon maps n bytes of private anonymous memory (with the extra flags),
// or returns nil.
func mapAnon(n int, flags int) []byte {
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE|flags)
	if err != nil {
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}

// unmap releases the pages of b, a page-aligned part of a mapping mapAnon
// made (the whole of it or not); an empty b is nothing to release.
func unmap(b []byte) {
	if len(b) == 0 {
		return
	}
	_ = unix.MunmapPtr(unsafe.Pointer(unsafe.SliceData(b)), uintptr(len(b)))
}

// A held text (deferred.go) is a copy of a blob's text, made while the first
// request for it waits. Written into fresh memory, even in huge pages, the
// copy took 3 ms, and at times over 20 ms where the kernel had to find the
// huge pages; written into memory whose pages are already made, it takes a
// memory copy's time (1 ms for 10 MB). So the mapping of a released held
// text is kept for the next one: up to maxSpareTexts mappings of at most
// maxSpareText bytes, counted as off-heap memory while they are kept and
// released once unused for a while (TrimSpares). A held text that finds no
// spare to fit has one made in the background for the next (the first ones
// after a start would otherwise all pay for fresh memory).

// Bounds of the spare held-text mappings.
const (
	maxSpareTexts = 2
	maxSpareText  = 32 << 20
)

// spareTexts are the spare held-text mappings.
var spareTexts struct {
	sync.Mutex
	spares    []spareText
	preparing int
}

// spareText is a spare held-text mapping and when it was put back.
type spareText struct {
	mem   []byte
	since time.Time
}

// holdText returns a heldText holding a copy of data, in a spare mapping
// or a new one (or on the Go heap where mapping fails). The mapping goes
// back among the spares when the heldText is released, or unreachable.
func holdText(data []byte) *heldText {
	t := &heldText{}
	mem := takeSpareText(len(data))
	if mem == nil {
		if mem = mapText(len(data)); mem == nil {
			t.s = string(data)
			return t
		}
		go prepareSpareText(len(data))
	}
	mem = append(mem[:0], data...)
	t.s = unsafe.String(unsafe.SliceData(mem), len(mem))
	cleanup := runtime.AddCleanup(t, releaseText, mem)
	t.free = func() {
		cleanup.Stop()
		releaseText(mem)
	}
	return t
}

// mapText maps memory for a held text of n bytes, or returns nil.
func mapText(n int) []byte {
	mem := mapBuffer(n)
	if mem != nil {
		mappedBuffers.Add(-1) // a held text's, not a pack buffer's
		offHeapBytes.Add(int64(cap(mem)))
	}
	return mem
}

// prepareSpareText makes a spare for a held text of n bytes, its pages
// written, when there is room for one.
func prepareSpareText(n int) {
	spareTexts.Lock()
	room := len(spareTexts.spares)+spareTexts.preparing < maxSpareTexts && n <= maxSpareText
	if room {
		spareTexts.preparing++
	}
	spareTexts.Unlock()
	if !room {
		return
	}
	mem := mapText(n)
	if mem != nil {
		mem = mem[:cap(mem)]
		for i := 0; i < len(mem); i += os.Getpagesize() {
			mem[i] = 0
		}
	}
	spareTexts.Lock()
	spareTexts.preparing--
	spareTexts.Unlock()
	if mem != nil {
		releaseText(mem)
	}
}

// takeSpareText returns a spare mapping of capacity at least n, or nil.
func takeSpareText(n int) []byte {
	spareTexts.Lock()
	defer spareTexts.Unlock()
	for i, sp := range spareTexts.spares {
		if cap(sp.mem) >= n {
			spareTexts.spares = slices.Delete(spareTexts.spares, i, i+1)
			return sp.mem
		}
	}
	return nil
}

// TrimSpares releases the spare memory kept for copies of large blobs'
// text (see holdText) that has not been used for idle: a server that has
// no cold release to load gives it back. The public role calls it on
// every refresh.
func TrimSpares(idle time.Duration) {
	spareTexts.Lock()
	defer spareTexts.Unlock()
	spareTexts.spares = slices.DeleteFunc(spareTexts.spares, func(sp spareText) bool {
		if time.Since(sp.since) < idle {
			return false
		}
		unmapText(sp.mem)
		return true
	})
}

// releaseText keeps a held text's mapping as a spare, or unmaps it.
func releaseText(mem []byte) {
	spareTexts.Lock()
	defer spareTexts.Unlock()
	if len(spareTexts.spares) < maxSpareTexts && cap(mem) <= maxSpareText {
		spareTexts.spares = append(spareTexts.spares, spareText{mem[:0], time.Now()})
		return
	}
	unmapText(mem)
}

// unmapText releases a held-text mapping, counted as off-heap memory no
// more.
func unmapText(mem []byte) {
	offHeapBytes.Add(-int64(cap(mem)))
	unmap(mem[:cap(mem)])
}
