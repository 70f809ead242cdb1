// Package tsa asks an RFC 3161 time-stamping authority over HTTP (RFC 3161
// 3.4) for a time-stamp token over a digest: the signature time-stamp of a
// seal (PAdES B-T), so that the time a seal was made rests on a third
// party's clock rather than on the signer's.
package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/eseal-project/eseal/seal/cms"
)

// maxReply bounds the authority's answer: a token with its certificates
// is a few kilobytes.
const maxReply = 256 << 10

// Client asks one authority.
type Client struct {
	URL  string
	HTTP *http.Client // default: a client with a 30 s timeout
}

var hashOIDs = map[crypto.Hash]asn1.ObjectIdentifier{
	crypto.SHA256: {2, 16, 840, 1, 101, 3, 4, 2, 1},
	crypto.SHA384: {2, 16, 840, 1, 101, 3, 4, 2, 2},
	crypto.SHA512: {2, 16, 840, 1, 101, 3, 4, 2, 3},
}

// Stamp returns a DER time-stamp token over msg, hashed with h (SHA-256,
// SHA-384 or SHA-512). The token is checked to answer this request: its
// message imprint, its nonce, and the authority's signature.
func (c *Client) Stamp(ctx context.Context, msg []byte, h crypto.Hash) ([]byte, error) {
	if _, ok := hashOIDs[h]; !ok {
		return nil, fmt.Errorf("tsa: hash %v: want SHA-256, SHA-384 or SHA-512", h)
	}
	hh := h.New()
	hh.Write(msg)
	return c.StampDigest(ctx, hh.Sum(nil), h)
}

// StampDigest is Stamp for a message already hashed with h, such as the
// byte ranges of a document time-stamp.
func (c *Client) StampDigest(ctx context.Context, digest []byte, h crypto.Hash) ([]byte, error) {
	oid, ok := hashOIDs[h]
	if !ok || len(digest) != h.Size() {
		return nil, fmt.Errorf("tsa: a %d-byte digest with hash %v: want a SHA-256, SHA-384 or SHA-512 digest", len(digest), h)
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return nil, err
	}
	// RFC 3161 2.4.1 TimeStampReq.
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oid)
				b.AddASN1NULL()
			})
			b.AddASN1OctetString(digest)
		})
		b.AddASN1BigInt(nonce)
		b.AddASN1Boolean(true) // certReq: the token carries the authority's certificate
	})
	req, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(req))
	if err != nil {
		return nil, fmt.Errorf("tsa: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/timestamp-query")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("tsa: %s did not answer: %w", c.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return nil, fmt.Errorf("tsa: reading the answer of %s: %w", c.URL, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("tsa: %s answered HTTP %d", c.URL, resp.StatusCode)
	}
	if len(body) > maxReply {
		return nil, fmt.Errorf("tsa: the answer of %s is larger than %d bytes", c.URL, maxReply)
	}
	token, err := parseResponse(body)
	if err != nil {
		return nil, fmt.Errorf("tsa: %s: %w", c.URL, err)
	}
	ts, err := cms.ParseTimestamp(token)
	if err != nil {
		return nil, fmt.Errorf("tsa: %s: %w", c.URL, err)
	}
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, fmt.Errorf("tsa: %s answered with another nonce: not an answer to this request", c.URL)
	}
	if !ts.ImprintAlg.Equal(oid) || !bytes.Equal(ts.HashedMessage, digest) {
		return nil, fmt.Errorf("tsa: %s time-stamped another message than the one sent", c.URL)
	}
	if err := ts.VerifySignature(); err != nil {
		return nil, fmt.Errorf("tsa: %s: %w", c.URL, err)
	}
	return ts.Raw, nil
}

// parseResponse reads RFC 3161 2.4.2 TimeStampResp and returns the token
// of a granted request.
func parseResponse(b []byte) ([]byte, error) {
	in := cryptobyte.String(b)
	var resp, status cryptobyte.String
	var code int64
	if !in.ReadASN1(&resp, cbasn1.SEQUENCE) || !resp.ReadASN1(&status, cbasn1.SEQUENCE) || !status.ReadASN1Int64WithTag(&code, cbasn1.INTEGER) {
		return nil, errors.New("the answer is not a TimeStampResp")
	}
	// PKIStatus: 0 granted, 1 grantedWithMods; 2 rejection, 3 waiting,
	// 4 revocationWarning, 5 revocationNotification.
	if code != 0 && code != 1 {
		return nil, fmt.Errorf("the request was not granted (PKIStatus %d)", code)
	}
	var token cryptobyte.String
	if !resp.ReadASN1Element(&token, cbasn1.SEQUENCE) {
		return nil, errors.New("a granted answer without a time-stamp token")
	}
	return token, nil
}
