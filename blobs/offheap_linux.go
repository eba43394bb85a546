//go:build linux

package blobs

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// The packed locales of the large blobs a server keeps are most of its
// memory (50 blobs of 100 × 100 locales: about 200 MB) and hold no
// pointers. Kept on the Go heap, they would also set the collector's pace:
// with GOGC=100 the heap may grow to twice the live heap before a
// collection, so 200 MB of blobs that never change would let a busy server
// grow by another 200 MB of garbage. Kept in memory mapped for them, the
// heap goal follows the memory the requests actually turn over.

// storeOffHeap copies buf into anonymous memory mapped for it (populated
// at once: one system call rather than a page fault per page) and returns
// it as a string; the mapping is released when owner becomes unreachable,
// so the string must not be used longer than owner, nor anything sliced
// from it kept (unpack copies what it returns). Where mapping fails it
// returns a copy on the Go heap.
func storeOffHeap(owner *packedLocales, buf []byte) string {
	mem, err := syscall.Mmap(-1, 0, len(buf), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
	if err != nil {
		return string(buf)
	}
	copy(mem, buf)
	offHeapBytes.Add(int64(len(mem)))
	runtime.AddCleanup(owner, func(mem []byte) {
		offHeapBytes.Add(-int64(len(mem)))
		_ = syscall.Munmap(mem)
	}, mem)
	return unsafe.String(unsafe.SliceData(mem), len(mem))
}

// mapBuffer returns an empty buffer of capacity n in anonymous memory mapped
// for it, or nil where that fails: its pages are only made when written,
// so a capacity larger than needed costs address space, not memory. It is
// released with unmapBuffer or handed over with keepMapped.
func mapBuffer(n int) []byte {
	if n <= 0 {
		return nil
	}
	mem, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	mappedBuffers.Add(1)
	return mem[:0]
}

// unmapBuffer releases a buffer mapBuffer returned.
func unmapBuffer(b []byte) {
	mappedBuffers.Add(-1)
	_ = syscall.Munmap(b[:cap(b)])
}

// keepMapped hands the buffer b (from mapBuffer), of which the first n
// bytes were written, over to owner as storeOffHeap does.
func keepMapped(owner *packedLocales, b []byte, n int) string {
	mappedBuffers.Add(-1)
	page := os.Getpagesize()
	held := int64((n + page - 1) / page * page) // the pages written
	offHeapBytes.Add(held)
	runtime.AddCleanup(owner, func(mem []byte) {
		offHeapBytes.Add(-held)
		_ = syscall.Munmap(mem)
	}, b[:cap(b)])
	return unsafe.String(unsafe.SliceData(b), n)
}
