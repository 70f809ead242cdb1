package federation

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/license"
)

func TestSignParseRoundTrip(t *testing.T) {
	f := newFederation(t)
	in := f.list(t, 7)
	tok := f.sign(t, in)
	tl, err := ParseAt(tok, f.now.Add(time.Hour), f.fedKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	if tl.Federation != in.Federation || tl.Sequence != 7 || !tl.IssuedAt.Equal(in.IssuedAt) || !tl.NextUpdate.Equal(in.NextUpdate) || len(tl.Regions) != 3 {
		t.Fatalf("parsed list differs: %+v", tl)
	}
	if tl.Token() != tok {
		t.Error("Token() is not the token parsed")
	}
	kid, _ := license.KeyID(f.fedKey.Public())
	if tl.KeyID() != kid {
		t.Errorf("KeyID() = %s, want %s", tl.KeyID(), kid)
	}
	if tl.Digest() != in.Digest() || tl.Digest() == "" {
		t.Errorf("digest %q of the parsed list differs from %q of the source", tl.Digest(), in.Digest())
	}

	if r := tl.Region("370000"); r == nil || r.Name != "山东省" {
		t.Errorf("Region(370000) = %v", r)
	}
	if r := tl.Region("110000"); r != nil {
		t.Errorf("Region(110000) = %v, want nil", r)
	}
	if r, err := tl.RegionForLicense(licenseID(t, usccSD2, 9)); err != nil || r.Code != "370000" {
		t.Errorf("RegionForLicense(山东 issuer) = %v, %v", r, err)
	}
	if _, err := tl.RegionForLicense(licenseID(t, usccXX, 9)); !errors.Is(err, ErrUnknownRegion) {
		t.Errorf("RegionForLicense(issuer in no region) = %v, want ErrUnknownRegion", err)
	}

	// Issuer keys: 浙江's is bound to its issuer, 山东's to none, 吉林's is
	// refused because 吉林 is suspended.
	keys := tl.IssuerKeys()
	kidZJ, _ := license.KeyID(f.issuerZJ.Public())
	k, err := keys(kidZJ)
	if err != nil || k.IssuerCode != usccZJ || k.Cert == nil || !k.Public.Equal(f.issuerZJ.Public()) {
		t.Errorf("issuer key of 浙江 = %+v, %v", k, err)
	}
	kidSD, _ := license.KeyID(f.issuerSD.Public())
	if k, err := keys(kidSD); err != nil || k.IssuerCode != "" || k.Cert != nil {
		t.Errorf("issuer key of 山东 = %+v, %v", k, err)
	}
	kidJL, _ := license.KeyID(f.issuerJL.Public())
	if _, err := keys(kidJL); err == nil || !strings.Contains(err.Error(), "suspended") {
		t.Errorf("issuer key of suspended 吉林 = %v, want an error saying it is suspended", err)
	}
	if _, err := keys("nosuchkey"); err == nil {
		t.Error("unknown key id found")
	}

	// A license token signed by 浙江's issuer verifies with the list.
	lt, err := license.SignToken(f.issuerZJ, license.TypLicense, []byte(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	v, err := license.VerifyToken(lt, keys)
	if err != nil || v.Key.IssuerCode != usccZJ {
		t.Fatalf("license token with the trust list's keys: %v", err)
	}

	pool := tl.Pool()
	if pool.Len() != 2 || !pool.Contains(f.caZJ.Certificate()) || !pool.Contains(f.caSD.Certificate()) {
		t.Errorf("pool has %d certificates, want the CAs of the two active regions", pool.Len())
	}
	chain, err := certs.VerifyChain(f.issuerZJCert, nil, pool, certs.VerifyOptions{})
	if err != nil || len(chain) != 2 {
		t.Errorf("issuer certificate does not chain to the pool: %v", err)
	}

	un, err := ParseUnverified(tok)
	if err != nil || un.Digest() != tl.Digest() || un.KeyID() != kid {
		t.Errorf("ParseUnverified = %v, %v", un, err)
	}
}

func TestSignParseP256FederationKey(t *testing.T) {
	f := newFederation(t)
	fed := p256Key(t)
	tok, err := Sign(f.list(t, 1), fed)
	if err != nil {
		t.Fatal(err)
	}
	// The verifier may hold several keys, as during a key rollover.
	if _, err := Parse(tok, f.fedKey.Public(), fed.Public()); err != nil {
		t.Fatal(err)
	}
}

// flip changes one character of segment seg (0 header, 1 payload, 2
// signature) of a compact JWS to another base64url character.
func flip(tok string, seg int) string {
	parts := strings.Split(tok, ".")
	b := []byte(parts[seg])
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	parts[seg] = string(b)
	return strings.Join(parts, ".")
}

func TestParseRefusesTampering(t *testing.T) {
	f := newFederation(t)
	tok := f.sign(t, f.list(t, 1))
	other := sm2Key(t)
	otherTok, err := Sign(f.list(t, 1), other)
	if err != nil {
		t.Fatal(err)
	}
	licenseTok, err := license.SignToken(f.fedKey, license.TypLicense, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token string
		want        error
		says        string
	}{
		{"flipped payload byte", flip(tok, 1), ErrSignature, "does not verify"},
		{"flipped signature byte", flip(tok, 2), ErrSignature, "does not verify"},
		{"signed by another key", otherTok, ErrSignature, "not a federation key"},
		{"a license token", licenseTok, ErrMalformed, `type is "eseal-license+jws"`},
		{"not a JWS", "hello", ErrMalformed, "not a compact JWS"},
		{"empty", "", ErrMalformed, "not a compact JWS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseAt(tc.token, f.now, f.fedKey.Public())
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("got %v, want %v saying %q", err, tc.want, tc.says)
			}
		})
	}
	if _, err := ParseAt(tok, f.now); err == nil {
		t.Error("parsed without a federation key")
	}
}

func TestParseExpired(t *testing.T) {
	f := newFederation(t)
	tok := f.sign(t, f.list(t, 1))
	at := f.now.Add(31 * 24 * time.Hour)
	_, err := ParseAt(tok, at, f.fedKey.Public())
	var exp *ExpiredError
	if !errors.Is(err, ErrExpired) || !errors.As(err, &exp) {
		t.Fatalf("got %v, want an ExpiredError", err)
	}
	want := f.now.Add(30 * 24 * time.Hour).Format(time.RFC3339)
	if !strings.Contains(err.Error(), "expired at "+want) || !strings.Contains(err.Error(), "24h0m0s ago") {
		t.Errorf("error %q does not name the expiry %s and how long ago", err, want)
	}
	if exp.List == nil || exp.List.Sequence != 1 {
		t.Error("ExpiredError does not hold the list")
	}
	// At the very instant of nextUpdate the list has expired.
	if _, err := ParseAt(tok, f.now.Add(30*24*time.Hour), f.fedKey.Public()); !errors.Is(err, ErrExpired) {
		t.Errorf("at nextUpdate: %v, want ErrExpired", err)
	}
	// A list issued in the future (beyond clock skew) is refused too.
	if _, err := ParseAt(tok, f.now.Add(-time.Hour), f.fedKey.Public()); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "clock") {
		t.Errorf("before issuedAt: %v, want ErrInvalid mentioning the clock", err)
	}
}

