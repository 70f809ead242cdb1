// Package page renders the citizen verification page (GET /v/{id}), the page
// a phone opens when it scans the QR code printed on an electronic license.
//
// The page is plain HTML in Chinese, sized for a phone, with inline CSS and
// no script, font, image or any other request: it must open on any phone
// browser, and a strict Content-Security-Policy lets the browser enforce
// that. It shows what the verification engine concluded (View), with the
// holder masked; it decides nothing itself.
package page

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/eseal-project/eseal/license/ids"
)

// Status is the verdict shown in large coloured text.
type Status string

// The statuses of a license as the page shows them.
const (
	StatusValid        Status = "valid"        // 有效
	StatusSuspended    Status = "suspended"    // 已暂扣
	StatusRevoked      Status = "revoked"      // 已吊销
	StatusCancelled    Status = "cancelled"    // 已注销
	StatusExpired      Status = "expired"      // 已过期
	StatusReplaced     Status = "replaced"     // 已换发 (View.ReplacedBy names the new license)
	StatusUnverifiable Status = "unverifiable" // 无法核验: bad signature, unknown license, or an unknown Status
)

// Kinds of holder code (View.HolderCodeKind), spelled as in license/ids.
const (
	HolderCitizenID = "citizen_id" // 公民身份号码 (GB 11643-1999)
	HolderUSCC      = "uscc"       // 统一社会信用代码 (GB 32100-2015)
)

// View is what the page shows about one license. Every string is shown as
// given, HTML-escaped, except that Render masks what must never appear in
// full (see Render). Empty fields are left out of the page.
type View struct {
	LicenseName string // 证照名称, e.g. 营业执照
	Number      string // 证照编号 as printed on the license
	Identifier  string // GB/T 36904 电子证照标识
	Issuer      string // 颁发机构

	// HolderName and HolderCode must already be masked by the caller for a
	// person (MaskName, MaskCitizenID); a company's name and USCC are public
	// and may be shown in full. HolderCodeKind is HolderCitizenID, HolderUSCC
	// or empty.
	HolderName     string
	HolderCode     string
	HolderCodeKind string

	IssueDate time.Time // 发证日期
	ValidFrom time.Time // 有效期起; zero means from IssueDate
	ValidTo   time.Time // 有效期止; zero means 长期 (no end)

	Status     Status
	Reason     string // one line under the status; empty for the default wording
	ReplacedBy string // identifier of the new license when Status is StatusReplaced

	CheckedAt time.Time // when the license was checked; shown in Beijing time
	Service   string    // the verifying service, named in the footer
}

// beijing is China Standard Time. A fixed zone, so that the page needs no
// tzdata on the server.
var beijing = time.FixedZone("CST", 8*60*60)

// statusText is how each status reads on the page.
type statusText struct {
	word  string // the verdict, in large type
	class string // CSS class that colours it
	why   string // default one-line explanation
}

var statuses = map[Status]statusText{
	StatusValid:        {"有效", "s-valid", "证照签名校验通过，该证照现行有效"},
	StatusSuspended:    {"已暂扣", "s-suspended", "该证照已被颁发机构暂扣，暂停使用"},
	StatusRevoked:      {"已吊销", "s-revoked", "该证照已被颁发机构吊销"},
	StatusCancelled:    {"已注销", "s-cancelled", "该证照已被注销"},
	StatusExpired:      {"已过期", "s-expired", "该证照已超过有效期"},
	StatusReplaced:     {"已换发", "s-replaced", "该证照已换发新证，请以新证照为准"},
	StatusUnverifiable: {"无法核验", "s-unverifiable", "证照数据签名校验失败，请勿采信"},
}

func textOf(s Status) statusText {
	if t, ok := statuses[s]; ok {
		return t
	}
	// An unknown verdict must never read as valid.
	return statuses[StatusUnverifiable]
}

// pageData is what the template sees: every string final, already masked.
type pageData struct {
	Title string
	Style template.CSS

	Notice  bool // a bare message (bad link) instead of a license
	Word    string
	Class   string
	Why     string
	Caution bool // the details below are not verified

	LicenseName string
	Rows        []row
	Valid       *period // 有效期, after the rows
	ReplacedBy  string
	CheckedAt   string
	Identifier  string
	Service     string
}

