package appearance

// Seal images from outside (a scanned or designed PNG), PNG encoding, and
// strips for cross-page seals.

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"io"
	"os"
)

// ErrInvalidImage reports a seal image that cannot be used; the error text
// says why.
var ErrInvalidImage = errors.New("appearance: unusable seal image")

// Limits on images loaded by LoadPNG.
const (
	// DefaultMaxPNGBytes is LoadPNG's file size limit when none is given.
	DefaultMaxPNGBytes = 8 << 20
	MinImagePx         = 32
	MaxImagePx         = 4096
)

// EncodePNG encodes img as PNG. It uses the default compression: the best
// one saves about 5% on a seal and takes twenty times as long.
func EncodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("appearance: encoding PNG: %w", err)
	}
	return buf.Bytes(), nil
}

// LoadPNG reads a seal image from a PNG file of at most maxBytes (0 means
// DefaultMaxPNGBytes) and returns it as NRGBA with its origin at (0, 0). The
// dimensions are checked before the pixels are decoded, so a small file that
// claims a huge image is refused cheaply.
func LoadPNG(path string, maxBytes int64) (*image.NRGBA, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxPNGBytes
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("appearance: seal image: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("appearance: seal image %s: %w", path, err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrInvalidImage, path, maxBytes)
	}
	img, err := DecodePNG(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// DecodePNG is LoadPNG for bytes already in memory (an upload).
func DecodePNG(data []byte) (*image.NRGBA, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: not a PNG file: %v", ErrInvalidImage, err)
	}
	if cfg.Width < MinImagePx || cfg.Height < MinImagePx || cfg.Width > MaxImagePx || cfg.Height > MaxImagePx {
		return nil, fmt.Errorf("%w: %d×%d px; a seal image must be %d..%d px on each side", ErrInvalidImage, cfg.Width, cfg.Height, MinImagePx, MaxImagePx)
	}
	if r := float64(cfg.Width) / float64(cfg.Height); r > 4 || r < 0.25 {
		return nil, fmt.Errorf("%w: %d×%d px is too elongated for a seal (at most 4:1)", ErrInvalidImage, cfg.Width, cfg.Height)
	}
	src, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: corrupt PNG: %v", ErrInvalidImage, err)
	}
	return toNRGBA(src), nil
}

func toNRGBA(src image.Image) *image.NRGBA {
	b := src.Bounds()
	if n, ok := src.(*image.NRGBA); ok && b.Min == (image.Point{}) {
		return n
	}
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), src, b.Min, draw.Src)
	return dst
}

// WhiteToAlpha returns a copy of img with the white paper made transparent,
// for a seal scanned or drawn on white: each pixel becomes the most
// transparent colour that gives the same pixel when laid over white (GIMP's
// "colour to alpha"). Pure white goes fully transparent, the ink keeps its
// hue, and the anti-aliased or faded edges of the ink become partly
// transparent instead of pinkish. Pixels already transparent stay so.
func WhiteToAlpha(img *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(img.Rect)
	copy(out.Pix, img.Pix)
	b := img.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := out.Pix[out.PixOffset(b.Min.X, y):out.PixOffset(b.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			p := row[i : i+4 : i+4]
			// Distance from white per channel; alpha is the largest.
			dr, dg, db := 255-int(p[0]), 255-int(p[1]), 255-int(p[2])
			a := max(dr, dg, db)
			if a <= 2 || p[3] == 0 {
				p[0], p[1], p[2], p[3] = 0, 0, 0, 0
				continue
			}
			// c = 255 - (255-c)/alpha, alpha in 0..1.
			p[0] = uint8(255 - (dr*255+a/2)/a)
			p[1] = uint8(255 - (dg*255+a/2)/a)
			p[2] = uint8(255 - (db*255+a/2)/a)
			p[3] = uint8((a*int(p[3]) + 127) / 255)
		}
	}
	return out
}

// Strips cuts img into n vertical strips of (nearly) equal width, left to
// right, for a cross-page seal (骑缝章): strip i is stamped on the right
// edge of page i, so that the pages laid side by side show the whole seal.
// Widths differ by at most one pixel and add up to img's width; each strip
// is a copy with its origin at (0, 0). Strips returns nil when n is less
// than 1 or more than the image is wide.
func Strips(img *image.NRGBA, n int) []*image.NRGBA {
	b := img.Bounds()
	w := b.Dx()
	if n < 1 || n > w {
		return nil
	}
	out := make([]*image.NRGBA, n)
	for i := range out {
		x0, x1 := b.Min.X+i*w/n, b.Min.X+(i+1)*w/n
		s := image.NewNRGBA(image.Rect(0, 0, x1-x0, b.Dy()))
		draw.Draw(s, s.Bounds(), img, image.Pt(x0, b.Min.Y), draw.Src)
		out[i] = s
	}
	return out
}