func TestSignRefusesExpiredList(t *testing.T) {
	f := newFederation(t)
	tl := f.list(t, 1)
	tl.IssuedAt, tl.NextUpdate = f.now.Add(-48*time.Hour), f.now.Add(-24*time.Hour)
	if _, err := Sign(tl, f.fedKey); err == nil || !strings.Contains(err.Error(), "has passed") {
		t.Fatalf("Sign of an expired list: %v", err)
	}
}

func TestCheckSuccessor(t *testing.T) {
	f := newFederation(t)
	five := f.parsed(t, 5)
	for _, tc := range []struct {
		name string
		next *TrustList
		want error
		says string
	}{
		{"newer", f.parsed(t, 6), nil, ""},
		{"older", f.parsed(t, 4), ErrRollback, "older than the current"},
		{"same, signed again", f.parsed(t, 5), ErrUnchanged, ""},
		{"same sequence, other content", func() *TrustList {
			tl := f.list(t, 5)
			tl.Regions[1].Status = RegionWithdrawn
			p, err := ParseAt(f.sign(t, tl), f.now, f.fedKey.Public())
			if err != nil {
				t.Fatal(err)
			}
			return p
		}(), ErrRollback, "other content"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSuccessor(five, tc.next)
			if !errors.Is(err, tc.want) || (err != nil && !strings.Contains(err.Error(), tc.says)) {
				t.Fatalf("got %v, want %v saying %q", err, tc.want, tc.says)
			}
		})
	}
	if err := CheckSuccessor(nil, five); err != nil {
		t.Errorf("first list: %v", err)
	}
}