type row struct{ Label, Value string }

type period struct{ From, To string }

// Render writes the page for v.
//
// As a last line of defence against a caller that forgets to mask, Render
// masks the holder with MaskName and MaskCitizenID when HolderCodeKind is
// HolderCitizenID (both are idempotent, so masked input is unchanged), and
// masks anything in any field that may be a full 18-character citizen
// identity number (ids.FindCitizenID).
func Render(w io.Writer, v View) error {
	return tmpl.Execute(w, dataOf(v))
}

func dataOf(v View) *pageData {
	st := textOf(v.Status)
	d := &pageData{
		Style:       template.CSS(style),
		Word:        st.word,
		Class:       st.class,
		Why:         st.why,
		Caution:     st.class == "s-unverifiable",
		LicenseName: clean(v.LicenseName),
		Identifier:  clean(v.Identifier),
		Service:     clean(v.Service),
	}
	if r := clean(v.Reason); r != "" {
		d.Why = r
	}
	d.Title = "证照核验结果：" + d.Word
	if v.Status == StatusReplaced {
		d.ReplacedBy = clean(v.ReplacedBy)
	}
	if !v.CheckedAt.IsZero() {
		d.CheckedAt = v.CheckedAt.In(beijing).Format("2006-01-02 15:04:05") + " (北京时间)"
	}

	name, code := v.HolderName, v.HolderCode
	nameLabel, codeLabel := "持证主体", "主体代码"
	switch v.HolderCodeKind {
	case HolderCitizenID:
		name, code = MaskName(name), MaskCitizenID(code)
		nameLabel, codeLabel = "持证人", "身份证号"
	case HolderUSCC:
		codeLabel = "信用代码"
	}
	d.add("颁发机构", v.Issuer)
	d.add("证照编号", v.Number)
	d.add(nameLabel, name)
	d.add(codeLabel, code)
	if !v.IssueDate.IsZero() {
		d.add("发证日期", date(v.IssueDate))
	}
	if from, to, ok := validity(v); ok {
		d.Valid = &period{clean(from), clean(to)}
	}
	return d
}

func (d *pageData) add(label, value string) {
	if value = clean(value); value != "" {
		d.Rows = append(d.Rows, row{label, value})
	}
}

// clean trims s and masks any citizen identity number in it
// (ids.MaskCitizenIDsIn).
func clean(s string) string { return ids.MaskCitizenIDsIn(strings.TrimSpace(s)) }

func date(t time.Time) string { return t.In(beijing).Format("2006年01月02日") }

// validity is 有效期 as printed on Chinese licenses, "起 至 止", where a
// license without an end date is valid 长期 (indefinitely). The start is
// empty when unknown; ok is false when neither end is known, so as not to
// claim 长期.
func validity(v View) (from, to string, ok bool) {
	start := v.ValidFrom
	if start.IsZero() {
		start = v.IssueDate
	}
	if start.IsZero() && v.ValidTo.IsZero() {
		return "", "", false
	}
	if !start.IsZero() {
		from = date(start)
	}
	to = "长期"
	if !v.ValidTo.IsZero() {
		to = date(v.ValidTo)
	}
	return from, to, true
}

// renderNotice writes a page with a short message instead of a license, for
// a link that cannot name one.
func renderNotice(w io.Writer, word, why, service string) error {
	return tmpl.Execute(w, &pageData{
		Title:   word,
		Style:   template.CSS(style),
		Notice:  true,
		Word:    word,
		Class:   "s-unverifiable",
		Why:     why,
		Service: clean(service),
	})
}

