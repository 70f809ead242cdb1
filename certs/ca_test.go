package certs

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/testenv"
)

const testPassphrase = "correct horse battery staple"

// TestDirCA runs the whole life of a CA directory with keys in soft
// keystores, and has OpenSSL check what it produced.
func TestDirCA(t *testing.T) {
	for _, alg := range algs {
		t.Run(string(alg), func(t *testing.T) { testDirCA(t, alg) })
	}
}

func testDirCA(t *testing.T, alg hsm.Algorithm) {
	t.Setenv(hsm.PassphraseEnv, testPassphrase)
	ctx := t.Context()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "ca")

	ca, err := InitCA(ctx, dir, InitOptions{Algorithm: alg, Org: "某某市市场监督管理局", Country: "CN"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := SubjectString(ca.Certificate()), "CN=某某市市场监督管理局 Root CA,O=某某市市场监督管理局,C=CN"; got != want {
		t.Errorf("CA subject %q, want %q", got, want)
	}
	root := ca.Certificate()
	if !root.IsCA || root.KeyUsage != 1<<5|1<<6 || len(root.SubjectKeyId) == 0 {
		t.Errorf("root: IsCA %v KeyUsage %s SKI %x", root.IsCA, KeyUsageString(root.KeyUsage), root.SubjectKeyId)
	}
	if y := root.NotAfter.Sub(root.NotBefore).Hours() / 24 / 365; y < 9.99 || y > 10.01 {
		t.Errorf("root valid for %.2f years, want 10", y)
	}
	if hsm.AlgorithmOf(root.PublicKey) != alg {
		t.Errorf("root key is %s, want %s", KeyAlgorithmName(root.PublicKey), alg)
	}
	checkModes(t, dir)
	meta, err := os.ReadFile(filepath.Join(dir, caMetaFile))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(meta), testPassphrase) || !strings.Contains(string(meta), `"keystore": "file:keys"`) {
		t.Errorf("ca.json:\n%s", meta)
	}

	// A second init over it is refused, and leaves it alone.
	if _, err := InitCA(ctx, dir, InitOptions{Algorithm: alg, Org: "Other"}); !errors.Is(err, ErrCAExists) {
		t.Fatalf("second InitCA: %v, want ErrCAExists", err)
	}

	// The seal key lives in its own keystore; the CA sees its public half.
	ks, err := hsm.Open("file:" + filepath.Join(tmp, "seal-keys"))
	if err != nil {
		t.Fatal(err)
	}
	defer ks.Close()
	sealKey, err := ks.Generate(ctx, "seal-1", alg)
	if err != nil {
		t.Fatal(err)
	}
	subject := mustSubject(t, "CN=某某市市场监督管理局电子印章,O=某某市市场监督管理局,C=CN")
	leaf, err := ca.Issue(ctx, sealKey.Public(), subject, ProfileSeal, ValidDays(365))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, issuedDir, FormatSerial(leaf.SerialNumber)+".pem")); err != nil {
		t.Errorf("issued certificate not recorded: %v", err)
	}
	if leaf.SerialNumber.BitLen() < 100 {
		t.Errorf("serial %s has only %d bits", FormatSerial(leaf.SerialNumber), leaf.SerialNumber.BitLen())
	}
	if err := ca.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened from disk, the CA issues, revokes and signs CRLs.
	ca, err = OpenCA(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	client, err := ca.Issue(ctx, newKey(t, alg).Public(), mustSubject(t, "CN=case-system-1,O=某某市"), ProfileClient, ValidDays(30))
	if err != nil {
		t.Fatal(err)
	}

	pool := NewPool(ca.Certificate())
	chain, err := VerifyChain(leaf, nil, pool, VerifyOptions{KeyUsage: UsageSeal})
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 2 || !chain[1].Equal(root) {
		t.Fatalf("chain of %d", len(chain))
	}

	caPEM := filepath.Join(dir, caCertFile)
	leafPEM := writeFile(t, tmp, "seal.pem", EncodePEM(leaf))
	clientPEM := writeFile(t, tmp, "client.pem", EncodePEM(client))
	openssl := testenv.Tool(t, "openssl", "openssl")
	verify := func(args ...string) []string {
		opts := []string{"verify"}
		if alg == hsm.SM2 {
			opts = append(opts, opensslSM2ID...)
		}
		return append(opts, args...)
	}
	if out := testenv.Run(t, nil, openssl, verify("-CAfile", caPEM, leafPEM)...); !strings.Contains(out, "seal.pem: OK") {
		t.Errorf("openssl verify: %s", out)
	}
	if alg == hsm.SM2 {
		// The signature covers Z_A of the standard ID; any other ID fails.
		if out, err := testenv.Output(nil, openssl, "verify", "-vfyopt", "distid:0000000000000000", "-CAfile", caPEM, leafPEM); err == nil {
			t.Errorf("openssl verify with a wrong SM2 ID passed:\n%s", out)
		}
	}
	// OpenSSL's S/MIME signing purpose is the closest to document signing:
	// the seal profile passes, the TLS client profile does not.
	testenv.Run(t, nil, openssl, verify("-purpose", "smimesign", "-CAfile", caPEM, leafPEM)...)
	if out, err := testenv.Output(nil, openssl, verify("-purpose", "smimesign", "-CAfile", caPEM, clientPEM)...); err == nil {
		t.Errorf("openssl accepted a TLS client certificate for S/MIME signing:\n%s", out)
	}
	testenv.Run(t, nil, openssl, verify("-purpose", "sslclient", "-CAfile", caPEM, clientPEM)...)

	text := testenv.Run(t, nil, openssl, "x509", "-in", leafPEM, "-noout", "-text", "-nameopt", "utf8,sep_comma_plus")
	want := []string{"Digital Signature, Non Repudiation", "X509v3 Key Usage: critical", "某某市市场监督管理局电子印章",
		"X509v3 Subject Key Identifier", "X509v3 Authority Key Identifier"}
	if alg == hsm.SM2 {
		want = append(want, "Signature Algorithm: SM2-with-SM3", "ASN1 OID: SM2")
	} else {
		want = append(want, "Signature Algorithm: ecdsa-with-SHA256", "NIST CURVE: P-256")
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("openssl x509 -text lacks %q:\n%s", w, text)
		}
	}
	if strings.Contains(text, "Extended Key Usage") {
		t.Errorf("seal certificate has an extended key usage:\n%s", text)
	}

	// Revocation, persisted, and a CRL that OpenSSL accepts.
	if err := ca.Revoke(leaf.SerialNumber, KeyCompromise); err != nil {
		t.Fatal(err)
	}
	if err := ca.Revoke(leaf.SerialNumber, Superseded); !errors.Is(err, ErrAlreadyRevoked) {
		t.Errorf("second revocation: %v, want ErrAlreadyRevoked", err)
	}
	if err := ca.Revoke(root.SerialNumber, KeyCompromise); !errors.Is(err, ErrNotIssued) {
		t.Errorf("revoking a serial never issued: %v, want ErrNotIssued", err)
	}
	der, err := ca.CRL(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	crl, err := ParseCRL(der)
	if err != nil {
		t.Fatal(err)
	}
	if crl.Number.Int64() != 1 || len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].ReasonCode != int(KeyCompromise) {
		t.Errorf("CRL number %s, %d entries", crl.Number, len(crl.RevokedCertificateEntries))
	}
	if d := crl.NextUpdate.Sub(crl.ThisUpdate); d != DefaultCRLValidity {
		t.Errorf("CRL valid for %s, want %s", d, DefaultCRLValidity)
	}
	if !bytes.Equal(crl.AuthorityKeyId, root.SubjectKeyId) {
		t.Errorf("CRL AKI %x, CA SKI %x", crl.AuthorityKeyId, root.SubjectKeyId)
	}
	crlPath := writeFile(t, tmp, "ca.crl", der)
	opensslVerifyCRL(t, openssl, alg, crlPath, caPEM, crl)
	out := testenv.Run(t, nil, openssl, "crl", "-inform", "DER", "-in", crlPath, "-noout", "-text")
	for _, w := range []string{strings.ToUpper(FormatSerial(leaf.SerialNumber)), "Key Compromise", "Version 2 (0x1)", "X509v3 CRL Number"} {
		if !strings.Contains(out, w) {
			t.Errorf("openssl crl -text lacks %q:\n%s", w, out)
		}
	}
	if alg == hsm.SM2 && !strings.Contains(out, "SM2-with-SM3") {
		t.Errorf("openssl crl -text does not name SM2-with-SM3:\n%s", out)
	}
	// openssl verify with the CRL says revoked. (Not for SM2: OpenSSL 3.0
	// cannot be given the SM2 ID for CRL signatures.)
	if alg == hsm.P256 {
		bundle := writeFile(t, tmp, "ca+crl.pem", append(EncodePEM(root), pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})...))
		if out, err := testenv.Output(nil, openssl, "verify", "-crl_check", "-CAfile", bundle, leafPEM); err == nil || !strings.Contains(out, "revoked") {
			t.Errorf("openssl verify -crl_check of a revoked certificate: %v\n%s", err, out)
		}
		testenv.Run(t, nil, openssl, "verify", "-crl_check", "-CAfile", bundle, clientPEM)
	}

	_, err = VerifyChain(leaf, nil, pool, VerifyOptions{KeyUsage: UsageSeal, CRLs: []*CRL{crl}, RequireCRL: true})
	wantChainError(t, err, Revoked, leaf)
	if _, err := VerifyChain(client, nil, pool, VerifyOptions{CRLs: []*CRL{crl}, RequireCRL: true}); err != nil {
		t.Errorf("client certificate, not revoked: %v", err)
	}

	// CRL numbers grow across processes.
	ca.Close()
	ca, err = OpenCA(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	der2, err := ca.CRL(ctx, time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	crl2, err := ParseCRL(der2)
	if err != nil {
		t.Fatal(err)
	}
	if crl2.Number.Int64() != 2 || len(crl2.RevokedCertificateEntries) != 1 {
		t.Errorf("second CRL: number %s, %d entries", crl2.Number, len(crl2.RevokedCertificateEntries))
	}
	var m caMeta
	raw, _ := os.ReadFile(filepath.Join(dir, caMetaFile))
	if err := json.Unmarshal(raw, &m); err != nil || m.CRLNumber != 2 {
		t.Errorf("ca.json CRL number %d, %v", m.CRLNumber, err)
	}
	checkModes(t, dir)
}

// checkModes wants 0600 files and 0700 directories, no temp files left.
func checkModes(t *testing.T, dir string) {
	t.Helper()
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			t.Error(err)
			return nil
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), want)
		}
		if strings.Contains(fi.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

func TestOpenCAErrors(t *testing.T) {
	t.Setenv(hsm.PassphraseEnv, testPassphrase)
	ctx := t.Context()
	if _, err := OpenCA(ctx, t.TempDir()); !errors.Is(err, ErrNotCA) {
		t.Errorf("OpenCA of an empty directory: %v, want ErrNotCA", err)
	}
	dir := t.TempDir()
	ca, err := InitCA(ctx, dir, InitOptions{Algorithm: hsm.SM2, Org: "Test"})
	if err != nil {
		t.Fatal(err)
	}
	ca.Close()
	t.Setenv(hsm.PassphraseEnv, "a wrong passphrase")
	if _, err := OpenCA(ctx, dir); !errors.Is(err, hsm.ErrBadPIN) {
		t.Errorf("OpenCA with a wrong passphrase: %v, want hsm.ErrBadPIN", err)
	}
}

// TestInitCAExternalKeystore puts the CA key in a keystore outside the CA
// directory, named by a URI whose secret must not reach ca.json.
func TestInitCAExternalKeystore(t *testing.T) {
	ctx := t.Context()
	tmp := t.TempDir()
	pass := writeFile(t, tmp, "pass", []byte(testPassphrase+"\n"))
	keys := filepath.Join(tmp, "hsm")
	uri := "file:" + keys + "?passphrase-file=" + pass

	// A key made beforehand (a key ceremony) is used only on request.
	ks, err := hsm.Open(uri)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Generate(ctx, "root-2026", hsm.P256); err != nil {
		t.Fatal(err)
	}
	ks.Close()
	if _, err := InitCA(ctx, filepath.Join(tmp, "a"), InitOptions{Algorithm: hsm.P256, Org: "Test", Keystore: uri, Label: "root-2026"}); !errors.Is(err, hsm.ErrKeyExists) {
		t.Fatalf("InitCA over an existing key: %v, want hsm.ErrKeyExists", err)
	}
	if _, err := InitCA(ctx, filepath.Join(tmp, "b"), InitOptions{Algorithm: hsm.SM2, Org: "Test", Keystore: uri, Label: "root-2026", ExistingKey: true}); err == nil || !strings.Contains(err.Error(), "not sm2") {
		t.Fatalf("InitCA with an existing key of another algorithm: %v", err)
	}
	dir := filepath.Join(tmp, "c")
	ca, err := InitCA(ctx, dir, InitOptions{Algorithm: hsm.P256, Org: "Test", Keystore: uri, Label: "root-2026", ExistingKey: true})
	if err != nil {
		t.Fatal(err)
	}
	ca.Close()
	if _, err := os.Stat(filepath.Join(dir, defaultKeysDir)); err == nil {
		t.Error("a keys/ directory was made although the key is elsewhere")
	}
	ca, err = OpenCA(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ca.Close()
	if _, err := ca.Issue(ctx, newKey(t, hsm.P256).Public(), mustSubject(t, "CN=x"), ProfileSeal, ValidDays(1)); err != nil {
		t.Fatal(err)
	}
}

// opensslSM2ID tells OpenSSL 3.0 the SM2 distinguishing ID of GB/T 35276
// and GM/T 0015 certificates; OpenSSL 3.0 otherwise uses an empty ID.
var opensslSM2ID = []string{"-vfyopt", "distid:1234567812345678"}

// opensslVerifyCRL has OpenSSL check a CRL's signature with the CA
// certificate at caPEM. For P-256 that is `openssl crl -verify`. OpenSSL
// 3.0 verifies CRL signatures with an empty SM2 ID and has no option to
// change it, so for SM2 the TBSCertList and signature go to `openssl
// pkeyutl -verify` with the standard ID.
func opensslVerifyCRL(t *testing.T, openssl string, alg hsm.Algorithm, crlPath, caPEM string, crl *CRL) {
	t.Helper()
	if alg == hsm.P256 {
		out := testenv.Run(t, nil, openssl, "crl", "-inform", "DER", "-in", crlPath, "-noout", "-verify", "-CAfile", caPEM)
		if !strings.Contains(out, "verify OK") {
			t.Errorf("openssl crl -verify: %s", out)
		}
		return
	}
	dir := t.TempDir()
	pub := writeFile(t, dir, "pub.pem", []byte(testenv.Run(t, nil, openssl, "x509", "-in", caPEM, "-noout", "-pubkey")))
	tbs := writeFile(t, dir, "tbs.der", crl.RawTBSRevocationList)
	sig := writeFile(t, dir, "sig.der", crl.Signature)
	out := testenv.Run(t, nil, openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
		"-in", tbs, "-sigfile", sig, "-pkeyopt", "distid:1234567812345678")
	if !strings.Contains(out, "Signature Verified Successfully") {
		t.Errorf("openssl pkeyutl -verify of the CRL signature: %s", out)
	}
}

// opensslRejectsCRL wants OpenSSL to reject the CRL's signature against
// the CA certificate at caPEM.
func opensslRejectsCRL(t *testing.T, openssl string, alg hsm.Algorithm, crlPath, caPEM string, crl *CRL) {
	t.Helper()
	if alg == hsm.P256 {
		out, _ := testenv.Output(nil, openssl, "crl", "-inform", "DER", "-in", crlPath, "-noout", "-verify", "-CAfile", caPEM)
		if strings.Contains(out, "verify OK") {
			t.Errorf("openssl crl -verify accepted a CRL it should not:\n%s", out)
		}
		return
	}
	dir := t.TempDir()
	pub := writeFile(t, dir, "pub.pem", []byte(testenv.Run(t, nil, openssl, "x509", "-in", caPEM, "-noout", "-pubkey")))
	tbs := writeFile(t, dir, "tbs.der", crl.RawTBSRevocationList)
	sig := writeFile(t, dir, "sig.der", crl.Signature)
	out, err := testenv.Output(nil, openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
		"-in", tbs, "-sigfile", sig, "-pkeyopt", "distid:1234567812345678")
	if err == nil || strings.Contains(out, "Verified Successfully") {
		t.Errorf("openssl pkeyutl accepted a CRL signature it should not:\n%s", out)
	}
}
