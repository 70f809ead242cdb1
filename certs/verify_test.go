package certs

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/testenv"
)

const sealSubject = "CN=某某市市场监督管理局电子印章,O=某某市市场监督管理局,C=CN"

// Each twin pairs a chain that verifies with one that differs in one thing
// and must fail for that reason, for SM2 and P-256 alike.
func TestVerifyChainTwins(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) { testVerifyChainTwins(t, alg) })
	}
}

func testVerifyChainTwins(t *testing.T, alg hsm.Algorithm) {
	ca := newMemCA(t, alg, "某某市")
	pool := NewPool(ca.Certificate())
	now := time.Now()
	seal := VerifyOptions{KeyUsage: UsageSeal}
	good, _ := issue(t, ca, alg, sealSubject, ProfileSeal, ValidDays(1))
	if _, err := VerifyChain(good, nil, pool, seal); err != nil {
		t.Fatalf("good seal certificate: %v", err)
	}

	t.Run("expired", func(t *testing.T) {
		at := seal
		at.Time = now.Add(day(2))
		err := wantChainError(t, vc(good, nil, pool, at), Expired, good)
		want := "certificate " + sealSubject + " expired at " + rfc3339(good.NotAfter) + " (checked at " + rfc3339(at.Time) + ")"
		if err.Error() != want {
			t.Errorf("message\n%s\nwant\n%s", err, want)
		}
		old, _ := issue(t, ca, alg, sealSubject, ProfileSeal, Validity{now.Add(-day(3)), now.Add(-day(2))})
		wantChainError(t, vc(old, nil, pool, seal), Expired, old)
	})
	t.Run("not yet valid", func(t *testing.T) {
		future, _ := issue(t, ca, alg, sealSubject, ProfileSeal, Validity{now.Add(day(1)), now.Add(day(2))})
		err := wantChainError(t, vc(future, nil, pool, seal), NotYetValid, future)
		if !strings.Contains(err.Error(), "is not valid before "+rfc3339(future.NotBefore)) {
			t.Errorf("message: %v", err)
		}
		at := seal
		at.Time = now.Add(day(1) + time.Hour)
		if _, err := VerifyChain(future, nil, pool, at); err != nil {
			t.Errorf("checked inside its validity: %v", err)
		}
	})
	t.Run("trusted root alone", func(t *testing.T) {
		chain, err := VerifyChain(ca.Certificate(), nil, pool, VerifyOptions{KeyUsage: x509.KeyUsageCertSign})
		if err != nil || len(chain) != 1 {
			t.Fatalf("root: chain of %d, %v", len(chain), err)
		}
	})
	t.Run("expired CA", func(t *testing.T) {
		at := seal
		at.Time = now.Add(day(3651))
		wantChainError(t, vc(ca.Certificate(), nil, pool, VerifyOptions{Time: at.Time}), Expired, ca.Certificate())
	})
	t.Run("unknown issuer", func(t *testing.T) {
		other := newMemCA(t, alg, "外省")
		err := wantChainError(t, vc(good, nil, NewPool(other.Certificate()), seal), UnknownIssuer, good)
		if !strings.Contains(err.Error(), "was issued by CN=某某市 Root CA,O=某某市, which is neither trusted") {
			t.Errorf("message: %v", err)
		}
		// Another CA with the very same name is still another CA.
		twin := newMemCA(t, alg, "某某市")
		err = wantChainError(t, vc(good, nil, NewPool(twin.Certificate()), seal), UnknownIssuer, good)
		if !strings.Contains(err.Error(), "another CA with the same name") {
			t.Errorf("message: %v", err)
		}
		wantChainError(t, vc(good, nil, NewPool(), seal), UnknownIssuer, good)
	})
	t.Run("wrong usage", func(t *testing.T) {
		client, _ := issue(t, ca, alg, "CN=case-system,O=某某市", ProfileClient, ValidDays(1))
		if _, err := VerifyChain(client, nil, pool, VerifyOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Fatalf("client certificate for TLS: %v", err)
		}
		err := wantChainError(t, vc(client, nil, pool, seal), WrongUsage, client)
		if !strings.Contains(err.Error(), "may be used for digitalSignature only, not for contentCommitment") {
			t.Errorf("message: %v", err)
		}
		// No extendedKeyUsage allows every purpose (RFC 5280 4.2.1.12), as in crypto/x509.
		if _, err := VerifyChain(good, nil, pool, VerifyOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
			t.Errorf("certificate without extendedKeyUsage: %v", err)
		}
		wantChainError(t, vc(client, nil, pool, VerifyOptions{ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}), WrongUsage, client)
	})
	t.Run("bad signature", func(t *testing.T) {
		der := append([]byte(nil), good.Raw...)
		der[len(der)-3] ^= 0x01 // inside s of the signature
		bad, err := smx509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		err = wantChainError(t, vc(bad, nil, pool, seal), BadSignature, bad)
		if !strings.Contains(err.Error(), "has an invalid signature") {
			t.Errorf("message: %v", err)
		}
		openssl := testenv.Tool(t, "openssl", "openssl")
		dir := t.TempDir()
		caPEM := writeFile(t, dir, "ca.pem", EncodePEM(ca.Certificate()))
		args := []string{"verify"}
		if alg == hsm.SM2 {
			args = append(args, opensslSM2ID...)
		}
		testenv.Run(t, nil, openssl, append(args, "-CAfile", caPEM, writeFile(t, dir, "good.pem", EncodePEM(good)))...)
		if out, err := testenv.Output(nil, openssl, append(args, "-CAfile", caPEM, writeFile(t, dir, "bad.pem", EncodePEM(bad)))...); err == nil {
			t.Errorf("openssl verify accepted the altered certificate:\n%s", out)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		key := newKey(t, alg)
		tmpl := &x509.Certificate{
			SerialNumber: mustSerial(t), Subject: mustSubject(t, "CN=odd"), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage:        UsageSeal,
			ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{5, 0}}},
		}
		der, err := smx509.CreateCertificate(rand.Reader, tmpl, ca.Certificate().ToX509(), key.Public(), ca.signer)
		if err != nil {
			t.Fatal(err)
		}
		odd, err := smx509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		err = wantChainError(t, vc(odd, nil, pool, seal), Malformed, odd)
		if !strings.Contains(err.Error(), "1.2.3.4") {
			t.Errorf("message: %v", err)
		}
	})
}

