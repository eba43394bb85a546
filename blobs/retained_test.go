package blobs

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/balrog-go/balrog/rules"
)

// heapAfterGC returns the live heap after two collections, with the
// packed blob text held outside it.
func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc + uint64(OffHeapBytes())
}

// retainedHeap parses data and returns the heap the parsed blob keeps
// alive, after touching the given number of locales of every platform (0:
// none; the lazily parsed locales then stay unparsed).
func retainedHeap(tb testing.TB, data []byte, touch int) (Blob, int64) {
	before := heapAfterGC()
	b, err := Parse(data)
	if err != nil {
		tb.Fatal(err)
	}
	if r, ok := b.(*AppRelease); ok && touch > 0 {
		for _, p := range r.Platforms {
			if p.locales == nil {
				continue
			}
			n := 0
			for _, code := range p.locales.codes() {
				if n == touch {
					break
				}
				_, _, _ = r.locale(p, code)
				n++
			}
		}
	}
	after := heapAfterGC()
	runtime.KeepAlive(b)
	return b, int64(after) - int64(before)
}

// TestRetainedHeapLarge reports the heap one parsed 100 × 100 blob keeps
// (its JSON text is ≈ 9.6 MB) and bounds it.
func TestRetainedHeapLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("large blob")
	}
	data := []byte(bigRelease(4, 100, 100))
	_, fresh := retainedHeap(t, data, 0)
	_, all := retainedHeap(t, data, 100)
	t.Logf("JSON %d bytes; retained: parsed %d bytes, after every locale is used %d bytes", len(data), fresh, all)
	if limit := int64(len(data)) / 2; fresh > limit {
		t.Errorf("a parsed large blob retains %d bytes, want at most %d", fresh, limit)
	}
}

// BenchmarkRetainedLarge reports, as retained-B, the heap one parsed
// 100 × 100 blob keeps after a collection.
func BenchmarkRetainedLarge(b *testing.B) {
	data := []byte(bigRelease(4, 100, 100))
	var total int64
	n := 0
	for b.Loop() {
		_, r := retainedHeap(b, data, 0)
		total += r
		n++
	}
	b.ReportMetric(float64(total)/float64(n), "retained-B")
}

// TestLazyLocaleConcurrent renders the locales of one freshly parsed blob
// from many goroutines at once while it is compacted (run with -race):
// every answer must equal the answer of a blob whose locales were used one
// at a time.
func TestLazyLocaleConcurrent(t *testing.T) {
	const platforms, locales = 4, 6
	data := []byte(bigRelease(4, platforms, locales))
	env, _ := benchEnv(t, platforms, locales)
	query := func(i int) *rules.Query {
		bid, loc := "20210101000001", fmt.Sprintf("l%d", i%locales)
		return &rules.Query{
			Route: rules.RouteXML, Product: "Firefox", Version: "98.0", BuildID: &bid,
			BuildTarget: fmt.Sprintf("plat%d-alias", (i/locales)%platforms), Locale: &loc, Channel: "release",
		}
	}
	render := func(b Blob, i int) string {
		q := query(i)
		if d, err := b.ShouldServe(q); err != nil || d != Yes {
			t.Errorf("ShouldServe %d: %v %v", i, d, err)
			return ""
		}
		out, err := AppendXML(nil, b, q, "minor", nil, env)
		if err != nil {
			t.Errorf("AppendXML %d: %v", i, err)
		}
		return string(out)
	}
	seq, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]string, platforms*locales)
	for i := range want {
		want[i] = render(seq, i)
	}
	b, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range want {
				i := (k + g*5) % len(want)
				if got := render(b, i); got != want[i] {
					t.Errorf("query %d: got\n%s\nwant\n%s", i, got, want[i])
				}
			}
		}()
	}
	wg.Wait()
}