// style is the page's only style sheet. It holds no data, so its hash goes
// into the Content-Security-Policy and no other style can apply.
//
// Sizes are in px and rem against a 16px root: the page is read at arm's
// length on a phone, and a 390-pixel-wide viewport must never scroll
// sideways, so long codes are allowed to break anywhere.
const style = `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#eef1f5;color:#1f2329;overflow-wrap:anywhere;font:16px/1.6 "PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif}
header{background:#0b4ea2;color:#fff;padding:12px 16px;font-size:17px;font-weight:600;letter-spacing:.08em}
main{max-width:560px;margin:0 auto;padding:12px}
section{background:#fff;border-radius:8px;padding:16px;margin-bottom:12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.status{border-top:6px solid;text-align:center;padding:18px 16px 16px}
.status .k{margin:0;font-size:14px;color:#646a73}
.status .w{margin:2px 0 6px;font-size:40px;line-height:1.25;font-weight:700;letter-spacing:.12em;text-indent:.12em}
.status .why{margin:0;font-size:15px}
.s-valid{border-color:#168c3f}.s-valid .w{color:#168c3f}
.s-suspended{border-color:#d46b08}.s-suspended .w{color:#d46b08}
.s-revoked{border-color:#cf1322}.s-revoked .w{color:#cf1322}
.s-cancelled{border-color:#6b7280}.s-cancelled .w{color:#6b7280}
.s-expired{border-color:#a8071a}.s-expired .w{color:#8c5a5a}
.s-replaced{border-color:#1d5fa8}.s-replaced .w{color:#1d5fa8}
.s-unverifiable{border-color:#820014}.s-unverifiable .w{color:#820014}
.new{margin:10px 0 0;padding:8px 10px;background:#f0f5ff;border-radius:6px;font-size:14px;text-align:left;word-break:break-all}
h1{margin:0 0 8px;font-size:20px;line-height:1.4}
.caution{margin:0 0 8px;color:#820014;font-size:14px}
dl{margin:0;display:grid;grid-template-columns:5em minmax(0,1fr);gap:8px 12px}
dt{color:#646a73;font-size:14px;line-height:1.7}
dd{margin:0}
.nw{white-space:nowrap}
.meta{margin:0;padding:0 4px;font-size:13px;color:#646a73}
.id{font-size:12px;word-break:break-all}
footer{margin:16px 0 0;padding:12px 16px 24px;border-top:1px solid #d8dde5;font-size:12px;color:#8a9099;text-align:center}
footer p{margin:0 0 4px}
`

// styleHash is the CSP source that allows exactly the style element.
var styleHash = func() string {
	h := sha256.Sum256([]byte(style))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

// csp is the policy the page is served with: nothing may
// load, run or frame it, and the only style is the page's own.
var csp = "default-src 'none'; style-src " + styleHash +
	"; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var tmpl = template.Must(template.New("page").Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="format-detection" content="telephone=no">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex,nofollow">
<title>{{.Title}}</title>
<style>{{.Style}}</style>
</head>
<body>
<header>电子证照核验</header>
<main>
<section class="status {{.Class}}">
<p class="k">{{if .Notice}}提示{{else}}核验结果{{end}}</p>
<p class="w" id="status">{{.Word}}</p>
<p class="why">{{.Why}}</p>
{{- if .ReplacedBy}}
<p class="new">新证照标识：{{.ReplacedBy}}</p>
{{- end}}
</section>
{{- if or .LicenseName .Rows .Valid}}
<section class="details">
{{- if .Caution}}
<p class="caution">以下信息未通过核验，仅供参考，请勿采信。</p>
{{- end}}
{{- if .LicenseName}}
<h1>{{.LicenseName}}</h1>
{{- end}}
<dl>
{{- range .Rows}}
<dt>{{.Label}}</dt><dd>{{.Value}}</dd>
{{- end}}
{{- with .Valid}}
<dt>有效期</dt><dd>{{if .From}}<span class="nw">{{.From}}</span> 至 {{end}}<span class="nw">{{.To}}</span></dd>
{{- end}}
</dl>
</section>
{{- end}}
{{- if .CheckedAt}}
<p class="meta">核验时间：{{.CheckedAt}}</p>
{{- end}}
{{- if .Identifier}}
<p class="meta id">证照标识：{{.Identifier}}</p>
{{- end}}
</main>
<footer>
{{- if .Service}}
<p>{{.Service}}</p>
{{- end}}
{{- if or .LicenseName .Rows .Valid}}
<p>本页面由服务端校验证照 SM2 数字签名后生成</p>
{{- end}}
</footer>
</body>
</html>
`

// Word returns how the page words the status: 有效, 已吊销, ... An unknown
// status reads 无法核验.
func (s Status) Word() string { return textOf(s).word }
