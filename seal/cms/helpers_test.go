package cms

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// testPKI is a CA and a seal certificate issued by it, made in memory (the
// certs package is not used, so that this package is tested on its own).
type testPKI struct {
	profile Profile
	caKey   crypto.Signer
	ca      *smx509.Certificate
	key     crypto.Signer
	cert    *smx509.Certificate
}

func newKey(t testing.TB, p Profile) crypto.Signer {
	t.Helper()
	if p == SM2 {
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var serial int64 = 1000

// issue makes a certificate for pub signed by parent/parentKey (self-signed
// when parent is nil).
func issue(t testing.TB, cn string, serialNumber int64, pub crypto.PublicKey, parent *smx509.Certificate, parentKey crypto.Signer, isCA bool) *smx509.Certificate {
	t.Helper()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serialNumber),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"某某市市场监督管理局"}, Country: []string{"CN"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	if isCA {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	p := tmpl
	if parent != nil {
		p = parent.ToX509()
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, p, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPKI(t testing.TB, p Profile) *testPKI {
	t.Helper()
	k := &testPKI{profile: p, caKey: newKey(t, p), key: newKey(t, p)}
	serial++
	k.ca = issue(t, p.String()+" test CA", serial, k.caKey.Public(), nil, k.caKey, true)
	serial++
	k.cert = issue(t, p.String()+" test seal", serial, k.key.Public(), k.ca, k.caKey, false)
	return k
}

// other issues, from the same CA, a certificate with a fresh key; with
// sameSerial it copies the seal certificate's serial (a forged twin).
func (k *testPKI) other(t testing.TB, sameSerial bool) (*smx509.Certificate, crypto.Signer) {
	t.Helper()
	key := newKey(t, k.profile)
	serial++
	sn := serial
	if sameSerial {
		sn = k.cert.SerialNumber.Int64()
	}
	return issue(t, k.profile.String()+" other seal", sn, key.Public(), k.ca, k.caKey, false), key
}

func (k *testPKI) opts(gm bool) SignOptions {
	return SignOptions{Profile: k.profile, GMOIDs: gm, Certificates: []*smx509.Certificate{k.cert, k.ca}}
}

// recordingSigner records what it was asked to sign.
type recordingSigner struct {
	crypto.Signer
	digest []byte
	opts   crypto.SignerOpts
}

func (r *recordingSigner) Sign(rnd io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	r.digest, r.opts = append([]byte(nil), digest...), opts
	return r.Signer.Sign(rnd, digest, opts)
}

// rawSigner returns r||s instead of DER, as a misconfigured HSM might.
type rawSigner struct{ crypto.Signer }

func (r rawSigner) Sign(rnd io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return make([]byte, 64), nil
}
