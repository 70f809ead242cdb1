package seal_test

// Benchmarks in pairs, ours against a baseline measured in the same run;
// `make bench` prints the ratios (internal/benchtable).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"

	"github.com/eseal-project/eseal/internal/sealtest"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/verify"
)

// BenchmarkStampOnePage: stamping a one-page PDF (SM2 mode, visible seal)
// against the least any signer must do: SM3 over the file and one SM2
// signature. Two documents: a 3 KB Ghostscript page, where the fixed cost
// of the PDF and CMS work shows most, and a 47 KB office document.
func BenchmarkStampOnePage(b *testing.B) {
	p := sealtest.NewPKI(b)
	in := sealtest.Fixture(b, "ghostscript.pdf")
	opts := p.Options(seal.ModeSM2)
	key := p.SealKey.(*sm2.PrivateKey)
	b.Run("raw-sm3-sm2", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for i := 0; i < b.N; i++ {
			h := sm3.New()
			h.Write(in)
			if _, err := key.Sign(rand.Reader, h.Sum(nil), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ours", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for i := 0; i < b.N; i++ {
			if _, err := seal.Stamp(context.Background(), bytes.NewReader(in), int64(len(in)), io.Discard, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A one-page approval document as offices make them (the first page of
	// the LibreOffice fixture, 47 KB with its embedded Chinese font subset),
	// where hashing the file weighs as it does in practice.
	doc := sealtest.Fixture(b, "onepage.pdf")
	b.Run("approval/raw-sm3-sm2", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for i := 0; i < b.N; i++ {
			h := sm3.New()
			h.Write(doc)
			if _, err := key.Sign(rand.Reader, h.Sum(nil), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("approval/ours", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		for i := 0; i < b.N; i++ {
			if _, err := seal.Stamp(context.Background(), bytes.NewReader(doc), int64(len(doc)), io.Discard, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Without a picture and without embedding the GB/T 38540 seal: the cost
	// of the PDF work and the CMS alone.
	bare := opts
	bare.Seal, bare.Picture, bare.Placement = nil, nil, seal.Placement{Invisible: true}
	b.Run("ours-invisible", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		for i := 0; i < b.N; i++ {
			if _, err := seal.Stamp(context.Background(), bytes.NewReader(in), int64(len(in)), io.Discard, bare); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// bigPDF writes a valid one-page PDF of about size bytes to dir: the page
// shows an image XObject whose data makes up the bulk, as scanned
// documents do.
func bigPDF(b *testing.B, dir string, size int) string {
	b.Helper()
	path := filepath.Join(dir, fmt.Sprintf("big-%d.pdf", size))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var off int64
	var offs []int64
	write := func(s string) { n, _ := w.WriteString(s); off += int64(n) }
	obj := func(body string) {
		offs = append(offs, off)
		write(fmt.Sprintf("%d 0 obj\n%s\nendobj\n", len(offs), body))
	}
	write("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj("<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
	obj("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>")
	content := "q 595 0 0 842 0 0 cm /Im1 Do Q"
	obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	side := 1
	for side*side*3 < size {
		side++
	}
	n := side * side * 3
	offs = append(offs, off)
	write(fmt.Sprintf("5 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length %d >>\nstream\n", side, side, n))
	chunk := make([]byte, 1<<20)
	rand.Read(chunk)
	for left := n; left > 0; {
		k := min(left, len(chunk))
		w.Write(chunk[:k])
		off += int64(k)
		left -= k
	}
	write("\nendstream\nendobj\n")
	xref := off
	write(fmt.Sprintf("xref\n0 %d\n0000000000 65535 f \n", len(offs)+1))
	for _, o := range offs {
		write(fmt.Sprintf("%010d 00000 n \n", o))
	}
	write(fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref))
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	return path
}

// peakHeap samples the live heap while fn runs and returns its peak.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// BenchmarkLarge: stamping and verifying a 10 MB and a 100 MB PDF against
// reading and hashing the file once; peak live heap is reported so that it
// can be seen not to grow with the file.
func BenchmarkLarge(b *testing.B) {
	p := sealtest.NewPKI(b)
	dir := b.TempDir()
	opts := p.Options(seal.ModeSM2)
	vopts := verify.Options{Trust: p.Trust()}
	for _, mb := range []int{10, 100} {
		path := bigPDF(b, dir, mb<<20)
		stamped := path + ".stamped.pdf"
		if _, err := seal.StampFile(context.Background(), path, stamped, opts); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dMB/read-sm3", mb), func(b *testing.B) {
			var peak uint64
			for i := 0; i < b.N; i++ {
				peak = max(peak, peakHeap(func() {
					f, _ := os.Open(path)
					h := sm3.New()
					io.Copy(h, f)
					f.Close()
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
		b.Run(fmt.Sprintf("%dMB/stamp", mb), func(b *testing.B) {
			var peak uint64
			for i := 0; i < b.N; i++ {
				peak = max(peak, peakHeap(func() {
					f, _ := os.Open(path)
					fi, _ := f.Stat()
					if _, err := seal.Stamp(context.Background(), f, fi.Size(), io.Discard, opts); err != nil {
						b.Fatal(err)
					}
					f.Close()
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
		b.Run(fmt.Sprintf("%dMB/verify", mb), func(b *testing.B) {
			var peak uint64
			for i := 0; i < b.N; i++ {
				peak = max(peak, peakHeap(func() {
					f, _ := os.Open(stamped)
					fi, _ := f.Stat()
					rep, err := verify.PDF(context.Background(), f, fi.Size(), vopts)
					if err != nil || rep.Verdict != verify.Valid {
						b.Fatalf("%v %v", err, rep)
					}
					f.Close()
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// BenchmarkBatch1000 stamps 1,000 one-page documents with as many workers
// as GOMAXPROCS (run with -cpu 2 for two cores); docs/s is the figure.
func BenchmarkBatch1000(b *testing.B) {
	p := sealtest.NewPKI(b)
	in := sealtest.Fixture(b, "ghostscript.pdf")
	opts := p.Options(seal.ModeSM2)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		work := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < runtime.GOMAXPROCS(0); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range work {
					if _, err := seal.Stamp(context.Background(), bytes.NewReader(in), int64(len(in)), io.Discard, opts); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		for d := 0; d < 1000; d++ {
			work <- d
		}
		close(work)
		wg.Wait()
		b.ReportMetric(1000/time.Since(start).Seconds(), "docs/s")
	}
}
