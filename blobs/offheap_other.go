//go:build !unix

package blobs

// storeOffHeap returns a copy of buf on the Go heap: this platform has no
// anonymous mappings (see offheap_unix.go).
func storeOffHeap(owner *packedLocales, buf []byte) string { return string(buf) }
