package audit

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/internal/store"
)

// Checkpoint is a signed tree head: a C2SP tlog-checkpoint
// (https://c2sp.org/tlog-checkpoint) in a C2SP signed note
// (https://c2sp.org/signed-note), the format of transparency-dev and sigstore
// logs:
//
//	eseal.example.gov.cn/audit                origin: the log's name
//	1000                                      tree size, decimal
//	3JmLFqJ4yD0Z2tq5I0Bhx8bVlyJ7wl8V1KqLqJ4mU9c=   root hash, base64
//	time 2026-05-01T08:00:00Z                 extension line: when it was signed, UTC
//
//	— eseal.example.gov.cn/audit r3Kx...      key name (the origin), base64(key ID || signature)
//
// The signed text is everything before the blank line, including the last
// newline. The key ID is 4 bytes, big-endian, and the signature is DER
// SEQUENCE{r, s}:
//
//   - SM2 keys (national mode): SM2 over SM3(Z_A || text) with the default ID
//     1234567812345678 (GB/T 32918.2, GM/T 0009). Signature type 0xff with the
//     identifier "SM2-with-SM3": key ID = SHA-256(name || 0x0A || 0xff ||
//     "SM2-with-SM3" || SubjectPublicKeyInfo DER)[:4]. OpenSSL 3 checks it:
//     openssl dgst -sm3 -verify pub.pem -sigopt distid:1234567812345678 -signature sig.der text
//   - ECDSA P-256 keys: ECDSA over SHA-256(text), signature type 0x02 as
//     github.com/transparency-dev/witness defines it: key ID =
//     SHA-256(SubjectPublicKeyInfo DER)[:4].
//     openssl dgst -sha256 -verify pub.pem -signature sig.der text
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
	Time   time.Time // UTC, whole seconds

	// Note is the signed note as it was signed and stored.
	Note []byte
	// Signatures are the note's signature lines.
	Signatures []NoteSignature
}

// NoteSignature is one signature line of a signed note.
type NoteSignature struct {
	Name  string // key name
	KeyID uint32
	Sig   []byte // DER SEQUENCE{r, s}
}

// Text returns the signed text of the checkpoint's note.
func (c *Checkpoint) Text() []byte {
	i := bytes.LastIndex(c.Note, []byte("\n\n"))
	if i < 0 {
		return nil
	}
	return c.Note[:i+1]
}

func (c *Checkpoint) String() string {
	return fmt.Sprintf("checkpoint %s size %d root %s at %s", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root), c.Time.Format(time.RFC3339))
}

const (
	sigTypeECDSA     = 0x02
	sigTypeOther     = 0xff
	sm2SigIdentifier = "SM2-with-SM3"
	maxNote          = 64 << 10
	maxSignatures    = 100
	sigPrefix        = "— " // em dash U+2014, space
	timePrefix       = "time "
)

// checkOrigin applies the rules for a log name that is also a note key name.
func checkOrigin(origin string) error {
	if origin == "" {
		return errors.New("audit: empty log origin")
	}
	if !utf8.ValidString(origin) || strings.ContainsFunc(origin, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '+' }) {
		return fmt.Errorf("audit: log origin %q: must be UTF-8 without spaces, control characters or '+', such as eseal.example.gov.cn/audit", origin)
	}
	return nil
}

// keyID is the signed-note key ID of pub under the key name.
func keyID(name string, pub crypto.PublicKey) (uint32, error) {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return 0, fmt.Errorf("audit: checkpoint key %T: want an SM2 or ECDSA P-256 public key", pub)
	}
	spki, err := smx509.MarshalPKIXPublicKey(k)
	if err != nil {
		return 0, fmt.Errorf("audit: checkpoint key: %w", err)
	}
	var sum [32]byte
	switch k.Curve {
	case sm2.P256():
		h := sha256.New()
		h.Write([]byte(name))
		h.Write([]byte{'\n', sigTypeOther})
		h.Write([]byte(sm2SigIdentifier))
		h.Write(spki)
		h.Sum(sum[:0])
	case elliptic.P256():
		sum = sha256.Sum256(spki)
	default:
		return 0, fmt.Errorf("audit: checkpoint key on curve %s: want SM2 or P-256", k.Curve.Params().Name)
	}
	return binary.BigEndian.Uint32(sum[:4]), nil
}

