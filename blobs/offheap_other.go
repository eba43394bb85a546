//go:build !linux

package blobs

import "time"

// storeOffHeap returns a copy of buf on the Go heap: outside Linux the
// packed text is not mapped apart (see offheap_linux.go).
func storeOffHeap[T any](owner *T, buf []byte) string { return string(buf) }

// mapBuffer returns nil: the builder's buffer is on the Go heap.
func mapBuffer(n int) []byte { return nil }

// unmapBuffer is never called: mapBuffer maps nothing.
func unmapBuffer(b []byte) {}

// keepMapped is never called: mapBuffer maps nothing.
func keepMapped[T any](owner *T, b []byte, n int) string { return string(b[:n]) }

// holdText returns a heldText holding a copy of data on the Go heap.
func holdText(data []byte) *heldText { return &heldText{s: string(data)} }

// TrimSpares does nothing: outside Linux no spare memory is kept.
func TrimSpares(idle time.Duration) {}
