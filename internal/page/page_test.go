package page

import (
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Test views. The identifiers follow GB/T 36904's layout; the codes are
// made up.
const (
	testID      = "1.2.156.3005.2.11100000000013338W001.11310115002486193N.20261125000123.001.K"
	testNewID   = "1.2.156.3005.2.11100000000013338W001.11310115002486193N.20261125000123.002.7"
	testService = "某市一网通办电子证照核验服务"
)

func companyView(s Status) View {
	return View{
		LicenseName:    "营业执照",
		Number:         "310115000123456",
		Identifier:     testID,
		Issuer:         "上海市浦东新区市场监督管理局",
		HolderName:     "上海浦江数据科技有限公司",
		HolderCode:     "91310115MA1H7GKQ3D",
		HolderCodeKind: HolderUSCC,
		IssueDate:      time.Date(2024, 11, 25, 0, 0, 0, 0, beijing),
		Status:         s,
		CheckedAt:      time.Date(2026, 11, 25, 6, 3, 12, 0, time.UTC),
		Service:        testService,
	}
}

func personView(s Status) View {
	return View{
		LicenseName:    "上海市居住证",
		Number:         "沪居 310115 2025 004512",
		Identifier:     testID,
		Issuer:         "上海市公安局浦东分局",
		HolderName:     "张*三",
		HolderCode:     "110101********1234",
		HolderCodeKind: HolderCitizenID,
		IssueDate:      time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		ValidFrom:      time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		ValidTo:        time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC),
		Status:         s,
		CheckedAt:      time.Date(2026, 11, 25, 6, 3, 12, 0, time.UTC),
		Service:        testService,
	}
}

