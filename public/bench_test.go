package public

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/balrog-go/balrog/store/storetest"
)

// BenchmarkServeUpdate measures one update request through the public
// handler, data loaded and the blob cached: the steady state of the hot path.
func BenchmarkServeUpdate(b *testing.B) {
	db := openLoaded(b, storetest.Database{Name: "sqlite", URL: "sqlite:///" + b.TempDir() + "/bench.db"}, testDataset())
	s, srv := newTestService(b, db)
	srv.Close()
	h := s.NewHandler()
	req := httptest.NewRequest(http.MethodGet, updateURL, nil)
	req.RequestURI = updateURL
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := &discardWriter{h: http.Header{}}
		h.ServeHTTP(w, req)
	}
}

type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }
