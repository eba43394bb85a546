//go:build linux

package blobs

import (
	"os"
	"runtime"
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
func storeOffHeap(owner *packedLocales, buf []byte) string {
	mem := mapAnon(len(buf), unix.MAP_POPULATE)
	if mem == nil {
		return string(buf)
	}
	copy(mem, buf)
	handOver(owner, mem)
	return unsafe.String(unsafe.SliceData(mem), len(mem))
}

// hugePage is the size of a transparent huge page on amd64 and arm64.
const hugePage = 2 << 20

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
func keepMapped(owner *packedLocales, b []byte, n int) string {
	mappedBuffers.Add(-1)
	page := os.Getpagesize()
	held := (n + page - 1) / page * page // the pages written
	unmap(b[held:cap(b)])
	handOver(owner, b[:held])
	return unsafe.String(unsafe.SliceData(b), n)
}

// handOver counts mem as off-heap memory of owner's and unmaps it when
// owner becomes unreachable.
func handOver(owner *packedLocales, mem []byte) {
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
