package cms

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eseal-project/eseal/internal/testenv"
)

func TestBERElement(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string // hex
	}{
		{"DER unchanged", "3006020101020102", "3006020101020102"},
		{"indefinite SEQUENCE", "30800201010201020000", "3006020101020102"},
		{"nested indefinite", "3080a0803080020105000000000000", "3007a0053003020105"},
		{"long-form length not minimal", "3081030201ff", "30030201ff"},
		{"constructed OCTET STRING", "2480040201020401030000", "0403010203"},
		{"constructed OCTET STRING, definite", "240704020102040103", "0403010203"},
		{"constructed BIT STRING", "2380030200ff0302040f0000", "030304ff0f"},
		{"high tag number kept", "bf8a3d800201070000", "bf8a3d03020107"},
	} {
		in, want := unhex(t, tc.in), unhex(t, tc.want)
		got, rest, err := berElement(append(in, 0, 0))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !bytes.Equal(got, want) || !bytes.Equal(rest, []byte{0, 0}) {
			t.Errorf("%s: got %x rest %x, want %x rest 0000", tc.name, got, rest, want)
		}
	}
	for _, tc := range []struct{ name, in, want string }{
		{"no end-of-contents", "3080020101", "without end-of-contents"},
		{"indefinite primitive", "0480010000", "primitive"},
		{"length past the end", "3005020101", "runs past the end"},
		{"truncated header", "30", "truncated"},
		{"segment of another type", "24800201010000", "another type"},
		{"unused bits in a middle segment", "2380030204ff030200ff0000", "BIT STRING segment"},
		{"five-byte length", "308500000000010500", "bad length"},
	} {
		if _, _, err := berElement(unhex(t, tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error with %q", tc.name, err, tc.want)
		}
	}
	deep := bytes.Repeat([]byte{0x30, 0x80}, berMaxDepth+2)
	if _, _, err := berElement(deep); err == nil || !strings.Contains(err.Error(), "deep") {
		t.Errorf("nesting: got %v", err)
	}
}

// toBER re-encodes DER the way NSS and OpenSSL's streaming mode write
// SignedData: every constructed element with an indefinite length, and
// OCTET STRINGs of more than 16 bytes in segments. The signed attributes
// and the certificates stay DER, as they must.
func toBER(t testing.TB, der []byte) []byte {
	t.Helper()
	var enc func(b []byte, depth int) []byte
	enc = func(b []byte, depth int) []byte {
		var out []byte
		for len(b) > 0 {
			tag := b[0]
			n, hdr := derLength(t, b)
			body := b[hdr : hdr+n]
			elem := b[:hdr+n]
			b = b[hdr+n:]
			switch {
			case tag == 0x04 && n > 16:
				out = append(out, 0x24, 0x80)
				for len(body) > 0 {
					k := min(16, len(body))
					out = append(out, 0x04, byte(k))
					out = append(out, body[:k]...)
					body = body[k:]
				}
				out = append(out, 0, 0)
			case tag&0x20 != 0 && depth < 4: // ContentInfo, SignedData and their fields
				out = append(out, tag, 0x80)
				out = append(out, enc(body, depth+1)...)
				out = append(out, 0, 0)
			default:
				out = append(out, elem...)
			}
		}
		return out
	}
	return enc(der, 0)
}

// derLength reads the length of the DER element at b: content length and
// header length (one-byte tags only).
func derLength(t testing.TB, b []byte) (n, hdr int) {
	t.Helper()
	l := int(b[1])
	if l < 0x80 {
		return l, 2
	}
	k := l & 0x7f
	l = 0
	for _, c := range b[2 : 2+k] {
		l = l<<8 | int(c)
	}
	return l, 2 + k
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	var b []byte
	for i := 0; i+1 < len(s); i += 2 {
		var v byte
		for _, c := range s[i : i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c-'a') + 10
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		b = append(b, v)
	}
	return b
}

