// Verification receipts (核验回执): a signed record that a node checked
// something, what it found and when, so that a case system can file it in
// place of a paper copy and anyone can check it offline.
//
// A receipt is a compact JWS (typ "eseal-receipt+jws") signed by the
// node's key, with the node's certificate chain in the protected header
// "eseal-x5c" (as x5c of RFC 7515 4.1.6, base64 DER, the node's certificate
// first; not "x5c" itself, which JOSE libraries parse with X.509 code that
// knows no SM2). VerifyReceipt checks the signature with that certificate
// and the certificate against trust anchors.

package verify

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/jws"
)

// TypReceipt is the media type of receipts.
const TypReceipt = "eseal-receipt+jws"

const chainHeader = "eseal-x5c"

// AuditRef locates the receipt's entry in the node's audit log.
type AuditRef struct {
	Index      uint64   `json:"index"`
	TreeSize   uint64   `json:"treeSize,omitempty"`
	Root       string   `json:"root,omitempty"`      // base64 RFC 6962 root of the first TreeSize entries
	Leaf       string   `json:"leaf,omitempty"`      // base64 of the entry as logged
	Inclusion  []string `json:"inclusion,omitempty"` // base64 hashes: the entry's inclusion proof
	Checkpoint string   `json:"checkpoint,omitempty"`
}

// Verify checks the entry's inclusion proof against the root.
func (a *AuditRef) Verify() error {
	if a.TreeSize == 0 {
		return nil // no proof carried
	}
	leaf, err := base64.StdEncoding.DecodeString(a.Leaf)
	if err != nil {
		return fmt.Errorf("audit leaf: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(a.Root)
	if err != nil {
		return fmt.Errorf("audit root: %v", err)
	}
	var proof [][]byte
	for _, h := range a.Inclusion {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil {
			return fmt.Errorf("audit proof: %v", err)
		}
		proof = append(proof, b)
	}
	return audit.VerifyInclusion(leaf, a.Index, a.TreeSize, proof, root)
}

// Receipt is what was checked, the verdict, the time, the node and a hash
// of the input.
type Receipt struct {
	ID          string          `json:"id"`
	Node        string          `json:"node"`
	Region      string          `json:"region,omitempty"`
	Kind        string          `json:"kind"` // pdf, license, holder-lookup
	Subject     string          `json:"subject,omitempty"`
	InputSHA256 string          `json:"inputSha256"`
	Verdict     Verdict         `json:"verdict"`
	Reason      Reason          `json:"reason"`
	Detail      string          `json:"detail,omitempty"`
	CheckedAt   time.Time       `json:"checkedAt"`
	Client      string          `json:"client,omitempty"`
	Report      json.RawMessage `json:"report,omitempty"`
	Audit       *AuditRef       `json:"audit,omitempty"`
}

// NewReceiptID makes a receipt identifier.
func NewReceiptID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "rcpt_" + base64.RawURLEncoding.EncodeToString(b)
}

// InputHash is the hex SHA-256 of the input checked.
func InputHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SignReceipt signs a receipt with the node's key; chain is the node's
// certificate first.
func SignReceipt(r *Receipt, signer crypto.Signer, chain []*smx509.Certificate) (string, error) {
	if r.ID == "" {
		r.ID = NewReceiptID()
	}
	payload, err := json.Marshal(r)
	if err != nil {
		return "", err
	}
	var x5c []string
	for _, c := range chain {
		x5c = append(x5c, base64.StdEncoding.EncodeToString(c.Raw))
	}
	extra := map[string]any{}
	if len(x5c) > 0 {
		extra[chainHeader] = x5c
	}
	return jws.Sign(signer, TypReceipt, payload, extra)
}

// ErrBadReceipt reports a receipt that is malformed or does not verify.
var ErrBadReceipt = errors.New("receipt does not verify")

// VerifiedReceipt is a receipt whose signature and signer checked out.
type VerifiedReceipt struct {
	Receipt
	Signer *smx509.Certificate
}

// VerifyReceipt checks a receipt offline: the signature with the
// certificate in its header, and that certificate against the trust
// anchors at the receipt's time.
func VerifyReceipt(token string, trust *certs.Pool) (*VerifiedReceipt, error) {
	obj, h, err := jws.Parse(string(bytes.TrimSpace([]byte(token))))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReceipt, err)
	}
	if h.Type != TypReceipt {
		return nil, fmt.Errorf("%w: media type %q is not %s", ErrBadReceipt, h.Type, TypReceipt)
	}
	raw, _ := h.Extra[chainHeader].([]any)
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: no signer certificate (%s)", ErrBadReceipt, chainHeader)
	}
	var chain []*smx509.Certificate
	for _, v := range raw {
		s, _ := v.(string)
		der, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadReceipt, chainHeader, err)
		}
		c, err := smx509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrBadReceipt, chainHeader, err)
		}
		chain = append(chain, c)
	}
	pub, ok := chain[0].PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: the signer certificate has no EC key", ErrBadReceipt)
	}
	if kid, _ := jws.KeyID(pub); h.KeyID != "" && kid != h.KeyID {
		return nil, fmt.Errorf("%w: the key id does not match the signer certificate", ErrBadReceipt)
	}
	payload, err := jws.Verify(obj, pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReceipt, err)
	}
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReceipt, err)
	}
	if trust == nil || trust.Len() == 0 {
		return nil, fmt.Errorf("%w: no trust anchors to check the node's certificate against (--trust)", ErrBadReceipt)
	}
	if _, err := certs.VerifyChain(chain[0], chain[1:], trust, certs.VerifyOptions{Time: r.CheckedAt, KeyUsage: certs.UsageSeal}); err != nil {
		return nil, fmt.Errorf("%w: the node's certificate: %v", ErrBadReceipt, err)
	}
	if r.Audit != nil {
		if err := r.Audit.Verify(); err != nil {
			return nil, fmt.Errorf("%w: its audit log entry: %v", ErrBadReceipt, err)
		}
	}
	return &VerifiedReceipt{Receipt: r, Signer: chain[0]}, nil
}
