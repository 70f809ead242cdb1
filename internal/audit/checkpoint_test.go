package audit_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/testenv"
)

// opensslVerifies reports whether `openssl dgst` accepts sig over msg: SM3
// with the default SM2 ID for SM2 keys, SHA-256 for P-256 keys.
func opensslVerifies(t *testing.T, pub *ecdsa.PublicKey, msg, sig []byte) bool {
	t.Helper()
	openssl := testenv.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubFile, msgFile, sigFile := filepath.Join(dir, "pub.pem"), filepath.Join(dir, "msg"), filepath.Join(dir, "sig.der")
	os.WriteFile(pubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600)
	os.WriteFile(msgFile, msg, 0o600)
	os.WriteFile(sigFile, sig, 0o600)
	args := []string{"dgst", "-sha256", "-verify", pubFile, "-signature", sigFile, msgFile}
	if pub.Curve == sm2.P256() {
		args = []string{"dgst", "-sm3", "-verify", pubFile, "-sigopt", "distid:1234567812345678", "-signature", sigFile, msgFile}
	}
	out, err := testenv.Output(nil, openssl, args...)
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("openssl: %v", err)
		}
		return false
	}
	return out == "Verified OK\n"
}

func TestCheckpointFormat(t *testing.T) {
	st := openStore(t, sqliteDSN(t))
	key := sm2Key(t)
	l := newLog(t, st, key)
	appendN(t, l, 3)
	before := time.Now().Add(-time.Second)
	cp := checkpoint(t, l)

	text := string(cp.Text())
	lines := strings.Split(text, "\n")
	if len(lines) != 5 || lines[0] != origin || lines[1] != "3" || lines[2] != base64.StdEncoding.EncodeToString(cp.Root) ||
		!strings.HasPrefix(lines[3], "time ") || lines[4] != "" {
		t.Fatalf("note text %q", text)
	}
	if cp.Time.Before(before.Truncate(time.Second)) || cp.Time.Nanosecond() != 0 || cp.Time.Location() != time.UTC {
		t.Fatalf("time %v", cp.Time)
	}
	if !strings.HasPrefix(string(cp.Note), text+"\n— "+origin+" ") || !strings.HasSuffix(string(cp.Note), "\n") {
		t.Fatalf("note %q", cp.Note)
	}
	// C2SP signed-note key ID of an SM2 key: SHA-256(name || 0x0A || 0xff ||
	// "SM2-with-SM3" || SPKI)[:4].
	spki, _ := smx509.MarshalPKIXPublicKey(&key.PublicKey)
	sum := sha256.Sum256(append([]byte(origin+"\n\xffSM2-with-SM3"), spki...))
	if len(cp.Signatures) != 1 || cp.Signatures[0].KeyID != binary.BigEndian.Uint32(sum[:4]) || cp.Signatures[0].Name != origin {
		t.Fatalf("signatures %+v, want key ID %x", cp.Signatures, sum[:4])
	}
	// Stored, and read back the same.
	latest, err := l.LatestCheckpoint(ctxT(t))
	if err != nil || !bytes.Equal(latest.Note, cp.Note) {
		t.Fatalf("LatestCheckpoint = %v, %v", latest, err)
	}

	if err := audit.VerifyCheckpoint(cp, key.Public()); err != nil {
		t.Fatal(err)
	}
	// OpenSSL, independent of our code, accepts the signature over the text.
	if !opensslVerifies(t, &key.PublicKey, cp.Text(), cp.Signatures[0].Sig) {
		t.Fatal("OpenSSL rejects the SM2 checkpoint signature")
	}
	if opensslVerifies(t, &key.PublicKey, bytes.Replace(cp.Text(), []byte("\n3\n"), []byte("\n4\n"), 1), cp.Signatures[0].Sig) {
		t.Fatal("OpenSSL accepts the signature over a changed size")
	}

	// Negative twins.
	other := sm2Key(t)
	if err := audit.VerifyCheckpoint(cp, other.Public()); !errors.Is(err, audit.ErrUnknownKey) {
		t.Errorf("another key: %v, want ErrUnknownKey", err)
	}
	forged, err := audit.ParseCheckpoint(bytes.Replace(cp.Note, []byte("\n3\n"), []byte("\n2\n"), 1))
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyCheckpoint(forged, key.Public()); !errors.Is(err, audit.ErrBadSignature) {
		t.Errorf("changed size: %v, want ErrBadSignature", err)
	}
	lying := *cp
	lying.Size = 2
	if err := audit.VerifyCheckpoint(&lying, key.Public()); !errors.Is(err, audit.ErrBadSignature) {
		t.Errorf("fields that differ from the note: %v, want ErrBadSignature", err)
	}
	// A second signature by an unknown key is ignored (witness cosignatures).
	other2, _ := audit.SignCheckpoint(other, "witness.example", cp.Size, cp.Root, cp.Time)
	cosigned, err := audit.ParseCheckpoint(append(bytes.Clone(cp.Note), other2.Note[bytes.LastIndex(other2.Note, []byte("\n\n"))+2:]...))
	if err != nil {
		t.Fatal(err)
	}
	if err := audit.VerifyCheckpoint(cosigned, key.Public()); err != nil || len(cosigned.Signatures) != 2 {
		t.Errorf("cosigned checkpoint: %v", err)
	}

	for name, note := range map[string]string{
		"no blank line":     strings.Replace(string(cp.Note), "\n\n", "\n", 1),
		"no signature":      text + "\n",
		"size with a zero":  strings.Replace(string(cp.Note), "\n3\n", "\n03\n", 1),
		"short root":        strings.Replace(string(cp.Note), lines[2], "AAAA", 1),
		"tab":               strings.Replace(string(cp.Note), origin, origin+"\t", 1),
		"bad signature b64": strings.TrimSuffix(string(cp.Note), "\n") + "!\n",
		"hyphen for dash":   strings.Replace(string(cp.Note), "— ", "-- ", 1),
		"two lines":         origin + "\n3\n\n— " + origin + " AAAAAAAA\n",
	} {
		if _, err := audit.ParseCheckpoint([]byte(note)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	for _, o := range []string{"", "with space", "a+b", "line\nbreak"} {
		if _, err := audit.New(st, key, o); err == nil && o != "" {
			t.Errorf("origin %q accepted", o)
		}
	}
}
