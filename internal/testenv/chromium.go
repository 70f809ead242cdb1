package testenv

// Headless Chromium for tests that must see a page as a browser lays it out:
// screenshots, horizontal scrolling on a phone, computed styles, and the
// requests a page makes. It drives Chromium over the DevTools protocol with
// github.com/chromedp/chromedp, through a pipe (no debugging port is opened).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Time limits. Chromium usually starts in under two seconds; a loaded CI
// machine can take much longer on the first start (font cache).
const (
	chromiumStartTimeout  = 90 * time.Second
	chromiumActionTimeout = 30 * time.Second
)

// Chromium returns the path of the Chromium executable: $ESEAL_CHROMIUM if
// set, else the first of chromium, chromium-browser, google-chrome-stable
// and google-chrome on PATH. It fails under CI or skips the test when there
// is none.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ESEAL_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("ESEAL_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, "chromium", "apt-get install chromium")
	return ""
}

// Viewport is the screen a page is shown on, in CSS pixels.
type Viewport struct {
	Width, Height int
	Scale         float64 // device pixels per CSS pixel; 0 means 1
	Mobile        bool    // emulate a phone: meta viewport, touch, overlay scroll bars
}

// Phone is a common phone screen (iPhone 12 to 15): 390×844 at 3×.
var Phone = Viewport{Width: 390, Height: 844, Scale: 3, Mobile: true}

// Browser is a headless Chromium that lives until the test that started it
// ends. Its pages (tabs) may be opened from subtests.
type Browser struct {
	ctx context.Context
	out *lockedBuffer // the browser's stdout and stderr, for failures
}

// StartChromium starts a headless Chromium with a fresh profile, without
// network side channels (no background networking, component updates,
// sync or QUIC), and stops it when t ends.
func StartChromium(t testing.TB) *Browser {
	t.Helper()
	path := Chromium(t)
	profile := t.TempDir() // removed after the browser has stopped (cleanups run last-in first-out)
	out := new(lockedBuffer)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox, // tests run as root in containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.CombinedOutput(out),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		// Close the browser gracefully, then make sure the process is gone
		// before the profile directory is removed.
		chromedp.Cancel(ctx)
		cancel()
		cancelAlloc()
	})

	// The first action starts the browser, and the browser lives as long as
	// the context of that action, so it cannot carry a timeout: a watchdog
	// kills a browser that does not come up.
	start := time.Now()
	watchdog := time.AfterFunc(chromiumStartTimeout, cancelAlloc)
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`1`))
	if !watchdog.Stop() {
		err = fmt.Errorf("not started after %v (%v)", chromiumStartTimeout, err)
	}
	if err != nil {
		t.Fatalf("starting %s: %v\n%s", path, err, out.String())
	}
	t.Logf("chromium %s started in %v", path, time.Since(start).Round(time.Millisecond))
	return &Browser{ctx: ctx, out: out}
}

// Page is a tab of a Browser showing one URL.
type Page struct {
	t   testing.TB
	b   *Browser
	ctx context.Context
	vp  Viewport

	mu       sync.Mutex
	requests []string
}

// Open opens url in a new tab with the viewport vp, waits until the page has
// loaded and returns it. The tab closes when t ends. Every request the page
// makes is recorded (see Requests).
func (b *Browser) Open(t testing.TB, url string, vp Viewport) *Page {
	t.Helper()
	if vp.Scale == 0 {
		vp.Scale = 1
	}
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	p := &Page{t: t, b: b, ctx: ctx, vp: vp}
	if err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*network.EventRequestWillBeSent); ok && ev.Request != nil {
			p.mu.Lock()
			p.requests = append(p.requests, ev.Request.URL)
			p.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("chromium: opening a tab: %v\n%s", err, b.out.String())
	}
	emulate := []chromedp.EmulateViewportOption{chromedp.EmulateScale(vp.Scale), chromedp.EmulatePortrait}
	if vp.Mobile {
		emulate = append(emulate, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	p.do("load "+url,
		chromedp.EmulateViewport(int64(vp.Width), int64(vp.Height), emulate...),
		chromedp.Navigate(url),
	)
	return p
}

// do runs actions on the tab under the action time limit, failing the test
// on error.
func (p *Page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, chromiumActionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("chromium: %s: %v\n%s", what, err, p.b.out.String())
	}
}

// Eval evaluates a JavaScript expression in the page through the DevTools
// protocol (the page's own Content-Security-Policy does not apply) and
// decodes its JSON value into out.
func (p *Page) Eval(expr string, out any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, chromiumActionTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr))
	if err != nil {
		p.t.Fatalf("chromium: evaluating %s: %v", expr, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		p.t.Fatalf("chromium: evaluating %s: decoding %s: %v", expr, raw, err)
	}
}