// signText signs a note text the way Checkpoint describes.
func signText(signer crypto.Signer, text []byte) ([]byte, error) {
	k, ok := signer.Public().(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("audit: signer with a %T key: want SM2 or ECDSA P-256", signer.Public())
	}
	switch k.Curve {
	case sm2.P256():
		return signer.Sign(rand.Reader, text, sm2.NewSM2SignerOption(true, nil))
	case elliptic.P256():
		d := sha256.Sum256(text)
		return signer.Sign(rand.Reader, d[:], crypto.SHA256)
	}
	return nil, fmt.Errorf("audit: signer on curve %s: want SM2 or P-256", k.Curve.Params().Name)
}

func verifyText(pub *ecdsa.PublicKey, text, sig []byte) bool {
	switch pub.Curve {
	case sm2.P256():
		return sm2.VerifyASN1WithSM2(pub, nil, text, sig)
	case elliptic.P256():
		d := sha256.Sum256(text)
		return ecdsa.VerifyASN1(pub, d[:], sig)
	}
	return false
}

// signCheckpoint makes the signed note of a tree head.
func signCheckpoint(signer crypto.Signer, origin string, size uint64, root []byte, t time.Time) (*Checkpoint, error) {
	if err := checkOrigin(origin); err != nil {
		return nil, err
	}
	id, err := keyID(origin, signer.Public())
	if err != nil {
		return nil, err
	}
	t = t.UTC().Truncate(time.Second)
	text := fmt.Sprintf("%s\n%d\n%s\n%s%s\n", origin, size, base64.StdEncoding.EncodeToString(root), timePrefix, t.Format(time.RFC3339))
	sig, err := signText(signer, []byte(text))
	if err != nil {
		return nil, fmt.Errorf("audit: signing the checkpoint: %w", err)
	}
	blob := binary.BigEndian.AppendUint32(nil, id)
	blob = append(blob, sig...)
	note := text + "\n" + sigPrefix + origin + " " + base64.StdEncoding.EncodeToString(blob) + "\n"
	return ParseCheckpoint([]byte(note))
}

// ParseCheckpoint parses a checkpoint's signed note. It does not check the
// signatures: use VerifyCheckpoint before trusting what it says.
func ParseCheckpoint(note []byte) (*Checkpoint, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("audit: malformed checkpoint: "+format, a...)
	}
	if len(note) > maxNote {
		return nil, bad("%d bytes, more than %d", len(note), maxNote)
	}
	if !utf8.Valid(note) {
		return nil, bad("not UTF-8")
	}
	for _, c := range note {
		if c < 0x20 && c != '\n' {
			return nil, bad("control character 0x%02x (a note holds text and newlines only)", c)
		}
	}
	i := bytes.LastIndex(note, []byte("\n\n"))
	if i < 0 {
		return nil, bad("no blank line between the text and the signatures")
	}
	text, sigs := string(note[:i+1]), string(note[i+2:])
	if !strings.HasSuffix(sigs, "\n") {
		return nil, bad("the last signature line does not end in a newline")
	}
	c := &Checkpoint{Note: bytes.Clone(note)}
	for _, line := range strings.Split(strings.TrimSuffix(sigs, "\n"), "\n") {
		rest, ok := strings.CutPrefix(line, sigPrefix)
		name, b64, ok2 := strings.Cut(rest, " ")
		if !ok || !ok2 || name == "" || strings.Contains(name, "+") || strings.Contains(b64, " ") {
			return nil, bad("signature line %q: want \"— NAME BASE64\"", line)
		}
		blob, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(blob) < 5 {
			return nil, bad("signature line of %s: not base64 of a key ID and a signature", name)
		}
		c.Signatures = append(c.Signatures, NoteSignature{Name: name, KeyID: binary.BigEndian.Uint32(blob), Sig: blob[4:]})
		if len(c.Signatures) > maxSignatures {
			return nil, bad("more than %d signatures", maxSignatures)
		}
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return nil, bad("%d lines of text, want origin, size and root hash", len(lines))
	}
	for n, l := range lines {
		if l == "" {
			return nil, bad("empty line %d in the text", n+1)
		}
	}
	c.Origin = lines[0]
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		return nil, bad("tree size %q is not a decimal number", lines[1])
	}
	c.Size = size
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size {
		return nil, bad("root hash %q is not base64 of 32 bytes", lines[2])
	}
	c.Root = root
	for _, ext := range lines[3:] {
		if v, ok := strings.CutPrefix(ext, timePrefix); ok {
			if !c.Time.IsZero() {
				return nil, bad("two time lines")
			}
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, bad("time %q: want RFC 3339", v)
			}
			c.Time = t.UTC()
		}
		// Other extension lines are signed but carry nothing we read.
	}
	return c, nil
}

