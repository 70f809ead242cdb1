package render

import (
	"crypto/sha512"
	"encoding/base64"
	"image/color"
	"strings"
	"time"
)

// Fixtures: realistic licences. The codes are made up but well formed: the
// unified social credit codes and the GB/T 36904 identifiers carry correct
// check characters (license/ids accepts them).

// qrText is a 220-character verification URL with a base64url payload, the
// size the issuing service produces.
func qrText(seed string) string {
	const prefix = "https://verify.example.org/v/1?p="
	var payload []byte
	h := sha512.Sum512([]byte(seed))
	for len(payload) < 200 {
		payload = append(payload, h[:]...)
		h = sha512.Sum512(h[:])
	}
	s := prefix + base64.RawURLEncoding.EncodeToString(payload)
	return s[:220]
}

const businessScope = "一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；" +
	"信息系统集成服务；信息技术咨询服务；数据处理和存储支持服务；人工智能应用软件开发；" +
	"网络与信息安全软件开发；计算机软硬件及辅助设备批发；计算机软硬件及辅助设备零售；" +
	"电子产品销售；办公设备销售；会议及展览服务；广告设计、代理；企业管理咨询。" +
	"（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）" +
	"许可项目：第二类增值电信业务。（依法须经批准的项目，经相关部门批准后方可开展经营活动，" +
	"具体经营项目以相关部门批准文件或许可证件为准）"

func businessLicence() Document {
	return Document{
		Title:    "营业执照",
		Subtitle: "（副本）",
		Number:   "310115000202611250123",
		Fields: []Field{
			{"统一社会信用代码", "913101150872346505"},
			{"名称", "上海云印数字科技有限公司"},
			{"类型", "有限责任公司（自然人投资或控股）"},
			{"法定代表人", "张伟"},
			{"经营范围", businessScope},
			{"注册资本", "人民币1000.0000万元整"},
			{"成立日期", "2016年03月18日"},
			{"营业期限", "2016年03月18日至2046年03月17日"},
			{"住所", "中国（上海）自由贸易试验区张江路1388号B座12层1203室"},
		},
		Issuer:     "上海市浦东新区市场监督管理局",
		IssueDate:  time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		QRText:     qrText("business"),
		QRCaption:  "扫码核验",
		Identifier: "1.2.156.3005.2.111000000000133895001.1131011500246671X4.2026112500123.001.T",
		Watermark:  "电子证照",
	}
}

func qualificationCertificate() Document {
	return Document{
		Title:  "建筑施工特种作业操作资格证书",
		Number: "粤A042026000815",
		Fields: []Field{
			{"姓名", "李晓雯"},
			{"性别", "女"},
			{"出生日期", "1990年07月12日"},
			{"公民身份号码", "440106********2426"},
			{"操作类别", "建筑起重信号司索工"},
			{"初次领证日期", "2020年08月15日"},
			{"有效期", "2026年08月15日至2032年08月14日"},
			{"发证机关", "广州市住房和城乡建设局"},
		},
		Issuer:     "广州市住房和城乡建设局",
		IssueDate:  time.Date(2026, 8, 15, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)),
		QRText:     qrText("qualification"),
		QRCaption:  "扫一扫 查真伪",
		Identifier: "1.2.156.3005.2.11100000000013338W032.11440100007482313R.44010020260815.001.3",
	}
}

var (
	businessOptions      = Options{Border: true}
	qualificationOptions = Options{Border: true, Accent: color.RGBA{R: 0x1F, G: 0x3A, B: 0x6E, A: 0xFF}}
)

// squash drops all white space, so that text can be compared with what
// pdftotext extracts whatever the line breaks and letter spacing.
func squash(s string) string {
	return strings.Join(strings.Fields(s), "")
}
