package pdf

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzOpen feeds the reader damaged and hostile files: it must return an
// error or a usable reader, never panic or run away with memory.
func FuzzOpen(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "pdf", "*.pdf"))
	for _, name := range files {
		// Small seeds keep each run short, so the fuzzer spends its time
		// mutating rather than minimising large inputs.
		if b, err := os.ReadFile(name); err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	f.Add(minimalPDF(2))
	f.Fuzz(func(t *testing.T, b []byte) {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				os.WriteFile(filepath.Join(os.TempDir(), "fuzzopen-hang.pdf"), b, 0o644)
				panic("FuzzOpen: one input took more than 20 s")
			}
		}()
		r, err := Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		r.Pages()
		r.SignatureFields()
		for _, n := range r.ObjectNumbers() {
			o, err := r.Object(n)
			if s, ok := o.(Stream); ok && err == nil {
				r.Decode(s)
			}
		}
		if len(r.Sections()) > 0 {
			r.ObjectHeaders(0, r.Size())
		}
	})
}