// Our own SignedData, rewritten in BER as other signers write it, reads
// as the same SignedData and verifies; with a byte of the content or of
// the signature changed it does not.
func TestParseBER(t *testing.T) {
	for _, tc := range profileCases {
		t.Run(tc.name, func(t *testing.T) {
			k := newPKI(t, tc.profile)
			der, err := Sign(bytes.NewReader(content), k.key, k.opts(tc.gm))
			if err != nil {
				t.Fatal(err)
			}
			ber := toBER(t, der)
			if bytes.Equal(ber, der) || !bytes.HasPrefix(ber, []byte{0x30, 0x80}) {
				t.Fatal("the test did not make BER")
			}
			sd, err := Parse(append(ber, make([]byte, 64)...))
			if err != nil {
				t.Fatal(err)
			}
			if !sd.BER || !bytes.Equal(sd.Raw, der) {
				t.Fatalf("BER %v; Raw differs from the DER: %v", sd.BER, !bytes.Equal(sd.Raw, der))
			}
			if err := sd.VerifyContent(bytes.NewReader(content)); err != nil {
				t.Fatal(err)
			}
			if d, _ := Parse(der); d.BER {
				t.Error("DER input reported as BER")
			}
			// Negative twins.
			if err := sd.VerifyContent(bytes.NewReader(flipped(content))); !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("changed content: %v, want ErrDigestMismatch", err)
			}
			bad := bytes.Clone(ber)
			i := bytes.LastIndex(bad, sd.Signature[:8])
			bad[i+4] ^= 0x01
			sd, err = Parse(bad)
			if err != nil {
				t.Fatal(err)
			}
			if err := sd.VerifyContent(bytes.NewReader(content)); !errors.Is(err, ErrBadSignature) {
				t.Errorf("changed signature: %v, want ErrBadSignature", err)
			}
			if _, err := Parse(ber[:len(ber)-2]); !errors.Is(err, ErrMalformed) {
				t.Errorf("BER without its last end-of-contents: %v, want ErrMalformed", err)
			}
		})
	}
}

// Signatures by another implementation, OpenSSL's cms command, in
// algorithms we verify but do not make (RSA, ECDSA P-384, SHA-384 and
// SHA-512), as DER and rewritten in BER (OpenSSL streams BER only with
// the content inside; NSS's detached BER is tested in seal): each
// verifies, and fails with one byte of the content changed or another
// certificate. A 1024-bit RSA key is refused as too weak.
func TestVerifyForeignOpenSSL(t *testing.T) {
	openssl := testenv.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	data := filepath.Join(dir, "content")
	if err := os.WriteFile(data, content, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key string // openssl req -newkey argument
		md        string
		ber       bool
		algorithm string
		weak      bool
	}{
		{"rsa2048-sha256", "rsa:2048", "sha256", false, "RSA-2048-with-SHA256", false},
		{"rsa3072-sha512-ber", "rsa:3072", "sha512", true, "RSA-3072-with-SHA512", false},
		{"p384-sha384", "ec:" + ecParams(t, openssl, dir, "secp384r1"), "sha384", false, "ECDSA-P384-with-SHA384", false},
		{"p256-sha512-ber", "ec:" + ecParams(t, openssl, dir, "prime256v1"), "sha512", true, "ECDSA-P256-with-SHA512", false},
		{"rsa1024", "rsa:1024", "sha256", false, "RSA-1024-with-SHA256", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key, cert, sig := filepath.Join(dir, tc.name+".key"), filepath.Join(dir, tc.name+".pem"), filepath.Join(dir, tc.name+".p7")
			testenv.Run(t, nil, openssl, "req", "-x509", "-newkey", tc.key, "-nodes", "-keyout", key, "-out", cert,
				"-days", "30", "-subj", "/CN="+tc.name+"/O=Other Signer", "-addext", "keyUsage=digitalSignature,nonRepudiation")
			testenv.Run(t, nil, openssl, "cms", "-sign", "-binary", "-in", data, "-signer", cert, "-inkey", key, "-md", tc.md, "-outform", "DER", "-out", sig)
			raw, err := os.ReadFile(sig)
			if err != nil {
				t.Fatal(err)
			}
			if tc.ber {
				raw = toBER(t, raw)
			}
			sd, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if sd.Profile != Foreign || sd.Algorithm() != tc.algorithm {
				t.Fatalf("profile %v, algorithm %s; want foreign, %s", sd.Profile, sd.Algorithm(), tc.algorithm)
			}
			if sd.BER != tc.ber {
				t.Errorf("BER %v, want %v", sd.BER, tc.ber)
			}
			err = sd.VerifyContent(bytes.NewReader(content))
			if tc.weak {
				if !errors.Is(err, ErrUnsupported) {
					t.Fatalf("1024-bit RSA: %v, want ErrUnsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := sd.VerifyContent(bytes.NewReader(flipped(content))); !errors.Is(err, ErrDigestMismatch) {
				t.Errorf("changed content: %v, want ErrDigestMismatch", err)
			}
			// Another signer's certificate put in place of the signer's.
			other := newPKI(t, PAdES)
			sd.Signer = other.cert
			if err := sd.VerifyContent(bytes.NewReader(content)); err == nil {
				t.Error("verifies with another certificate's key")
			}
		})
	}
}

func ecParams(t *testing.T, openssl, dir, curve string) string {
	t.Helper()
	f := filepath.Join(dir, curve+".param")
	testenv.Run(t, nil, openssl, "ecparam", "-name", curve, "-out", f)
	return f
}
