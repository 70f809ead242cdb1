// Where a seal goes on the page: positions measured on the page as it is
// displayed (its crop box, turned by /Rotate), mapped into the page's
// default user space for the widget.

package seal

import (
	"fmt"

	"github.com/eseal-project/eseal/seal/pdf"
)

// visible is a page as displayed: width and height in points.
type visible struct {
	page pdf.Page
	w, h float64
}

func visibleOf(p pdf.Page) visible {
	cb := p.CropBox
	w, h := cb[2]-cb[0], cb[3]-cb[1]
	if p.Rotate == 90 || p.Rotate == 270 {
		w, h = h, w
	}
	return visible{page: p, w: w, h: h}
}

// toUser maps a point of the displayed page (origin bottom-left, y up) to
// the page's default user space.
func (v visible) toUser(vx, vy float64) (float64, float64) {
	x0, y0, x1, y1 := v.page.CropBox[0], v.page.CropBox[1], v.page.CropBox[2], v.page.CropBox[3]
	switch v.page.Rotate {
	case 90:
		return x1 - vy, y0 + vx
	case 180:
		return x1 - vx, y1 - vy
	case 270:
		return x0 + vy, y1 - vx
	}
	return x0 + vx, y0 + vy
}

// rect maps a displayed rectangle to a normalised user-space rectangle.
func (v visible) rect(llx, lly, urx, ury float64) [4]float64 {
	ax, ay := v.toUser(llx, lly)
	bx, by := v.toUser(urx, ury)
	return [4]float64{min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)}
}

// placeWidgets writes the seal picture and its appearance forms into the
// update and returns the widgets and the 1-based pages they are on.
func placeWidgets(r *pdf.Reader, u *pdf.Update, pages []pdf.Page, opts Options, field *pdf.EmptySigField) ([]pdf.Widget, []int, error) {
	p := opts.Placement
	if p.Invisible {
		return nil, nil, nil
	}
	d := opts.SizeMM * mm
	img := pdf.AddImage(u, opts.Picture)
	switch {
	case field != nil:
		// The field's box keeps its size; the seal, round, is centred in
		// it, as large as the box allows.
		pg := pages[field.Page]
		w, h := field.Rect[2]-field.Rect[0], field.Rect[3]-field.Rect[1]
		if pg.Rotate == 90 || pg.Rotate == 270 {
			w, h = h, w // the form is drawn upright on the displayed page
		}
		if w < 1 || h < 1 {
			return nil, nil, fmt.Errorf("%w: signature field %q has an empty box", ErrPlacement, field.Name)
		}
		d = min(d, w, h)
		form := pdf.AddImageForm(u, img, w, h, (w-d)/2, (h-d)/2, d, d, pg.Rotate)
		return []pdf.Widget{{Page: field.Page, Rect: field.Rect, Appearance: form}}, []int{field.Page + 1}, nil
	case p.CrossPage:
		n := len(pages)
		if n < 2 {
			return nil, nil, fmt.Errorf("%w: a cross-page seal needs at least 2 pages, the document has 1", ErrPlacement)
		}
		strip := d / float64(n)
		var ws []pdf.Widget
		var shown []int
		for i, pg := range pages {
			v := visibleOf(pg)
			cy := v.h / 2
			if p.Y != 0 {
				cy = p.Y * mm
				if p.Corner == TopLeft || p.Corner == TopRight {
					cy = v.h - cy
				}
			}
			if cy-d/2 < 0 || cy+d/2 > v.h {
				return nil, nil, fmt.Errorf("%w: the seal does not fit at that height on page %d", ErrPlacement, i+1)
			}
			form := pdf.AddImageForm(u, img, strip, d, -float64(i)*strip, 0, d, d, pg.Rotate)
			ws = append(ws, pdf.Widget{Page: i, Rect: v.rect(v.w-strip, cy-d/2, v.w, cy+d/2), Appearance: form})
			shown = append(shown, i+1)
		}
		return ws, shown, nil
	case p.Anchor != "":
		idx, x, y, err := findAnchor(r, pages, p.Anchor)
		if err != nil {
			return nil, nil, err
		}
		pg := pages[idx]
		form := pdf.AddImageForm(u, img, d, d, 0, 0, d, d, pg.Rotate)
		// x, y are in user space already.
		rect := [4]float64{x - d/2, y - d/2, x + d/2, y + d/2}
		return []pdf.Widget{{Page: idx, Rect: rect, Appearance: form}}, []int{idx + 1}, nil
	}
	idx := p.Page - 1
	if p.Page == 0 {
		idx = len(pages) - 1
	}
	if idx < 0 || idx >= len(pages) {
		return nil, nil, fmt.Errorf("%w: page %d does not exist (the document has %d)", ErrPlacement, p.Page, len(pages))
	}
	pg := pages[idx]
	v := visibleOf(pg)
	cx, cy := p.X*mm, p.Y*mm
	switch p.Corner {
	case BottomRight:
		cx = v.w - cx
	case TopLeft:
		cy = v.h - cy
	case TopRight:
		cx, cy = v.w-cx, v.h-cy
	}
	if p.X == 0 && p.Y == 0 { // no position given: lower right, like a signature block
		cx, cy = v.w-d/2-25*mm, d/2+30*mm
	}
	if cx-d/2 < -0.5 || cy-d/2 < -0.5 || cx+d/2 > v.w+0.5 || cy+d/2 > v.h+0.5 {
		return nil, nil, fmt.Errorf("%w: a %.0f mm seal centred %.1f mm, %.1f mm from the %s corner does not fit on page %d (%.0f × %.0f mm)",
			ErrPlacement, opts.SizeMM, p.X, p.Y, cornerName(p.Corner), idx+1, v.w/mm, v.h/mm)
	}
	form := pdf.AddImageForm(u, img, d, d, 0, 0, d, d, pg.Rotate)
	return []pdf.Widget{{Page: idx, Rect: v.rect(cx-d/2, cy-d/2, cx+d/2, cy+d/2), Appearance: form}}, []int{idx + 1}, nil
}

func cornerName(c Corner) string {
	switch c {
	case BottomRight:
		return "bottom-right"
	case TopLeft:
		return "top-left"
	case TopRight:
		return "top-right"
	}
	return "bottom-left"
}
