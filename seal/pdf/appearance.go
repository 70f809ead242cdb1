// Appearance streams for signature widgets: the seal picture as an image
// XObject with a soft mask (its transparency) drawn by a form XObject
// (ISO 32000-1 8.9 images, 11.6.5.3 soft-mask images, 12.5.5 appearance
// streams).

package pdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"image"
	"sync"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// compressedImage is an image's colour and alpha planes, Flate-compressed.
type compressedImage struct {
	w, h       int
	rgb, alpha []byte // compressed
	opaque     bool
}

// imageCache keeps the compressed planes of recent seal pictures: a
// department stamps with the same picture all day, and compressing it is
// most of the work of a stamp.
// Pictures are keyed by identity: a picture must not be changed in place
// once stamped with.
var imageCache struct {
	sync.Mutex
	m map[*image.NRGBA]*compressedImage
}

// AddImage writes img as an RGB image XObject with its alpha channel as a
// soft mask, and returns the image's reference.
func AddImage(u *Update, img *image.NRGBA) Ref {
	ci := compressImage(img)
	d := types.Dict{
		"Type":             types.Name("XObject"),
		"Subtype":          types.Name("Image"),
		"Width":            types.Integer(ci.w),
		"Height":           types.Integer(ci.h),
		"ColorSpace":       types.Name("DeviceRGB"),
		"BitsPerComponent": types.Integer(8),
		"Filter":           types.Name("FlateDecode"),
	}
	if !ci.opaque {
		mask := u.AddStream(types.Dict{
			"Type":             types.Name("XObject"),
			"Subtype":          types.Name("Image"),
			"Width":            types.Integer(ci.w),
			"Height":           types.Integer(ci.h),
			"ColorSpace":       types.Name("DeviceGray"),
			"BitsPerComponent": types.Integer(8),
			"Filter":           types.Name("FlateDecode"),
		}, ci.alpha)
		d["SMask"] = mask.IndirectRef()
	}
	return u.AddStream(d, ci.rgb)
}

func compressImage(img *image.NRGBA) *compressedImage {
	key := img
	imageCache.Lock()
	if ci, ok := imageCache.m[key]; ok && ci.w == img.Rect.Dx() && ci.h == img.Rect.Dy() {
		imageCache.Unlock()
		return ci
	}
	imageCache.Unlock()
	rgb, alpha, opaque := imagePlanes(img)
	ci := &compressedImage{w: img.Rect.Dx(), h: img.Rect.Dy(), rgb: deflate(rgb), alpha: deflate(alpha), opaque: opaque}
	imageCache.Lock()
	if imageCache.m == nil || len(imageCache.m) >= 16 {
		imageCache.m = map[*image.NRGBA]*compressedImage{}
	}
	imageCache.m[key] = ci
	imageCache.Unlock()
	return ci
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	w, _ := zlib.NewWriterLevel(&out, zlib.DefaultCompression)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// imagePlanes splits img into its colour and alpha planes.
func imagePlanes(img *image.NRGBA) (rgb, alpha []byte, opaque bool) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	rgb = make([]byte, 0, w*h*3)
	alpha = make([]byte, 0, w*h)
	opaque = true
	// Fully transparent pixels take the picture's ink colour, so that a
	// viewer interpolating colour and mask separately draws no dark fringe.
	var sum [3]int
	count := 0
	for i := 0; i+3 < len(img.Pix); i += 4 {
		if img.Pix[i+3] > 128 {
			sum[0] += int(img.Pix[i])
			sum[1] += int(img.Pix[i+1])
			sum[2] += int(img.Pix[i+2])
			count++
		}
	}
	ink := [3]byte{255, 255, 255}
	if count > 0 {
		ink = [3]byte{byte(sum[0] / count), byte(sum[1] / count), byte(sum[2] / count)}
	}
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			p := row[4*x : 4*x+4]
			if p[3] == 0 {
				rgb = append(rgb, ink[0], ink[1], ink[2])
			} else {
				rgb = append(rgb, p[0], p[1], p[2])
			}
			alpha = append(alpha, p[3])
			if p[3] != 255 {
				opaque = false
			}
		}
	}
	return rgb, alpha, opaque
}

// AddImageForm writes a form XObject of size w×h (points) that draws the
// image scaled to (imgW×imgH) with its lower-left corner at (dx, dy) in the
// form's space, clipped to the form's bounding box: with dx < 0 a form
// shows a vertical strip of a wider picture (for cross-page seals). rotate
// (0, 90, 180, 270) is the page's /Rotate: the form is turned against it so
// that the picture stands upright on the displayed page.
func AddImageForm(u *Update, image Ref, w, h, dx, dy, imgW, imgH float64, rotate int) Ref {
	content := fmt.Sprintf("q 0 0 %s %s re W n %s 0 0 %s %s %s cm /Im0 Do Q", num(w), num(h), num(imgW), num(imgH), num(dx), num(dy))
	d := types.Dict{
		"Type":      types.Name("XObject"),
		"Subtype":   types.Name("Form"),
		"BBox":      types.NewNumberArray(0, 0, w, h),
		"Resources": types.Dict{"XObject": types.Dict{"Im0": image.IndirectRef()}},
	}
	switch rotate {
	case 90:
		d["Matrix"] = types.NewNumberArray(0, 1, -1, 0, 0, 0)
	case 180:
		d["Matrix"] = types.NewNumberArray(-1, 0, 0, -1, 0, 0)
	case 270:
		d["Matrix"] = types.NewNumberArray(0, -1, 1, 0, 0, 0)
	}
	return u.AddStream(d, []byte(content))
}

// num formats a number for content streams: no exponent, few digits.
func num(f float64) string {
	s := fmt.Sprintf("%.4f", f)
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if s == "-0" {
		s = "0"
	}
	return s
}