// Layout is what a reader of the page sees, in CSS pixels.
type Layout struct {
	Width        int    // the emulated screen width (Viewport.Width)
	InnerWidth   int    // window.innerWidth: the layout viewport, wider than Width when the page has no <meta name="viewport">
	ScrollWidth  int    // document.documentElement.scrollWidth
	ScrollHeight int    // document.documentElement.scrollHeight
	Text         string // document.body.innerText: the text as rendered
}

// ScrollsSideways reports whether the page is wider than the screen, so
// that a phone reader would have to scroll or zoom out to read it.
func (l Layout) ScrollsSideways() bool {
	return l.ScrollWidth > l.Width || l.InnerWidth > l.Width
}

// Layout measures the page.
func (p *Page) Layout() Layout {
	p.t.Helper()
	var l Layout
	p.Eval(`({
		InnerWidth: window.innerWidth,
		ScrollWidth: document.documentElement.scrollWidth,
		ScrollHeight: document.documentElement.scrollHeight,
		Text: document.body ? document.body.innerText : ""
	})`, &l)
	l.Width = p.vp.Width
	return l
}

// ComputedStyle returns the computed value of a CSS property of the first
// element that matches selector, e.g. ComputedStyle("#status", "font-size")
// is "40px". It fails the test when nothing matches.
func (p *Page) ComputedStyle(selector, property string) string {
	p.t.Helper()
	sel, _ := json.Marshal(selector)
	prop, _ := json.Marshal(property)
	var v *string
	p.Eval(fmt.Sprintf(`(() => { const e = document.querySelector(%s); return e ? getComputedStyle(e).getPropertyValue(%s) : null })()`, sel, prop), &v)
	if v == nil {
		p.t.Fatalf("chromium: no element matches %s", selector)
	}
	return *v
}

// Fonts returns the families of the platform fonts that rendered the text
// of the first element matching selector, most glyphs first: what the reader
// really sees, which the CSS font-family list alone does not tell.
func (p *Page) Fonts(selector string) []string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, chromiumActionTimeout)
	defer cancel()
	doc, err := chromedp.Call(ctx, dom.GetDocument, dom.GetDocumentParams{})
	if err != nil {
		p.t.Fatalf("chromium: DOM.getDocument: %v", err)
	}
	node, err := chromedp.Call(ctx, dom.QuerySelector, dom.QuerySelectorParams{NodeID: doc.Root.NodeID, Selector: selector})
	if err != nil || node.NodeID == 0 {
		p.t.Fatalf("chromium: no element matches %s (%v)", selector, err)
	}
	res, err := chromedp.Call(ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: node.NodeID})
	if err != nil {
		p.t.Fatalf("chromium: CSS.getPlatformFontsForNode(%s): %v", selector, err)
	}
	sort.SliceStable(res.Fonts, func(i, j int) bool { return res.Fonts[i].GlyphCount > res.Fonts[j].GlyphCount })
	var fonts []string
	for _, f := range res.Fonts {
		fonts = append(fonts, f.FamilyName)
	}
	return fonts
}

// Requests returns the URLs the page has requested so far, the page itself
// first.
func (p *Page) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// Screenshot captures what the screen shows (the viewport, at the
// viewport's scale) as PNG, writes it to each of paths, creating their
// directories, and returns it.
func (p *Page) Screenshot(paths ...string) []byte {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, chromiumActionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("chromium: screenshot: %v", err)
	}
	for _, path := range paths {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			p.t.Fatal(err)
		}
		if err := os.WriteFile(path, png, 0o644); err != nil {
			p.t.Fatal(err)
		}
	}
	return png
}

// Screenshot is the one-call form: it starts Chromium, opens url on a
// width×height screen (at 3× on a phone-sized screen, 1× otherwise), saves
// the screenshot to out and returns the page's layout.
func Screenshot(t testing.TB, url string, width, height int, out string) Layout {
	t.Helper()
	vp := Viewport{Width: width, Height: height, Scale: 1}
	if width <= 480 {
		vp.Scale, vp.Mobile = 3, true
	}
	p := StartChromium(t).Open(t, url, vp)
	p.Screenshot(out)
	return p.Layout()
}

// lockedBuffer keeps the last 64 KiB a browser wrote.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		keep := append([]byte(nil), l.b.Bytes()[l.b.Len()-32<<10:]...)
		l.b.Reset()
		l.b.Write(keep)
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() == 0 {
		return ""
	}
	return "chromium output:\n" + strings.TrimSpace(l.b.String())
}
