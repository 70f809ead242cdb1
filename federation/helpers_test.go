package federation

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/license/ids"
)

// Issuers, from license/ids/testdata/examples.txt.
const (
	usccZJ  = "11330105002500287C" // 浙江
	usccSD1 = "11370800MB28559184" // 山东
	usccSD2 = "113700000045030270" // 山东
	usccJL  = "11220000013544541J" // 吉林
	usccXX  = "91440300708461136T" // in no region
	typeEx  = "11100000000013338W032"
)

func sm2Key(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func p256Key(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newCA(t testing.TB, signer crypto.Signer, cn string) *certs.CA {
	t.Helper()
	cert, err := certs.SelfSign(signer, pkix.Name{CommonName: cn, Organization: []string{cn}}, certs.ValidDays(3650))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := certs.NewCA(cert, signer)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func issue(t testing.TB, ca *certs.CA, pub crypto.PublicKey, cn string) *smx509.Certificate {
	t.Helper()
	c, err := ca.Issue(context.Background(), pub, pkix.Name{CommonName: cn}, certs.ProfileSeal, certs.ValidDays(365))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pubPEM(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func pubB64(t testing.TB, pub crypto.PublicKey) string {
	t.Helper()
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(der)
}

func licenseID(t testing.TB, issuer string, serial int64) string {
	t.Helper()
	id, err := ids.NewLicenseID(typeEx, issuer, serial, 1)
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// federation is a federation of three regions: 浙江 (active, SM2 CA, an
// issuer certificate bound to its issuer, a node key as a PEM public key),
// 山东 (active, P-256 CA, an unbound issuer key as base64 DER, a node key
// as a certificate) and 吉林 (suspended).
type federation struct {
	fedKey         *sm2.PrivateKey
	now            time.Time
	caZJ, caSD     *certs.CA
	issuerZJ       *sm2.PrivateKey
	issuerSD       *ecdsa.PrivateKey
	issuerJL       *sm2.PrivateKey
	nodeZJ, nodeSD crypto.Signer
	nodeJL         *sm2.PrivateKey
	issuerZJCert   *smx509.Certificate
	nodeSDCert     *smx509.Certificate
	endpointsZJ    []string
	endpointsSD    []string
}

func newFederation(t testing.TB) *federation {
	t.Helper()
	f := &federation{fedKey: sm2Key(t), now: time.Now().UTC().Truncate(time.Second)}
	f.caZJ = newCA(t, sm2Key(t), "浙江省电子证照根CA")
	f.caSD = newCA(t, p256Key(t), "山东省电子证照根CA")
	f.issuerZJ, f.issuerSD, f.issuerJL = sm2Key(t), p256Key(t), sm2Key(t)
	f.nodeZJ, f.nodeJL = sm2Key(t), sm2Key(t)
	nodeSD := p256Key(t)
	f.nodeSD = nodeSD
	f.issuerZJCert = issue(t, f.caZJ, f.issuerZJ.Public(), "杭州市西湖区市场监督管理局")
	f.nodeSDCert = issue(t, f.caSD, nodeSD.Public(), "eseal node 370000")
	f.endpointsZJ = []string{"https://eseal.zj.invalid"}
	f.endpointsSD = []string{"https://eseal.sd.invalid/"}
	return f
}

// list is a trust list of the federation with sequence seq.
func (f *federation) list(t testing.TB, seq uint64) *TrustList {
	t.Helper()
	return &TrustList{
		Federation: "长三角及周边一网通办互认联盟",
		Sequence:   seq,
		IssuedAt:   f.now,
		NextUpdate: f.now.Add(30 * 24 * time.Hour),
		Regions: []Region{
			{
				Code: "330000", Name: "浙江省", Status: RegionActive,
				Endpoints:      f.endpointsZJ,
				CACertificates: []string{string(certs.EncodePEM(f.caZJ.Certificate()))},
				Issuers:        []Issuer{{USCC: usccZJ, Name: "杭州市西湖区市场监督管理局"}},
				IssuerKeys:     []Key{{USCC: usccZJ, Certificate: string(certs.EncodePEM(f.issuerZJCert))}},
				NodeKeys:       []Key{{PublicKey: pubPEM(t, f.nodeZJ.Public())}},
			},
			{
				Code: "370000", Name: "山东省", Status: RegionActive,
				Endpoints:      f.endpointsSD,
				CACertificates: []string{base64.StdEncoding.EncodeToString(f.caSD.Certificate().Raw)},
				Issuers:        []Issuer{{USCC: usccSD1}, {USCC: usccSD2}},
				IssuerKeys:     []Key{{PublicKey: pubB64(t, f.issuerSD.Public())}},
				NodeKeys:       []Key{{Certificate: base64.StdEncoding.EncodeToString(f.nodeSDCert.Raw)}},
			},
			{
				Code: "220000", Name: "吉林省", Status: RegionSuspended,
				Endpoints:  []string{"https://eseal.jl.invalid"},
				Issuers:    []Issuer{{USCC: usccJL}},
				IssuerKeys: []Key{{PublicKey: pubPEM(t, f.issuerJL.Public())}},
				NodeKeys:   []Key{{PublicKey: pubPEM(t, f.nodeJL.Public())}},
			},
		},
	}
}

func (f *federation) sign(t testing.TB, tl *TrustList) string {
	t.Helper()
	tok, err := Sign(tl, f.fedKey)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// parsed is a signed and parsed list of the federation.
func (f *federation) parsed(t testing.TB, seq uint64) *TrustList {
	t.Helper()
	tl, err := ParseAt(f.sign(t, f.list(t, seq)), f.now, f.fedKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
