//go:build !linux

package blobs

// storeOffHeap returns a copy of buf on the Go heap: outside Linux the
// packed text is not mapped apart (see offheap_linux.go).
func storeOffHeap(owner *packedLocales, buf []byte) string { return string(buf) }