// VerifyCheckpoint checks that cp is signed by pub under the key name of its
// origin, and that its fields are those of its signed note. It returns an
// error wrapping ErrUnknownKey if no signature is by pub (for example a
// checkpoint of another node), ErrBadSignature if the signature by pub does
// not verify (a forged or altered checkpoint).
func VerifyCheckpoint(cp *Checkpoint, pub crypto.PublicKey) error {
	if cp == nil {
		return errors.New("audit: no checkpoint")
	}
	signed, err := ParseCheckpoint(cp.Note)
	if err != nil {
		return err
	}
	if signed.Origin != cp.Origin || signed.Size != cp.Size || !bytes.Equal(signed.Root, cp.Root) || !signed.Time.Equal(cp.Time) {
		return fmt.Errorf("%w: checkpoint fields differ from its signed note (%s)", ErrBadSignature, signed)
	}
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("audit: checkpoint key %T: want an SM2 or ECDSA P-256 public key", pub)
	}
	id, err := keyID(signed.Origin, k)
	if err != nil {
		return err
	}
	var others []string
	for _, s := range signed.Signatures {
		if s.Name != signed.Origin || s.KeyID != id {
			others = append(others, fmt.Sprintf("%s %08x", s.Name, s.KeyID))
			continue
		}
		if !verifyText(k, signed.Text(), s.Sig) {
			return fmt.Errorf("%w: checkpoint of size %d by key %s %08x: forged, or changed after signing", ErrBadSignature, signed.Size, s.Name, id)
		}
		return nil
	}
	return fmt.Errorf("%w: checkpoint of size %d has no signature by key %s %08x; it is signed by %s",
		ErrUnknownKey, signed.Size, signed.Origin, id, strings.Join(others, ", "))
}

// Checkpoint signs the log's current tree head and stores the checkpoint.
// Before signing, it checks that the tree extends the latest stored
// checkpoint, so that the node never signs a rewritten log.
func (l *Log) Checkpoint(ctx context.Context) (*Checkpoint, error) {
	if l.signer == nil || l.origin == "" {
		return nil, errors.New("audit: checkpoint: the log has no signer and origin (see New)")
	}
	// The latest checkpoint first: the tree only grows, so the head read
	// after it is at least as large even while other replicas append and
	// sign.
	last, err := l.LatestCheckpoint(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	head, herr := l.st.AuditHead(ctx)
	if herr != nil {
		return nil, fmt.Errorf("audit: checkpoint: %w", herr)
	}
	switch {
	case err != nil: // no checkpoint yet
	case last.Origin != l.origin:
		return nil, fmt.Errorf("audit: checkpoint: this log's checkpoints name it %q, not %q; sign with that origin", last.Origin, l.origin)
	case last.Size > head.Size:
		return nil, fmt.Errorf("%w: the tree has %d entries, fewer than the checkpoint of size %d; not signing", ErrTampered, head.Size, last.Size)
	default:
		p, err := l.ConsistencyProof(ctx, last.Size, head.Size)
		if err == nil {
			err = VerifyConsistency(last.Size, head.Size, p, last.Root, head.Root)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: the tree does not extend the checkpoint of size %d (%v); not signing", ErrTampered, last.Size, err)
		}
	}
	cp, err := signCheckpoint(l.signer, l.origin, head.Size, head.Root, time.Now())
	if err != nil {
		return nil, err
	}
	// A signer that signs something else (a misconfigured HSM profile) is
	// caught here, not by the first person who verifies.
	if err := VerifyCheckpoint(cp, l.signer.Public()); err != nil {
		return nil, fmt.Errorf("audit: the signer's own checkpoint does not verify (check the keystore's SM2 profile): %w", err)
	}
	if _, err := l.st.PutAuditCheckpoint(ctx, store.AuditCheckpoint{Size: cp.Size, Root: cp.Root, At: cp.Time, Note: cp.Note}); err != nil {
		return nil, fmt.Errorf("audit: checkpoint: %w", err)
	}
	return cp, nil
}

// LatestCheckpoint returns the stored checkpoint of the largest tree size,
// or an error wrapping store.ErrNotFound. It does not check the signature.
func (l *Log) LatestCheckpoint(ctx context.Context) (*Checkpoint, error) {
	c, err := l.st.LatestAuditCheckpoint(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return ParseCheckpoint(c.Note)
}

// checkpointAt returns the last stored checkpoint of exactly size, or nil.
func (l *Log) checkpointAt(ctx context.Context, size uint64) (*Checkpoint, error) {
	cs, err := l.st.AuditCheckpoints(ctx, size, size)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return ParseCheckpoint(cs[len(cs)-1].Note)
}