// FuzzLazyJSON checks that the lazy parser accepts and refuses exactly the
// documents the full parser does, with the same error, and that a packed
// locale object unpacks to what the full parser gave. Every "platforms"
// object is read in two halves where a split point is found (split.go).
func FuzzLazyJSON(f *testing.F) {
	defer func(n int) { splitMin = n }(splitMin)
	splitMin = 0
	f.Add([]byte(`{"platforms": {"a": {"locales": {"x": {"h": 1}}},"b": {"locales": {"y": {"h": 2}}}, "a": {"locales": {}}}}`))
	f.Add([]byte(`{"platforms": {"a": {"locales": {"x": {"h": "}},\"c\""}}}, "b": {"locales": {"y": {"h": 2}}} , "c": {"locales": {"z": [}}}}}`))
	f.Add([]byte(`{"platforms": {"a": {"x": {"y": {}}}, "b": {"locales": {"y": {}}}, "c": {"locales": {"z": {"h": 1}}}}, "n": 1}`))
	f.Add([]byte(`{"platforms": {"a": {"locales": {"x": {}}}, "b": {"locales": {"y": {"h": -}}}}}`))
	f.Add([]byte(`{"platforms": {"p": {"locales": {"de": {"buildID": "1", "completes": [{"from": "*", "filesize": 1e3}]}, "fr": 3}}}}`))
	f.Add([]byte(`{"platforms": {"p": {"locales": {"de": {"a": "\u00e9\ud83d\ude00\ud800x", "b": [1, {"c": null}]}}}}}`))
	f.Add([]byte(`{"platforms": {"p": {"locales": {"de": {"a": "\x", "b": [1, {"c": null}]}}}}}`))
	f.Add([]byte(`{"platforms": {"p": {"locales": {"de": {"a": [1 2]}}}}}`))
	f.Add([]byte(`{"platforms": {"p": {"locales": {"de": {"a": -}}, "de": {}}}}}`))
	f.Add([]byte(`{"platforms": {"p": {"locales": {"de": {"h": "0123456789abcdef0123"}, "de": {"h": "0123456789abcdeF"}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		full, errFull := parseJSON(data)
		lazy, b, errLazy := parseJSONLazy(data, true)
		if (errFull == nil) != (errLazy == nil) || (errFull != nil && errFull.Error() != errLazy.Error()) {
			t.Fatalf("full: %v, lazy: %v", errFull, errLazy)
		}
		if errFull != nil {
			return
		}
		packed := finishAll(b)
		var expand func(n node) node
		expand = func(n node) node {
			if n.kind == kindPackedObject {
				pk, start, end := span(packed, n.ref)
				m, err := unpack(pk.text[start:end], pk.table)
				if err != nil {
					t.Fatal(err)
				}
				return m
			}
			for i := range n.elems {
				n.elems[i] = expand(n.elems[i])
			}
			return n
		}
		got := expand(lazy)
		if a, b := string(appendPyRepr(nil, &full)), string(appendPyRepr(nil, &got)); a != b {
			t.Fatalf("full %s\nlazy %s", a, b)
		}
	})
}

// FuzzPackedObject checks that a packed object unpacks to the node the
// full parser makes of its text, and that packing accepts and refuses
// exactly what the parser does.
func FuzzPackedObject(f *testing.F) {
	f.Add(`{"buildID": "1", "completes": [{"from": "*", "filesize": 1e3, "hashValue": "00ff00ff00ff00ff00ff"}]}`)
	f.Add(`{"a": "\u00e9\ud83d\ude00\ud800x", "b": [1, {"c": null}], "a": true, "d": [], "e": {}}`)
	f.Add(`{"k0":1,"k1":2,"k2":3,"k3":4,"k4":5,"k5":6,"k6":7,"k7":8,"k8":9,"k9":10,"k10":-0.5,"x":NaN}`)
	f.Add(`{"a": [1 2]}`)
	f.Add(`{"h": "ABCDEFabcdef0123456789", "g": "abcdef0123456789abcdef0123456789a"}`)
	f.Fuzz(func(t *testing.T, text string) {
		full := jsonParser{s: text}
		want, errFull := full.value(0)
		table := newPackTable()
		pp := jsonParser{s: text}
		packed, errPack := pp.packValue(nil, 0, table)
		if (errFull == nil) != (errPack == nil) || (errFull != nil && errFull.Error() != errPack.Error()) {
			t.Fatalf("parse: %v, pack: %v", errFull, errPack)
		}
		if errFull != nil {
			return
		}
		table.seal()
		got, err := unpack(string(packed), table)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := string(appendPyRepr(nil, &want)), string(appendPyRepr(nil, &got)); a != b {
			t.Fatalf("parsed %s\nunpacked %s", a, b)
		}
		for i := range want.elems {
			if want.elems[i].kind != got.elems[i].kind {
				t.Fatalf("element %d: kind %v, unpacked %v", i, want.elems[i].kind, got.elems[i].kind)
			}
		}
	})
}

// TestOffHeapReleased checks that the packed text of a blob is counted
// while the blob is reachable and released once it is not.
func TestOffHeapReleased(t *testing.T) {
	data := []byte(bigRelease(4, 10, 10))
	heapAfterGC()
	before := OffHeapBytes()
	b, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	held := OffHeapBytes() - before
	if runtime.GOOS == "linux" && held <= 0 {
		t.Fatalf("a parsed blob holds %d bytes outside the heap", held)
	}
	runtime.KeepAlive(b)
	b = nil
	for i := 0; i < 100 && OffHeapBytes() > before; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := OffHeapBytes(); got > before {
		t.Errorf("after the blob is dropped %d bytes are held outside the heap, want %d", got, before)
	}
}
