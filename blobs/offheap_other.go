//go:build !linux

package blobs

// storeOffHeap returns a copy of buf on the Go heap: outside Linux the
// packed text is not mapped apart (see offheap_linux.go).
func storeOffHeap(owner *packedLocales, buf []byte) string { return string(buf) }

// mapBuffer returns nil: the builder's buffer is on the Go heap.
func mapBuffer(n int) []byte { return nil }

// unmapBuffer is never called: mapBuffer maps nothing.
func unmapBuffer(b []byte) {}

// keepMapped is never called: mapBuffer maps nothing.
func keepMapped(owner *packedLocales, b []byte, n int) string { return string(b[:n]) }
