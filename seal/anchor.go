package seal

import (
	"fmt"

	"github.com/eseal-project/eseal/seal/pdf"
)

// findAnchor finds the first page showing text and returns the page index
// and the text's centre in that page's user space.
func findAnchor(r *pdf.Reader, pages []pdf.Page, text string) (int, float64, float64, error) {
	for i, p := range pages {
		x, y, ok, err := r.FindText(p, text)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("page %d: reading text: %w", i+1, err)
		}
		if ok {
			return i, x, y, nil
		}
	}
	return 0, 0, 0, fmt.Errorf("%w: %q appears on none of the %d pages (or the pages' text cannot be extracted)", ErrAnchor, text, len(pages))
}
