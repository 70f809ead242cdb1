package page

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Errors a Lookup returns for what the page must answer differently.
var (
	ErrNotFound = errors.New("page: license not found")    // 404, 未找到该证照
	ErrBadID    = errors.New("page: malformed license id") // 400, 链接无效
)

// Lookup finds and checks the license that id names: it verifies its SM2
// signature and status and returns the view to show, with the holder
// already masked. A license whose signature does not verify is a View with
// StatusUnverifiable, not an error. Other errors than ErrNotFound and
// ErrBadID are answered with 500 and are logged, not shown.
type Lookup func(ctx context.Context, id string) (View, error)

// maxIDLen bounds the id in the link. A GB/T 36904 identifier with a
// UUID serial is about 100 characters; registries store them in 128.
const maxIDLen = 128

// Handler serves the verification page at GET /v/{id}. It runs lookup on
// every request (the page is never cached) and names service in the footer
// when the view does not.
//
// It can be registered with a pattern that has an {id} wildcard
// (mux.Handle("GET /v/{id}", h)) or mounted on a prefix
// (mux.Handle("/v/", h)), in which case the id is what follows "/v/".
func Handler(lookup Lookup, service string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			serveNotice(w, http.StatusMethodNotAllowed, "请求无效", "请直接在浏览器中打开核验链接", service)
			return
		}
		id, ok := idOf(r)
		if !ok {
			serveNotice(w, http.StatusBadRequest, "链接无效", "核验链接格式不正确，请重新扫描证照上的二维码", service)
			return
		}
		v, err := lookup(r.Context(), id)
		code := http.StatusOK
		switch {
		case err == nil:
		case errors.Is(err, ErrBadID):
			serveNotice(w, http.StatusBadRequest, "链接无效", "核验链接格式不正确，请重新扫描证照上的二维码", service)
			return
		case errors.Is(err, ErrNotFound):
			code = http.StatusNotFound
			v = View{Status: StatusUnverifiable, Reason: "未找到该证照，请勿采信", Identifier: identifierOf(id)}
		default:
			slog.ErrorContext(r.Context(), "verification page: lookup failed", "id", id, "err", err)
			code = http.StatusInternalServerError
			v = View{Status: StatusUnverifiable, Reason: "核验服务暂时出现故障，请稍后再试"}
		}
		if v.CheckedAt.IsZero() {
			v.CheckedAt = time.Now()
		}
		if v.Service == "" {
			v.Service = service
		}
		serve(w, code, func(b *bytes.Buffer) error { return Render(b, v) })
	})
}

// idOf returns the id of the request, from the {id} wildcard or else from
// the path after "/v/", and whether it is well formed: 1 to 128 letters,
// digits, '.', '-' or '_' (GB/T 36904 identifiers and URL-safe tokens).
func idOf(r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if id == "" {
		id = r.URL.Path
		if i := strings.Index(id, "/v/"); i >= 0 {
			id = id[i+len("/v/"):]
		} else {
			id = strings.TrimPrefix(id, "/")
		}
	}
	if id == "" || len(id) > maxIDLen {
		return id, false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '-' || c == '_') {
			return id, false
		}
	}
	return id, true
}

// identifierOf returns id if it is written as a GB/T 36904 identifier, so
// that a "not found" page says which license was asked for; an opaque token
// is not repeated.
func identifierOf(id string) string {
	if strings.HasPrefix(id, "1.2.156.3005.2.") {
		return id
	}
	return ""
}

func serveNotice(w http.ResponseWriter, code int, word, why, service string) {
	serve(w, code, func(b *bytes.Buffer) error { return renderNotice(b, word, why, service) })
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// serve renders the page in full before writing anything, so that a failed
// render is a clean 500 and never half a page.
func serve(w http.ResponseWriter, code int, render func(*bytes.Buffer) error) {
	b := buffers.Get().(*bytes.Buffer)
	defer func() {
		b.Reset()
		buffers.Put(b)
	}()
	h := w.Header()
	setHeaders(h)
	if err := render(b); err != nil {
		slog.Error("verification page: render failed", "err", err)
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("核验服务暂时出现故障，请稍后再试\n"))
		return
	}
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

// setHeaders sets the headers of every answer: the page is personal (never
// stored or indexed), must not be framed, sniffed or leak its URL, and may
// load nothing.
func setHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Robots-Tag", "noindex, nofollow")
}
