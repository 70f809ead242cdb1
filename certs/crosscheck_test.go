package certs

import (
	"encoding/asn1"
	"math/big"
	"testing"

	"github.com/emmansun/gmsm/smx509"
	tjsm2 "github.com/tjfoc/gmsm/sm2"
	tjx509 "github.com/tjfoc/gmsm/x509"

	"github.com/eseal-project/eseal/hsm"
)

// TestTjfocCrossCheck has a second, independent SM2 implementation
// (github.com/tjfoc/gmsm) verify what this package signs with gmsm: the
// certificate and CRL signatures over SM3(Z_A || TBS) with the default ID.
func TestTjfocCrossCheck(t *testing.T) {
	ca := newMemCA(t, hsm.SM2, "某某市")
	leaf, _ := issue(t, ca, hsm.SM2, sealSubject, ProfileSeal, ValidDays(30))
	if err := ca.Revoke(leaf.SerialNumber, KeyCompromise); err != nil {
		t.Fatal(err)
	}
	crl := mustCRL(t, ca)
	root := ca.Certificate()
	pub := tjfocKey(t, root)

	if !pub.Verify(leaf.RawTBSCertificate, leaf.Signature) {
		t.Error("tjfoc sm2: certificate signature does not verify")
	}
	if !pub.Verify(crl.RawTBSRevocationList, crl.Signature) {
		t.Error("tjfoc sm2: CRL signature does not verify")
	}
	if !pub.Verify(root.RawTBSCertificate, root.Signature) {
		t.Error("tjfoc sm2: self-signed root does not verify")
	}
	// Negative twins: another message, another key.
	tbs := append([]byte(nil), leaf.RawTBSCertificate...)
	tbs[len(tbs)-1] ^= 1
	if pub.Verify(tbs, leaf.Signature) {
		t.Error("tjfoc sm2: altered TBS verifies")
	}
	if tjfocKey(t, leaf).Verify(leaf.RawTBSCertificate, leaf.Signature) {
		t.Error("tjfoc sm2: verifies with the wrong key")
	}

	// tjfoc's own X.509 parser reads our certificates and checks the chain.
	tjRoot, err := tjx509.ParseCertificate(root.Raw)
	if err != nil {
		t.Fatalf("tjfoc x509 parsing the root: %v", err)
	}
	tjLeaf, err := tjx509.ParseCertificate(leaf.Raw)
	if err != nil {
		t.Fatalf("tjfoc x509 parsing the seal certificate: %v", err)
	}
	if err := tjLeaf.CheckSignatureFrom(tjRoot); err != nil {
		t.Errorf("tjfoc x509 CheckSignatureFrom: %v", err)
	}
	if tjLeaf.Subject.CommonName != "某某市市场监督管理局电子印章" {
		t.Errorf("tjfoc reads CN %q", tjLeaf.Subject.CommonName)
	}
}

// tjfocKey reads the uncompressed point from the certificate's
// SubjectPublicKeyInfo itself, independently of gmsm.
func tjfocKey(t *testing.T, c *smx509.Certificate) *tjsm2.PublicKey {
	t.Helper()
	var spki struct {
		Algorithm asn1.RawValue
		Key       asn1.BitString
	}
	if _, err := asn1.Unmarshal(c.RawSubjectPublicKeyInfo, &spki); err != nil {
		t.Fatal(err)
	}
	p := spki.Key.Bytes
	if len(p) != 65 || p[0] != 4 {
		t.Fatalf("SM2 public key is not an uncompressed point: %x", p)
	}
	return &tjsm2.PublicKey{Curve: tjsm2.P256Sm2(), X: new(big.Int).SetBytes(p[1:33]), Y: new(big.Int).SetBytes(p[33:])}
}