func vc(leaf *smx509.Certificate, inter []*smx509.Certificate, roots *Pool, opts VerifyOptions) error {
	_, err := VerifyChain(leaf, inter, roots, opts)
	return err
}

func mustSerial(t testing.TB) *big.Int {
	t.Helper()
	n, err := NewSerial()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIntermediates: root → issuing CA → seal, with the CA constraints
// checked along the way.
func TestIntermediates(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) {
			root := newMemCA(t, alg, "省")
			ic, icKey := issue(t, root, alg, "CN=某某市电子印章 Issuing CA,O=某某市", ProfileCA, ValidDays(365))
			issuing, err := NewCA(ic, icKey)
			if err != nil {
				t.Fatal(err)
			}
			leaf, leafKey := issue(t, issuing, alg, sealSubject, ProfileSeal, ValidDays(30))
			pool := NewPool(root.Certificate())
			chain, err := VerifyChain(leaf, []*smx509.Certificate{ic}, pool, VerifyOptions{KeyUsage: UsageSeal})
			if err != nil {
				t.Fatal(err)
			}
			if len(chain) != 3 {
				t.Fatalf("chain of %d", len(chain))
			}
			// Without the intermediate, the missing link is named.
			err = wantChainError(t, vc(leaf, nil, pool, VerifyOptions{}), UnknownIssuer, leaf)
			if !strings.Contains(err.Error(), "Issuing CA") {
				t.Errorf("message: %v", err)
			}
			// pathLenConstraint 0: the issuing CA may not certify another CA.
			sub, subKey := issue(t, issuing, alg, "CN=rogue sub CA", ProfileCA, ValidDays(30))
			subCA, err := NewCA(sub, subKey)
			if err != nil {
				t.Fatal(err)
			}
			deep, _ := issue(t, subCA, alg, "CN=deep", ProfileSeal, ValidDays(1))
			err = wantChainError(t, vc(deep, []*smx509.Certificate{ic, sub}, pool, VerifyOptions{}), WrongUsage, ic)
			if !strings.Contains(err.Error(), "pathLenConstraint") {
				t.Errorf("message: %v", err)
			}
			// A seal certificate cannot act as a CA, whatever it signs.
			tmpl := &x509.Certificate{SerialNumber: mustSerial(t), Subject: mustSubject(t, "CN=forged"),
				NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: UsageSeal}
			der, err := smx509.CreateCertificate(rand.Reader, tmpl, leaf.ToX509(), newKey(t, alg).Public(), leafKey)
			if err != nil {
				t.Fatal(err)
			}
			forged, _ := smx509.ParseCertificate(der)
			err = wantChainError(t, vc(forged, []*smx509.Certificate{ic, leaf}, pool, VerifyOptions{}), WrongUsage, leaf)
			if !strings.Contains(err.Error(), "is not a CA") {
				t.Errorf("message: %v", err)
			}
		})
	}
}

