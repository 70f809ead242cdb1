package page

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/eseal-project/eseal/internal/testenv"
)

// TestChromium shows the page in headless Chromium, started once for all
// the subtests because starting it takes seconds.
func TestChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Chromium")
	}
	browser := testenv.StartChromium(t)
	t.Run("phone", func(t *testing.T) { testPhone(t, browser) })
	t.Run("long", func(t *testing.T) { testLong(t, browser) })
	t.Run("csp", func(t *testing.T) { testCSP(t, browser) })
}

// testPhone opens the page on a 390×844 phone screen and checks what a
// citizen sees: no sideways scrolling, the verdict in large coloured type
// and in a Chinese font, and no request besides the page. The screenshots
// are kept in testdata/ for review.
func testPhone(t *testing.T, browser *testenv.Browser) {

	valid := companyView(StatusValid)
	revoked := personView(StatusRevoked)
	revoked.Identifier = testID + ".REVOKED" // longer than the screen is wide
	revoked.Reason = "该证照已被颁发机构吊销（吊销决定书 浦市监案〔2026〕第0123号）"
	reg := &registry{views: map[string]View{"valid": valid, "revoked": revoked}}
	srv := newServer(t, reg)

	for _, tt := range []struct {
		id, word, color string
	}{
		{"valid", "有效", "rgb(22, 140, 63)"},
		{"revoked", "已吊销", "rgb(207, 19, 34)"},
	} {
		t.Run(tt.id, func(t *testing.T) {
			url := srv.URL + "/v/" + tt.id
			p := browser.Open(t, url, testenv.Phone)

			png := filepath.Join(t.TempDir(), "page-"+tt.id+".png")
			keep := filepath.Join("testdata", "page-"+tt.id+".png")
			shot := p.Screenshot(png, keep)
			if len(shot) > 300<<10 {
				t.Errorf("screenshot is %d KB, more than 300 KB", len(shot)>>10)
			}
			t.Logf("screenshot %s (%d KB)", keep, len(shot)>>10)

			l := p.Layout()
			if l.ScrollsSideways() {
				t.Errorf("page scrolls sideways: scrollWidth %d, innerWidth %d on a %d-pixel screen", l.ScrollWidth, l.InnerWidth, l.Width)
			}
			if l.ScrollHeight > testenv.Phone.Height {
				t.Logf("page is %d pixels tall, more than the %d-pixel screen", l.ScrollHeight, testenv.Phone.Height)
			}
			for _, want := range []string{tt.word, "核验时间：", "证照标识：", testService, "SM2"} {
				if !strings.Contains(l.Text, want) {
					t.Errorf("rendered text lacks %q:\n%s", want, l.Text)
				}
			}
			var status string
			p.Eval(`document.getElementById("status").innerText`, &status)
			if status != tt.word {
				t.Errorf("status reads %q, want %q", status, tt.word)
			}

			size := p.ComputedStyle("#status", "font-size")
			if px, err := strconv.ParseFloat(strings.TrimSuffix(size, "px"), 64); err != nil || px < 28 {
				t.Errorf("status font size is %s, want at least 28px (is the style blocked by the CSP?)", size)
			}
			if c := p.ComputedStyle("#status", "color"); c != tt.color {
				t.Errorf("status colour is %s, want %s", c, tt.color)
			}

			fonts := p.Fonts("#status")
			if len(fonts) == 0 || !isCJKFont(fonts[0]) {
				t.Errorf("status is drawn in %q, not a Chinese font: is fonts-noto-cjk or fonts-wqy-microhei installed?", fonts)
			}

			for _, r := range p.Requests() {
				if r != url {
					t.Errorf("page requested %s", r)
				}
			}
		})
	}
}

// testLong fills every field with text that has nowhere to break: the page
// must still fit the screen.
func testLong(t *testing.T, browser *testenv.Browser) {
	long := strings.Repeat("W", 150)
	v := personView(StatusReplaced)
	v.HolderCodeKind = HolderUSCC
	v.LicenseName, v.Number, v.Issuer, v.HolderName, v.HolderCode = long, long, long, long, long
	v.Reason, v.ReplacedBy, v.Identifier, v.Service = long, long, long, long
	v.LicenseName = strings.Repeat("中华人民共和国", 12)
	srv := newServer(t, &registry{views: map[string]View{"long": v}})
	p := browser.Open(t, srv.URL+"/v/long", testenv.Phone)
	if l := p.Layout(); l.ScrollsSideways() {
		p.Screenshot(filepath.Join(t.TempDir(), "page-long.png"))
		t.Errorf("page scrolls sideways: scrollWidth %d, innerWidth %d on a %d-pixel screen", l.ScrollWidth, l.InnerWidth, l.Width)
	}
}

func isCJKFont(family string) bool {
	for _, f := range []string{"Noto Sans CJK", "Source Han Sans", "WenQuanYi", "PingFang", "Droid Sans Fallback"} {
		if strings.Contains(family, f) {
			return true
		}
	}
	return false
}

// testCSP checks that the browser enforces the policy: the page's own style
// applies, and a style element that is not the page's does not.
func testCSP(t *testing.T, browser *testenv.Browser) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w.Header())
		page := render(t, companyView(StatusValid))
		// An injected style (as if escaping had failed) must be refused.
		page = strings.Replace(page, "</head>", "<style>#status{font-size:5px}</style></head>", 1)
		w.Write([]byte(page))
	}))
	defer srv.Close()
	p := browser.Open(t, srv.URL, testenv.Phone)
	if size := p.ComputedStyle("#status", "font-size"); size != "40px" {
		t.Errorf("status font size is %s, want 40px: the injected style applied, or the page's own was refused", size)
	}
}