func render(t testing.TB, v View) string {
	t.Helper()
	var b strings.Builder
	if err := Render(&b, v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestRenderStatuses(t *testing.T) {
	for _, tt := range []struct {
		status      Status
		word, class string
		why         string
	}{
		{StatusValid, "有效", "s-valid", "签名校验通过"},
		{StatusSuspended, "已暂扣", "s-suspended", "已被颁发机构暂扣"},
		{StatusRevoked, "已吊销", "s-revoked", "该证照已被颁发机构吊销"},
		{StatusCancelled, "已注销", "s-cancelled", "该证照已被注销"},
		{StatusExpired, "已过期", "s-expired", "已超过有效期"},
		{StatusReplaced, "已换发", "s-replaced", "请以新证照为准"},
		{StatusUnverifiable, "无法核验", "s-unverifiable", "证照数据签名校验失败，请勿采信"},
		{"", "无法核验", "s-unverifiable", "请勿采信"},
		{"VALID", "无法核验", "s-unverifiable", "请勿采信"}, // an unknown verdict never reads as valid
	} {
		out := render(t, companyView(tt.status))
		if !strings.Contains(out, `<section class="status `+tt.class+`"`) {
			t.Errorf("status %q: no status section of class %s", tt.status, tt.class)
		}
		if !strings.Contains(out, `<p class="w" id="status">`+tt.word+`</p>`) {
			t.Errorf("status %q: the verdict is not %s", tt.status, tt.word)
		}
		if !strings.Contains(out, `<p class="why">`) || !strings.Contains(out, tt.why) {
			t.Errorf("status %q: no explanation %q", tt.status, tt.why)
		}
		if !strings.Contains(style, "."+tt.class+" .w{color:") {
			t.Errorf("status %q: class %s has no colour in the style sheet", tt.status, tt.class)
		}
		if got := tt.status.Word(); got != tt.word {
			t.Errorf("Status(%q).Word() = %q, want %q", tt.status, got, tt.word)
		}
		if tt.class != "s-valid" && strings.Contains(out, ">有效<") {
			t.Errorf("status %q: the page says 有效", tt.status)
		}
	}

	classes := map[string]Status{}
	for s, st := range statuses {
		if o, dup := classes[st.class]; dup {
			t.Errorf("statuses %s and %s share the class %s", s, o, st.class)
		}
		classes[st.class] = s
	}
}

func TestRenderCompany(t *testing.T) {
	out := render(t, companyView(StatusValid))
	for _, want := range []string{
		`<html lang="zh-CN">`,
		`<meta name="viewport" content="width=device-width,initial-scale=1">`,
		"<title>证照核验结果：有效</title>",
		"<h1>营业执照</h1>",
		"<dt>颁发机构</dt><dd>上海市浦东新区市场监督管理局</dd>",
		"<dt>证照编号</dt><dd>310115000123456</dd>",
		"<dt>持证主体</dt><dd>上海浦江数据科技有限公司</dd>",
		"<dt>信用代码</dt><dd>91310115MA1H7GKQ3D</dd>", // a company's USCC is public
		"<dt>发证日期</dt><dd>2024年11月25日</dd>",
		`<dt>有效期</dt><dd><span class="nw">2024年11月25日</span> 至 <span class="nw">长期</span></dd>`,
		"核验时间：2026-11-25 14:03:12 (北京时间)",
		"证照标识：" + testID,
		testService,
		"本页面由服务端校验证照 SM2 数字签名后生成",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(out, "新证照标识") {
		t.Error("a valid license names a new license")
	}
	if strings.Contains(out, "未通过核验") {
		t.Error("a valid license carries the caution of an unverifiable one")
	}
}

func TestRenderPerson(t *testing.T) {
	out := render(t, personView(StatusValid))
	for _, want := range []string{
		"<dt>持证人</dt><dd>张*三</dd>",
		"<dt>身份证号</dt><dd>110101********1234</dd>",
		`<dt>有效期</dt><dd><span class="nw">2025年03月01日</span> 至 <span class="nw">2028年02月29日</span></dd>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestRenderPersonUnmasked(t *testing.T) {
	// A lookup that forgets to mask a person still publishes nothing.
	v := personView(StatusValid)
	v.HolderName, v.HolderCode = "欧阳小明", "110101199003071234"
	out := render(t, v)
	for _, want := range []string{"<dd>欧**明</dd>", "<dd>110101********1234</dd>"} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(out, "欧阳小明") {
		t.Error("page shows the full name")
	}
}

func TestRenderNeverShowsCitizenID(t *testing.T) {
	ids := []string{"110101199003071234", "11010519491231002X", "440524188001010014", "310115200001010021"}
	v := companyView(StatusRevoked)
	v.HolderCodeKind = "" // the lookup did not say it is a person
	v.HolderCode = ids[0]
	v.HolderName = "张三 " + ids[1]
	v.Number = "NO." + ids[2]
	v.Reason = "持证人 " + ids[3] + " 申请注销"
	v.Issuer = ids[0] + ids[1] // 36 digits: not a citizen number, kept
	v.LicenseName = "<b>" + ids[1] + "</b>"
	v.ReplacedBy, v.Service = ids[2], ids[3]
	out := render(t, v)
	for _, id := range ids {
		if strings.Contains(strings.ReplaceAll(out, v.Issuer, ""), id) {
			t.Errorf("page shows %s in full", id)
		}
	}
	for _, m := range citizenLike.FindAllStringSubmatch(strings.ReplaceAll(out, v.Issuer, ""), -1) {
		t.Errorf("page holds %s, which looks like a citizen identity number", m[1])
	}
	if !strings.Contains(out, "<dd>110101********1234</dd>") {
		t.Error("the holder code is not masked in place")
	}
}

func TestRenderEscapes(t *testing.T) {
	hostile := []string{
		`<script>alert(1)</script>`,
		`"><img src=x onerror=alert(1)>`,
		`</style><script>alert(2)</script>`,
		`' onmouseover='alert(3)`,
		`<a href="javascript:alert(4)">x</a>`,
		"\u202e<svg onload=alert(5)>",
	}
	for _, h := range hostile {
		v := companyView(StatusReplaced)
		v.LicenseName, v.Number, v.Issuer, v.HolderName = h, h, h, h
		v.HolderCode, v.Reason, v.ReplacedBy, v.Service, v.Identifier = h, h, h, h, h
		out := render(t, v)
		low := strings.ToLower(out)
		// The page has none of these elements itself, so any is injected.
		for _, bad := range []string{"<script", "<img", "<svg", "<a "} {
			if strings.Contains(low, bad) {
				t.Errorf("input %q: page holds %q", h, bad)
			}
		}
		if strings.Count(low, "<style>") != 1 || strings.Count(low, "</style>") != 1 {
			t.Errorf("input %q: the style element was broken out of", h)
		}
		if n := strings.Count(out, template.HTMLEscapeString(h)); n < 9 {
			t.Errorf("input %q: found escaped %d times, want once per field (9)", h, n)
		}
	}
}

func TestRenderNoActiveContent(t *testing.T) {
	for _, v := range []View{companyView(StatusValid), personView(StatusReplaced), {}} {
		out := render(t, v)
		if len(out) > 10<<10 {
			t.Errorf("page is %d bytes, more than 10 KB", len(out))
		}
		low := strings.ToLower(out)
		for _, bad := range []string{"<script", "<img", "<link", "<iframe", "src=", "href=", "url(", "@import", "@font-face", "http:", "https:", "style=\"", " on"} {
			if bad == " on" {
				if regexp.MustCompile(`<[^>]* on[a-z]+=`).MatchString(low) {
					t.Errorf("page has an event handler attribute")
				}
				continue
			}
			if strings.Contains(low, bad) {
				t.Errorf("page holds %q", bad)
			}
		}
	}
}

func TestRenderReplaced(t *testing.T) {
	v := personView(StatusReplaced)
	v.ReplacedBy = testNewID
	out := render(t, v)
	if !strings.Contains(out, `<p class="new">新证照标识：`+testNewID+`</p>`) {
		t.Error("a replaced license does not name the new one")
	}
	v.Status = StatusValid
	if out := render(t, v); strings.Contains(out, testNewID) {
		t.Error("a valid license names a new license")
	}
}

func TestRenderUnverifiable(t *testing.T) {
	v := personView(StatusUnverifiable)
	out := render(t, v)
	if !strings.Contains(out, "以下信息未通过核验，仅供参考，请勿采信。") {
		t.Error("details of an unverifiable license carry no caution")
	}
	v.Reason = "证照数据被篡改"
	if out := render(t, v); !strings.Contains(out, `<p class="why">证照数据被篡改</p>`) {
		t.Error("the reason does not replace the default explanation")
	}
}

func TestRenderEmpty(t *testing.T) {
	out := render(t, View{})
	for _, bad := range []string{"<dl>", "核验时间", "证照标识", "有效期"} {
		if strings.Contains(out, bad) {
			t.Errorf("an empty view shows %q", bad)
		}
	}
	if !strings.Contains(out, "无法核验") {
		t.Error("an empty view is not 无法核验")
	}
}

func TestValidity(t *testing.T) {
	d := func(y, m, day int) time.Time { return time.Date(y, time.Month(m), day, 0, 0, 0, 0, beijing) }
	for _, tt := range []struct {
		v    View
		want string
	}{
		{View{IssueDate: d(2024, 1, 2)}, "2024年01月02日 至 长期"},
		{View{IssueDate: d(2024, 1, 2), ValidFrom: d(2024, 2, 1), ValidTo: d(2029, 1, 31)}, "2024年02月01日 至 2029年01月31日"},
		{View{ValidTo: d(2029, 1, 31)}, "至 2029年01月31日"},
		{View{}, ""},
		// A date at midnight UTC is the same day in Beijing; a Beijing
		// midnight given in UTC (16:00 the day before) is still that day.
		{View{ValidFrom: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), ValidTo: d(2030, 1, 1).UTC()}, "2024年01月02日 至 2030年01月01日"},
	} {
		from, to, ok := validity(tt.v)
		got := ""
		if ok {
			got = strings.TrimPrefix(from+" 至 "+to, " ")
		}
		if got != tt.want {
			t.Errorf("validity(%v, %v, %v) = %q, want %q", tt.v.IssueDate, tt.v.ValidFrom, tt.v.ValidTo, got, tt.want)
		}
	}
}

func TestStyleHash(t *testing.T) {
	out := render(t, companyView(StatusValid))
	i, j := strings.Index(out, "<style>"), strings.Index(out, "</style>")
	if i < 0 || j < i {
		t.Fatal("no style element")
	}
	h := sha256.Sum256([]byte(out[i+len("<style>") : j]))
	want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
	if !strings.Contains(csp, want) {
		t.Errorf("CSP %q does not allow the page's style element (%s)", csp, want)
	}
	if !strings.HasPrefix(csp, "default-src 'none'; ") {
		t.Errorf("CSP %q does not start with default-src 'none'", csp)
	}
	for _, f := range []string{`"PingFang SC"`, `"Noto Sans CJK SC"`, `"WenQuanYi Micro Hei"`, "sans-serif"} {
		if !strings.Contains(style, f) {
			t.Errorf("font-family list lacks %s", f)
		}
	}
}
