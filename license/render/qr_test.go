package render

import (
	"errors"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// TestQRCapacity checks the byte capacity table against the encoder.
func TestQRCapacity(t *testing.T) {
	for v := 1; v <= 16; v++ {
		q, err := qrcode.New(strings.Repeat("a", qrByteCapacityM[v]), qrcode.Medium)
		if err != nil || q.VersionNumber != v {
			t.Errorf("%d bytes: version %v, %v; want %d", qrByteCapacityM[v], q.VersionNumber, err, v)
		}
		q, err = qrcode.New(strings.Repeat("a", qrByteCapacityM[v]+1), qrcode.Medium)
		if err != nil || q.VersionNumber != v+1 {
			t.Errorf("%d bytes: version %v, %v; want %d", qrByteCapacityM[v]+1, q.VersionNumber, err, v+1)
		}
	}
	if v := qrMaxVersion(); v != 14 {
		t.Errorf("qrMaxVersion() = %d, want 14 (73 modules of %.3f mm)", v, QRSize/73)
	}
}

func TestEncodeQR(t *testing.T) {
	m, err := encodeQR(qrText("x"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m); n != 17+4*11 {
		t.Errorf("a 220-byte URL gave %d×%d modules, want version 11 (61×61)", n, n)
	}
	// The largest allowed text fits; one byte more does not.
	if _, err := encodeQR(strings.Repeat("a", 362)); err != nil {
		t.Errorf("362 bytes: %v", err)
	}
	if _, err := encodeQR(strings.Repeat("a", 363)); !errors.Is(err, ErrQRTooLong) {
		t.Errorf("363 bytes: %v, want ErrQRTooLong", err)
	}
}

// TestQRRects checks that the rectangles cover the dark modules exactly once
// and the light ones never.
func TestQRRects(t *testing.T) {
	m, err := encodeQR(qrText("rects"))
	if err != nil {
		t.Fatal(err)
	}
	n := len(m)
	count := make([][]int, n)
	for i := range count {
		count[i] = make([]int, n)
	}
	rects := qrRects(m)
	for _, r := range rects {
		for y := r.y; y < r.y+r.h; y++ {
			for x := r.x; x < r.x+r.w; x++ {
				count[y][x]++
			}
		}
	}
	dark := 0
	for y := range n {
		for x := range n {
			want := 0
			if m[y][x] {
				want = 1
				dark++
			}
			if count[y][x] != want {
				t.Fatalf("module (%d,%d) covered %d times, want %d", x, y, count[y][x], want)
			}
		}
	}
	t.Logf("%d dark modules in %d rectangles", dark, len(rects))
}
