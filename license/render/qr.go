package render

// The verification QR code. It is printed at a fixed size (QRSize), so the
// longer the text, the smaller each module; below MinQRModule a phone camera
// no longer reads it reliably, and Render refuses rather than print a code
// nobody can scan. Modules are drawn as vector rectangles, one per run of
// dark modules merged across rows, so the code stays crisp at any
// resolution and survives rasterisation without resampling blur.

import (
	"errors"
	"fmt"

	"github.com/signintech/gopdf"
	qrcode "github.com/skip2/go-qrcode"
)

const (
	// QRSize is the printed side of the QR symbol in mm, quiet zone not
	// included.
	QRSize = 25.0
	// QRQuietZone is the blank margin kept around the symbol, in modules
	// (ISO/IEC 18004 asks for 4).
	QRQuietZone = 4
	// MinQRModule is the smallest module, in mm, Render prints: at QRSize it
	// allows symbols up to version 14 (73×73 modules), 362 bytes at error
	// correction level M.
	MinQRModule = 0.33
)

// ErrQRTooLong reports QR text that does not fit a QRSize symbol with modules
// of at least MinQRModule at error correction level M.
var ErrQRTooLong = errors.New("render: QR text too long")

// qrByteCapacityM is the byte-mode capacity of QR versions 1–40 at error
// correction level M (ISO/IEC 18004:2015 table 7).
var qrByteCapacityM = [41]int{0,
	14, 26, 42, 62, 84, 106, 122, 152, 180, 213,
	251, 287, 331, 362, 412, 450, 504, 560, 624, 666,
	711, 779, 857, 911, 997, 1059, 1125, 1190, 1264, 1370,
	1452, 1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213, 2331}

// qrMaxVersion is the largest version whose modules are at least
// MinQRModule wide at QRSize.
func qrMaxVersion() int {
	v := 1
	for v < 40 && QRSize/float64(17+4*(v+1)) >= MinQRModule {
		v++
	}
	return v
}

// encodeQR encodes text at error correction level M and returns its modules,
// [y][x], true for dark, without the quiet zone.
func encodeQR(text string) ([][]bool, error) {
	q, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("%w: %d bytes do not fit any QR symbol at error correction level M (at most %d bytes fit at %g mm)",
			ErrQRTooLong, len(text), qrByteCapacityM[qrMaxVersion()], QRSize)
	}
	n := 17 + 4*q.VersionNumber
	if module := QRSize / float64(n); module < MinQRModule {
		return nil, fmt.Errorf("%w: %d bytes need QR version %d (%d×%d modules, level M), whose modules would be %.2f mm at %g mm, below the %.2f mm a phone reads reliably; keep the text to %d bytes (a short URL with an identifier, the rest looked up online)",
			ErrQRTooLong, len(text), q.VersionNumber, n, n, module, QRSize, MinQRModule, qrByteCapacityM[qrMaxVersion()])
	}
	q.DisableBorder = true
	return q.Bitmap(), nil
}

// drawQR draws the modules with their top-left corner at (x, y) mm, side
// mm wide, on a white quiet zone.
func drawQR(gp *gopdf.GoPdf, modules [][]bool, x, y, side float64) {
	n := len(modules)
	m := side / float64(n)
	q := QRQuietZone * m
	gp.SetFillColor(255, 255, 255)
	gp.RectFromUpperLeftWithStyle(x-q, y-q, side+2*q, side+2*q, "F")
	gp.SetFillColor(0, 0, 0)
	for _, r := range qrRects(modules) {
		gp.RectFromUpperLeftWithStyle(x+float64(r.x)*m, y+float64(r.y)*m, float64(r.w)*m, float64(r.h)*m, "F")
	}
}

type moduleRect struct{ x, y, w, h int }

// qrRects covers the dark modules with rectangles: each horizontal run of
// dark modules, extended downwards over the rows that repeat the same run.
// Fewer shapes means fewer anti-aliased seams where shapes meet.
func qrRects(modules [][]bool) []moduleRect {
	type run struct{ x, w int }
	open := map[run]int{} // run -> index in rects of the rectangle it extends
	var rects []moduleRect
	for y, row := range modules {
		next := map[run]int{}
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			r := run{start, x - start}
			if i, ok := open[r]; ok {
				rects[i].h++
				next[r] = i
			} else {
				next[r] = len(rects)
				rects = append(rects, moduleRect{start, y, x - start, 1})
			}
		}
		open = next
	}
	return rects
}
