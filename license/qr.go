// The QR code printed on a license: a short URL to this service's page for
// the license, with a compact signed payload in the fragment that a
// verifier app can check offline with the issuer's public key. The payload
// holds no personal data.
//
//	https://HOST/v/<identifier>#<base64url(payload)>
//
// payload (79 bytes):
//
//	0      format, 1
//	1..4   the first 4 bytes of SHA-256 of the issuer key's SPKI (which key)
//	5..6   validity end, days since 2000-01-01, big-endian; 0 = long-term
//	7..14  the first 8 bytes of SHA-256 of the signed license data
//	15..78 SM2 signature r || s over "eseal-qr-v1" || identifier || bytes 0..14
//	       (SM3 with Z_A, default ID); ECDSA P-256/SHA-256 for P-256 issuers
//
// The fragment is never sent to the server, so the page URL in server logs
// carries only the identifier.

package license

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/license/ids"
)

const (
	qrFormat  = 1
	qrLen     = 79
	qrContext = "eseal-qr-v1"
)

var qrEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// ErrBadQR reports a QR payload that is malformed or does not verify.
var ErrBadQR = errors.New("QR payload does not verify")

// QRText makes the text of a license's QR code.
func QRText(baseURL string, d *Data, signedData []byte, issuer crypto.Signer) (string, error) {
	spki, err := smx509.MarshalPKIXPublicKey(issuer.Public())
	if err != nil {
		return "", err
	}
	p := make([]byte, 15, qrLen)
	p[0] = qrFormat
	kh := sha256.Sum256(spki)
	copy(p[1:5], kh[:4])
	if d.ValidTo != "长期" {
		to, err := time.Parse(time.DateOnly, d.ValidTo)
		if err != nil {
			return "", err
		}
		binary.BigEndian.PutUint16(p[5:7], uint16(to.Sub(qrEpoch).Hours()/24))
	}
	dh := sha256.Sum256(signedData)
	copy(p[7:15], dh[:8])
	msg := qrMessage(d.Identifier, p)
	var der []byte
	switch hsm.AlgorithmOf(issuer.Public()) {
	case hsm.SM2:
		der, err = issuer.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
	case hsm.P256:
		h := sha256.Sum256(msg)
		der, err = issuer.Sign(rand.Reader, h[:], crypto.SHA256)
	default:
		return "", errors.New("the issuer key is neither SM2 nor P-256")
	}
	if err != nil {
		return "", err
	}
	raw, err := derToRaw(der)
	if err != nil {
		return "", err
	}
	p = append(p, raw...)
	return strings.TrimRight(baseURL, "/") + "/v/" + d.Identifier + "#" + base64.RawURLEncoding.EncodeToString(p), nil
}

func qrMessage(id string, head []byte) []byte {
	return append(append([]byte(qrContext), id...), head...)
}

// QRClaim is what a verified QR payload says.
type QRClaim struct {
	Identifier string
	ValidTo    time.Time // zero: long-term
	DataDigest []byte    // first 8 bytes of SHA-256 of the signed data
	KeyHint    []byte
}

// VerifyQRText checks a QR code's text offline: the identifier's check
// character and the issuer's signature over the payload. keys are the
// candidate issuer public keys (for example from a trust list).
func VerifyQRText(text string, keys []crypto.PublicKey) (*QRClaim, error) {
	i := strings.Index(text, "/v/")
	j := strings.IndexByte(text, '#')
	if i < 0 || j < i {
		return nil, fmt.Errorf("%w: not a license QR text (/v/<identifier>#<payload>)", ErrBadQR)
	}
	id := text[i+3 : j]
	if _, err := ids.ParseLicenseID(id); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadQR, err)
	}
	p, err := base64.RawURLEncoding.DecodeString(text[j+1:])
	if err != nil || len(p) != qrLen || p[0] != qrFormat {
		return nil, fmt.Errorf("%w: malformed payload", ErrBadQR)
	}
	der, _ := rawToDER(p[15:])
	msg := qrMessage(id, p[:15])
	for _, k := range keys {
		pub, ok := k.(*ecdsa.PublicKey)
		if !ok {
			continue
		}
		spki, err := smx509.MarshalPKIXPublicKey(pub)
		if err != nil {
			continue
		}
		kh := sha256.Sum256(spki)
		if string(kh[:4]) != string(p[1:5]) {
			continue
		}
		okSig := false
		switch hsm.AlgorithmOf(pub) {
		case hsm.SM2:
			okSig = sm2.VerifyASN1WithSM2(pub, nil, msg, der)
		case hsm.P256:
			h := sha256.Sum256(msg)
			okSig = ecdsa.VerifyASN1(pub, h[:], der)
		}
		if !okSig {
			return nil, fmt.Errorf("%w: the issuer's signature does not verify", ErrBadQR)
		}
		c := &QRClaim{Identifier: id, DataDigest: p[7:15], KeyHint: p[1:5]}
		if days := binary.BigEndian.Uint16(p[5:7]); days != 0 {
			c.ValidTo = qrEpoch.AddDate(0, 0, int(days))
		}
		return c, nil
	}
	return nil, fmt.Errorf("%w: signed by an unknown issuer key", ErrBadQR)
}