// signedPayload signs JSON as a trust list without Sign's checks, as a
// careless or hostile federation tool might.
func signedPayload(t *testing.T, f *federation, tl *TrustList, edit func(string) string) string {
	t.Helper()
	b, err := tl.JSON()
	if err != nil {
		t.Fatal(err)
	}
	tok, err := license.SignToken(f.fedKey, TypTrustList, []byte(edit(string(b))))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestInvalidContent(t *testing.T) {
	f := newFederation(t)
	badDER := base64.StdEncoding.EncodeToString(f.caZJ.Certificate().Raw[:100])
	other := newCA(t, sm2Key(t), "某CA")
	stranger := issue(t, other, f.issuerZJ.Public(), "stranger")
	for _, tc := range []struct {
		name string
		edit func(*TrustList)
		says string
	}{
		{"malformed CA certificate", func(tl *TrustList) { tl.Regions[0].CACertificates = []string{badDER} }, "caCertificates[0]"},
		{"CA certificate not base64", func(tl *TrustList) { tl.Regions[0].CACertificates = []string{"not a certificate!"} }, "neither PEM nor base64"},
		{"truncated PEM", func(tl *TrustList) {
			tl.Regions[0].CACertificates = []string{"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}
		}, "caCertificates[0]"},
		{"issuer certificate malformed", func(tl *TrustList) { tl.Regions[0].IssuerKeys[0].Certificate = badDER }, "issuerKeys[0]: certificate"},
		{"leaf as CA", func(tl *TrustList) {
			tl.Regions[0].CACertificates = append(tl.Regions[0].CACertificates, string(certs.EncodePEM(f.issuerZJCert)))
		}, "not a CA certificate"},
		{"issuer certificate from another CA", func(tl *TrustList) {
			tl.Regions[0].IssuerKeys[0].Certificate = string(certs.EncodePEM(stranger))
		}, "does not chain"},
		{"key id mismatch", func(tl *TrustList) { tl.Regions[1].IssuerKeys[0].KeyID = "AAAAAAAAAAAAAAAA" }, "does not match the key"},
		{"issuer key for an issuer elsewhere", func(tl *TrustList) { tl.Regions[0].IssuerKeys[0].USCC = usccSD1 }, "not among the region's issuers"},
		{"issuer in two regions", func(tl *TrustList) {
			tl.Regions[2].Issuers = append(tl.Regions[2].Issuers, Issuer{USCC: usccZJ})
		}, "issuer of region 330000"},
		{"key in two regions", func(tl *TrustList) { tl.Regions[2].NodeKeys = tl.Regions[0].NodeKeys }, "listed twice"},
		{"bad USCC", func(tl *TrustList) { tl.Regions[1].Issuers[0].USCC = "11370800MB28559185" }, "check character"},
		{"bad region code", func(tl *TrustList) { tl.Regions[1].Code = "37000" }, "six digits"},
		{"same region twice", func(tl *TrustList) { tl.Regions[1].Code = "330000" }, "listed twice"},
		{"bad status", func(tl *TrustList) { tl.Regions[1].Status = "paused" }, "want active, suspended or withdrawn"},
		{"endpoint with query", func(tl *TrustList) { tl.Regions[1].Endpoints = []string{"https://x.example/?a=b"} }, "base URL"},
		{"endpoint not http", func(tl *TrustList) { tl.Regions[1].Endpoints = []string{"ftp://x.example"} }, "http or https"},
		{"P-384 key", func(tl *TrustList) { tl.Regions[1].NodeKeys[0] = Key{PublicKey: p384PEM(t)} }, "want SM2 or ECDSA P-256"},
		{"sequence 0", func(tl *TrustList) { tl.Sequence = 0 }, "sequence is 0"},
		{"no federation name", func(tl *TrustList) { tl.Federation = " " }, "federation name is empty"},
		{"nextUpdate before issuedAt", func(tl *TrustList) { tl.NextUpdate = tl.IssuedAt }, "is not after issuedAt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tl := f.list(t, 1)
			tc.edit(tl)
			// Sign refuses it, and a list signed without Sign's checks
			// does not parse.
			if _, err := Sign(tl, f.fedKey); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Sign: got %v, want ErrInvalid saying %q", err, tc.says)
			}
			tok := signedPayload(t, f, tl, func(s string) string { return s })
			if _, err := ParseAt(tok, f.now, f.fedKey.Public()); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("Parse: got %v, want ErrInvalid saying %q", err, tc.says)
			}
		})
	}

	t.Run("unknown field", func(t *testing.T) {
		tok := signedPayload(t, f, f.list(t, 1), func(s string) string {
			return strings.Replace(s, `"sequence"`, `"maxPathLen":0,"sequence"`, 1)
		})
		if _, err := ParseAt(tok, f.now, f.fedKey.Public()); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "maxPathLen") {
			t.Errorf("got %v, want ErrInvalid naming the unknown field", err)
		}
	})
}

func p384PEM(t *testing.T) string {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pubPEM(t, k.Public())
}

func TestDecodeJSON(t *testing.T) {
	f := newFederation(t)
	b, err := f.list(t, 3).JSON()
	if err != nil {
		t.Fatal(err)
	}
	tl, err := DecodeJSON(b)
	if err != nil || tl.Sequence != 3 {
		t.Fatalf("DecodeJSON = %v, %v", tl, err)
	}
	if _, err := DecodeJSON([]byte(`{"federation":"x","sequnce":1}`)); err == nil || !strings.Contains(err.Error(), "sequnce") {
		t.Errorf("a misspelt field: %v", err)
	}
	if _, err := DecodeJSON(append(b, b...)); err == nil {
		t.Error("two objects accepted")
	}
}