// TestCRLTwins: revocation, and CRLs that are expired or not the issuer's.
func TestCRLTwins(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) { testCRLTwins(t, alg) })
	}
}

func testCRLTwins(t *testing.T, alg hsm.Algorithm) {
	ctx := t.Context()
	ca := newMemCA(t, alg, "某某市")
	pool := NewPool(ca.Certificate())
	now := time.Now()
	revoked, _ := issue(t, ca, alg, sealSubject, ProfileSeal, ValidDays(30))
	kept, _ := issue(t, ca, alg, "CN=另一枚印章,O=某某市", ProfileSeal, ValidDays(30))
	if err := ca.Revoke(revoked.SerialNumber, CessationOfOperation); err != nil {
		t.Fatal(err)
	}
	der, err := ca.CRL(ctx, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	crl, err := ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.Check(ca.Certificate(), now); err != nil {
		t.Fatal(err)
	}
	if e, ok := crl.Lookup(revoked.SerialNumber); !ok || e.ReasonCode != int(CessationOfOperation) {
		t.Errorf("Lookup(revoked) = %+v, %v", e, ok)
	}
	if _, ok := crl.Lookup(kept.SerialNumber); ok {
		t.Error("Lookup(kept) found it")
	}
	if alg == hsm.SM2 && crl.SignatureAlgorithm() != smx509.SM2WithSM3 {
		t.Errorf("SM2 CRL signature algorithm %s", SignatureAlgorithmName(crl.SignatureAlgorithm()))
	}
	opts := VerifyOptions{CRLs: []*CRL{crl}, RequireCRL: true, KeyUsage: UsageSeal}

	if _, err := VerifyChain(kept, nil, pool, opts); err != nil {
		t.Fatalf("certificate not on the CRL: %v", err)
	}
	err = wantChainError(t, vc(revoked, nil, pool, opts), Revoked, revoked)
	if !strings.Contains(err.Error(), "(cessationOfOperation) according to CRL number 1 from CN=某某市 Root CA,O=某某市") {
		t.Errorf("message: %v", err)
	}
	// Before its revocation the certificate was good.
	before := opts
	before.Time = now.Add(-time.Minute)
	if _, err := VerifyChain(revoked, nil, pool, before); err != nil {
		t.Errorf("checked before the revocation: %v", err)
	}

	t.Run("expired CRL", func(t *testing.T) {
		later := now.Add(2 * time.Hour)
		if err := crl.Check(ca.Certificate(), later); !errors.Is(err, ErrCRLExpired) || !strings.Contains(err.Error(), "expired at") {
			t.Errorf("Check of an expired CRL: %v", err)
		}
		o := opts
		o.Time = later
		err := wantChainError(t, vc(kept, nil, pool, o), RevocationUnknown, kept)
		if !errors.Is(err, ErrCRLExpired) || !strings.Contains(err.Error(), "get a fresh CRL") {
			t.Errorf("message: %v", err)
		}
	})
	t.Run("CRL of another CA", func(t *testing.T) {
		dir := t.TempDir()
		caPEM := writeFile(t, dir, "ca.pem", EncodePEM(ca.Certificate()))
		openssl := testenv.Tool(t, "openssl", "openssl")
		opensslVerifyCRL(t, openssl, alg, writeFile(t, dir, "good.crl", der), caPEM, crl)

		other := newMemCA(t, alg, "外省")
		otherCRL := mustCRL(t, other)
		if err := otherCRL.CheckSignatureFrom(ca.Certificate()); !errors.Is(err, ErrCRLIssuer) {
			t.Errorf("CheckSignatureFrom of another CA's CRL: %v", err)
		}
		// Not about this chain: ignored, unless a CRL is required.
		if _, err := VerifyChain(kept, nil, pool, VerifyOptions{CRLs: []*CRL{otherCRL}}); err != nil {
			t.Errorf("an unrelated CRL changed the verdict: %v", err)
		}
		err := wantChainError(t, vc(kept, nil, pool, VerifyOptions{CRLs: []*CRL{otherCRL}, RequireCRL: true}), RevocationUnknown, kept)
		if !strings.Contains(err.Error(), "no CRL from its issuer") {
			t.Errorf("message: %v", err)
		}
		opensslRejectsCRL(t, openssl, alg, writeFile(t, dir, "other.crl", otherCRL.Raw), caPEM, otherCRL)

		// A CA with the same name cannot speak for this one.
		twin := newMemCA(t, alg, "某某市")
		twinCRL := mustCRL(t, twin)
		if err := twinCRL.CheckSignatureFrom(ca.Certificate()); !errors.Is(err, ErrCRLIssuer) {
			t.Errorf("CheckSignatureFrom of a same-name CA's CRL: %v", err)
		}
		wantChainError(t, vc(kept, nil, pool, VerifyOptions{CRLs: []*CRL{twinCRL}}), RevocationUnknown, kept)
		opensslRejectsCRL(t, openssl, alg, writeFile(t, dir, "twin.crl", twinCRL.Raw), caPEM, twinCRL)
	})
	t.Run("altered CRL", func(t *testing.T) {
		bad := append([]byte(nil), der...)
		bad[len(bad)-3] ^= 0x01
		badCRL, err := ParseCRL(bad)
		if err != nil {
			t.Fatal(err)
		}
		if err := badCRL.CheckSignatureFrom(ca.Certificate()); !errors.Is(err, ErrCRLSignature) {
			t.Errorf("CheckSignatureFrom of an altered CRL: %v", err)
		}
		// A forged CRL must not hide a revocation, nor invent one.
		wantChainError(t, vc(revoked, nil, pool, VerifyOptions{CRLs: []*CRL{badCRL}}), RevocationUnknown, revoked)
	})
}

func mustCRL(t testing.TB, ca *CA) *CRL {
	t.Helper()
	der, err := ca.CRL(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	crl, err := ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

func TestPool(t *testing.T) {
	a, b := newMemCA(t, hsm.SM2, "A"), newMemCA(t, hsm.P256, "B")
	dir := t.TempDir()
	both := writeFile(t, dir, "both.pem", append(append([]byte("# trust list\n"), EncodePEM(a.Certificate(), b.Certificate())...), EncodePEM(a.Certificate())...))
	der := writeFile(t, dir, "b.der", b.Certificate().Raw)
	p, err := LoadPool(both, der)
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != 2 || !p.Contains(a.Certificate()) || !p.Contains(b.Certificate()) {
		t.Errorf("pool has %d certificates", p.Len())
	}
	if _, err := LoadPool(writeFile(t, dir, "empty.pem", []byte("-----BEGIN X-----\nAA==\n-----END X-----\n"))); err == nil {
		t.Error("a file without certificates was accepted")
	}
	if _, err := LoadPool(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("a missing file was accepted")
	}
	var nilPool *Pool
	if nilPool.Len() != 0 || nilPool.Contains(a.Certificate()) {
		t.Error("nil pool is not empty")
	}
}

func TestIssueChecks(t *testing.T) {
	ca := newMemCA(t, hsm.SM2, "C")
	key := newKey(t, hsm.SM2)
	ctx := t.Context()
	for name, f := range map[string]func() error{
		"outlives CA": func() error {
			_, err := ca.Issue(ctx, key.Public(), mustSubject(t, "CN=x"), ProfileSeal, ValidDays(3651))
			return err
		},
		"empty subject": func() error {
			_, err := ca.Issue(ctx, key.Public(), pkix.Name{}, ProfileSeal, ValidDays(1))
			return err
		},
		"CA's name": func() error {
			_, err := ca.Issue(ctx, key.Public(), ca.Certificate().Subject, ProfileSeal, ValidDays(1))
			return err
		},
		"unknown profile": func() error {
			_, err := ca.Issue(ctx, key.Public(), mustSubject(t, "CN=x"), Profile("server"), ValidDays(1))
			return err
		},
		"inverted validity": func() error {
			_, err := ca.Issue(ctx, key.Public(), mustSubject(t, "CN=x"), ProfileSeal, Validity{time.Now(), time.Now().Add(-time.Hour)})
			return err
		},
	} {
		if err := f(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An SM2 CA may certify a P-256 key and the other way round.
	mixed, _ := issue(t, ca, hsm.P256, "CN=pades", ProfileSeal, ValidDays(1))
	if _, err := VerifyChain(mixed, nil, NewPool(ca.Certificate()), VerifyOptions{KeyUsage: UsageSeal}); err != nil {
		t.Error(err)
	}
}
