package page

import (
	"context"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// BenchmarkRender renders the page of a person's license and reports the
// cost as a multiple of escaping the rendered page once with
// template.HTMLEscapeString (x-escape), measured in the same run: a single
// pass over the page's bytes is the least any renderer can do.
func BenchmarkRender(b *testing.B) {
	v := personView(StatusRevoked)
	page := render(b, v)
	const baseN = 2000
	start := time.Now()
	for i := 0; i < baseN; i++ {
		if template.HTMLEscapeString(page) == "" {
			b.Fatal("empty")
		}
	}
	base := time.Since(start) / baseN

	b.ReportAllocs()
	b.SetBytes(int64(len(page)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := Render(io.Discard, v); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed())/float64(b.N)/float64(base), "x-escape")
}

// BenchmarkHandler serves the page through the handler, headers and all,
// with a lookup that costs nothing.
func BenchmarkHandler(b *testing.B) {
	v := personView(StatusValid)
	h := Handler(func(context.Context, string) (View, error) { return v, nil }, testService)
	mux := http.NewServeMux()
	mux.Handle("GET /v/{id}", h)
	req := httptest.NewRequest("GET", "/v/"+testID, nil)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "有效") {
			b.Fatalf("status %d", w.Code)
		}
	}
}
