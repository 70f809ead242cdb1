// The soft keystore: key pairs in files under one directory, private keys
// encrypted at rest. It is the embedded default for development and single
// nodes; production keys belong in an HSM.
//
// Layout of DIR:
//
//	keystore.json   KDF parameters and a passphrase check value
//	LABEL.key       one key pair: public key in clear, private scalar sealed
//	                with AES-256-GCM under a key derived from the passphrase
//
// The passphrase is read from the environment variable named by
// ?passphrase-env= (default ESEAL_KEYSTORE_PASSPHRASE) or from the file named
// by ?passphrase-file=; never from a command-line value, which `ps` shows.

package hsm

import (
	"github.com/eseal-project/eseal/internal/atomicfile"

	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/hkdf"
)

// PassphraseEnv is the default environment variable holding the soft
// keystore passphrase.
const PassphraseEnv = "ESEAL_KEYSTORE_PASSPHRASE"

const (
	softMetaFile   = "keystore.json"
	softKeySuffix  = ".key"
	softVersion    = 1
	softCheckLabel = "eseal soft keystore passphrase check v1"
	softMinPass    = 8
)

// KDFParams are the Argon2id parameters of a soft keystore (RFC 9106).
type KDFParams struct {
	Name    string `json:"name"` // "argon2id"
	Salt    []byte `json:"salt"`
	Time    uint32 `json:"time"`
	MemKiB  uint32 `json:"memory_kib"`
	Threads uint8  `json:"threads"`
}

// DefaultKDF follows RFC 9106's second recommended option (64 MiB, t=3).
var DefaultKDF = KDFParams{Name: "argon2id", Time: 3, MemKiB: 64 * 1024, Threads: 2}

type softMeta struct {
	Version int       `json:"version"`
	KDF     KDFParams `json:"kdf"`
	Check   []byte    `json:"check"`
}

type softKeyFile struct {
	Version    int       `json:"version"`
	Label      string    `json:"label"`
	Algorithm  Algorithm `json:"algorithm"`
	Public     []byte    `json:"public"` // PKIX DER
	AEAD       string    `json:"aead"`   // "aes-256-gcm"
	Nonce      []byte    `json:"nonce"`
	Ciphertext []byte    `json:"ciphertext"`
}

// Soft is the file-backed soft keystore.
type Soft struct {
	dir        string
	passphrase func() ([]byte, error)
	kdf        KDFParams

	mu      sync.Mutex
	master  []byte // derived lazily on first private-key use
	signers map[string]*softSigner
}

// OpenSoft opens (creating if needed) the soft keystore at file:DIR. Query
// parameters: passphrase-env=VAR, passphrase-file=PATH.
func OpenSoft(uri string) (*Soft, error) {
	rest, ok := strings.CutPrefix(uri, "file:")
	if !ok {
		return nil, fmt.Errorf("soft keystore URI %q: want file:DIR", uri)
	}
	rest = strings.TrimPrefix(rest, "//")
	path, rawQuery, _ := strings.Cut(rest, "?")
	if path == "" {
		return nil, errors.New("soft keystore URI file:: empty directory")
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, fmt.Errorf("soft keystore URI: bad query: %w", err)
	}
	for k := range q {
		if k != "passphrase-env" && k != "passphrase-file" {
			return nil, fmt.Errorf("soft keystore URI: unknown parameter %q (want passphrase-env or passphrase-file)", k)
		}
	}
	s := &Soft{dir: path, kdf: DefaultKDF, signers: map[string]*softSigner{}}
	switch {
	case q.Get("passphrase-file") != "":
		file := q.Get("passphrase-file")
		s.passphrase = func() ([]byte, error) { return readSecretFile(file) }
	default:
		env := q.Get("passphrase-env")
		if env == "" {
			env = PassphraseEnv
		}
		s.passphrase = func() ([]byte, error) {
			v, ok := os.LookupEnv(env)
			if !ok || v == "" {
				return nil, fmt.Errorf("soft keystore %s: %w: set %s or add ?passphrase-file=PATH to the URI", path, ErrNoPIN, env)
			}
			return []byte(v), nil
		}
	}
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("soft keystore %s: not a directory", path)
	}
	return s, nil
}

// SetKDF sets the KDF parameters used when this keystore is created. It has
// no effect on an existing keystore, whose parameters are stored in it.
func (s *Soft) SetKDF(p KDFParams) { s.kdf = p }

// Dir is the keystore directory.
func (s *Soft) Dir() string { return s.dir }

func readSecretFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading passphrase file: %w", err)
	}
	b = []byte(strings.TrimRight(string(b), "\r\n"))
	if len(b) == 0 {
		return nil, fmt.Errorf("passphrase file %s: %w: the file is empty", path, ErrNoPIN)
	}
	return b, nil
}

// unlock derives the master key, creating keystore.json on first use.
func (s *Soft) unlock(create bool) ([]byte, error) {
	if s.master != nil {
		return s.master, nil
	}
	pass, err := s.passphrase()
	if err != nil {
		return nil, err
	}
	metaPath := filepath.Join(s.dir, softMetaFile)
	raw, err := os.ReadFile(metaPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if !create {
			return nil, fmt.Errorf("soft keystore %s: %w", s.dir, ErrKeyNotFound)
		}
		if len(pass) < softMinPass {
			return nil, fmt.Errorf("soft keystore %s: passphrase too short: use at least %d characters", s.dir, softMinPass)
		}
		m := softMeta{Version: softVersion, KDF: s.kdf}
		m.KDF.Salt = make([]byte, 16)
		if _, err := rand.Read(m.KDF.Salt); err != nil {
			return nil, err
		}
		master := deriveMaster(pass, m.KDF)
		m.Check = checkValue(master)
		b, _ := json.MarshalIndent(m, "", "  ")
		if err := os.MkdirAll(s.dir, 0o700); err != nil {
			return nil, fmt.Errorf("soft keystore: %w", err)
		}
		if err := writeFileExclusive(metaPath, b); err != nil {
			if errors.Is(err, fs.ErrExist) { // created concurrently: use that one
				return s.unlock(create)
			}
			return nil, fmt.Errorf("soft keystore %s: %w", s.dir, err)
		}
		s.master = master
		return master, nil
	case err != nil:
		return nil, fmt.Errorf("soft keystore %s: %w", s.dir, err)
	}
	var m softMeta
	if err := json.Unmarshal(raw, &m); err != nil || m.Version != softVersion || m.KDF.Name != "argon2id" ||
		len(m.KDF.Salt) < 8 || m.KDF.Time == 0 || m.KDF.MemKiB < 8 || m.KDF.MemKiB > 4<<20 || m.KDF.Threads == 0 || len(m.Check) != 32 {
		return nil, fmt.Errorf("soft keystore %s: %w: %s is not a valid keystore header", s.dir, ErrCorrupt, softMetaFile)
	}
	master := deriveMaster(pass, m.KDF)
	if !hmac.Equal(checkValue(master), m.Check) {
		return nil, fmt.Errorf("soft keystore %s: %w", s.dir, ErrBadPIN)
	}
	s.master = master
	return master, nil
}

func deriveMaster(pass []byte, p KDFParams) []byte {
	return argon2.IDKey(pass, p.Salt, p.Time, p.MemKiB, p.Threads, 32)
}

func checkValue(master []byte) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte(softCheckLabel))
	return m.Sum(nil)
}

// keyAEAD derives the per-key AES-256-GCM from the master key and label.
func keyAEAD(master []byte, label string) (cipher.AEAD, error) {
	k := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, master, nil, []byte("eseal soft key v1\x00"+label)), k); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func keyAAD(label string, alg Algorithm, pub []byte) []byte {
	return []byte("eseal soft key v1\x00" + label + "\x00" + string(alg) + "\x00" + string(pub))
}

func (s *Soft) keyPath(label string) string { return filepath.Join(s.dir, label+softKeySuffix) }

// Generate creates a key pair and writes it, encrypted, to LABEL.key.
func (s *Soft) Generate(ctx context.Context, label string, alg Algorithm) (Signer, error) {
	if err := ValidLabel(label); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Stat(s.keyPath(label)); err == nil {
		return nil, fmt.Errorf("soft keystore %s: label %q: %w", s.dir, label, ErrKeyExists)
	}
	master, err := s.unlock(true)
	if err != nil {
		return nil, err
	}
	var priv *ecdsa.PrivateKey
	var signer crypto.Signer
	switch alg {
	case SM2:
		k, err := sm2.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		priv, signer = &k.PrivateKey, k
	case P256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		priv, signer = k, k
	default:
		return nil, fmt.Errorf("unknown key algorithm %q: want sm2 or p256", alg)
	}
	pubDER, err := smx509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	aead, err := keyAEAD(master, label)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	scalar := priv.D.FillBytes(make([]byte, 32))
	kf := softKeyFile{Version: softVersion, Label: label, Algorithm: alg, Public: pubDER, AEAD: "aes-256-gcm",
		Nonce: nonce, Ciphertext: aead.Seal(nil, nonce, scalar, keyAAD(label, alg, pubDER))}
	clear(scalar)
	b, _ := json.MarshalIndent(kf, "", "  ")
	if err := writeFileExclusive(s.keyPath(label), b); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("soft keystore %s: label %q: %w", s.dir, label, ErrKeyExists)
		}
		return nil, fmt.Errorf("soft keystore %s: writing key: %w", s.dir, err)
	}
	ss := &softSigner{label: label, alg: alg, signer: signer, pub: &priv.PublicKey}
	s.signers[label] = ss
	return ss, nil
}

// readKeyFile reads and validates LABEL.key without decrypting it.
func (s *Soft) readKeyFile(label string) (*softKeyFile, *ecdsa.PublicKey, error) {
	path := s.keyPath(label)
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("soft keystore %s: label %q: %w", s.dir, label, ErrKeyNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("soft keystore %s: %w", s.dir, err)
	}
	var kf softKeyFile
	if err := json.Unmarshal(raw, &kf); err != nil {
		return nil, nil, fmt.Errorf("soft keystore: %s: %w: not valid JSON", path, ErrCorrupt)
	}
	if kf.Version != softVersion || kf.Label != label || (kf.Algorithm != SM2 && kf.Algorithm != P256) || kf.AEAD != "aes-256-gcm" {
		return nil, nil, fmt.Errorf("soft keystore: %s: %w: bad header", path, ErrCorrupt)
	}
	pub, err := smx509.ParsePKIXPublicKey(kf.Public)
	if err != nil {
		return nil, nil, fmt.Errorf("soft keystore: %s: %w: bad public key", path, ErrCorrupt)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || AlgorithmOf(ec) != kf.Algorithm {
		return nil, nil, fmt.Errorf("soft keystore: %s: %w: public key does not match algorithm %s", path, ErrCorrupt, kf.Algorithm)
	}
	return &kf, ec, nil
}

// Signer decrypts the key under label (once) and returns its signer.
func (s *Soft) Signer(ctx context.Context, label string) (Signer, error) {
	if err := ValidLabel(label); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.signers[label]; ok {
		return ss, nil
	}
	kf, pub, err := s.readKeyFile(label)
	if err != nil {
		return nil, err
	}
	master, err := s.unlock(false)
	if err != nil {
		return nil, err
	}
	aead, err := keyAEAD(master, label)
	if err != nil {
		return nil, err
	}
	if len(kf.Nonce) != aead.NonceSize() {
		return nil, fmt.Errorf("soft keystore: %s: %w: bad nonce", s.keyPath(label), ErrCorrupt)
	}
	scalar, err := aead.Open(nil, kf.Nonce, kf.Ciphertext, keyAAD(label, kf.Algorithm, kf.Public))
	if err != nil {
		// The passphrase was checked against keystore.json, so this file was altered.
		return nil, fmt.Errorf("soft keystore: %s: %w: authentication failed", s.keyPath(label), ErrCorrupt)
	}
	defer clear(scalar)
	d := new(big.Int).SetBytes(scalar)
	var signer crypto.Signer
	switch kf.Algorithm {
	case SM2:
		k, err := sm2PrivateKey(d)
		if err != nil {
			return nil, fmt.Errorf("soft keystore: %s: %w: %v", s.keyPath(label), ErrCorrupt, err)
		}
		if !k.PublicKey.Equal(pub) {
			return nil, fmt.Errorf("soft keystore: %s: %w: private and public key differ", s.keyPath(label), ErrCorrupt)
		}
		signer = k
	case P256:
		k, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), scalar)
		if err != nil {
			return nil, fmt.Errorf("soft keystore: %s: %w: %v", s.keyPath(label), ErrCorrupt, err)
		}
		if !k.PublicKey.Equal(pub) {
			return nil, fmt.Errorf("soft keystore: %s: %w: private and public key differ", s.keyPath(label), ErrCorrupt)
		}
		signer = k
	}
	ss := &softSigner{label: label, alg: kf.Algorithm, signer: signer, pub: pub}
	s.signers[label] = ss
	return ss, nil
}

// sm2PrivateKey rebuilds an SM2 key from its scalar, 1 <= d <= n-2
// (GB/T 32918.1-2016 6.1).
func sm2PrivateKey(d *big.Int) (*sm2.PrivateKey, error) {
	c := sm2.P256()
	if d.Sign() <= 0 || d.Cmp(new(big.Int).Sub(c.Params().N, big.NewInt(1))) >= 0 {
		return nil, errors.New("sm2 private scalar out of range")
	}
	k := new(sm2.PrivateKey)
	k.Curve = c
	k.D = new(big.Int).Set(d)
	k.X, k.Y = c.ScalarBaseMult(d.FillBytes(make([]byte, 32)))
	return k, nil
}

// List reads the public part of every key; it needs no passphrase.
func (s *Soft) List(ctx context.Context) ([]KeyInfo, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("soft keystore %s: %w", s.dir, err)
	}
	var out []KeyInfo
	for _, e := range entries {
		label, ok := strings.CutSuffix(e.Name(), softKeySuffix)
		if !ok || e.IsDir() || ValidLabel(label) != nil {
			continue
		}
		kf, pub, err := s.readKeyFile(label)
		if err != nil {
			return nil, err
		}
		out = append(out, KeyInfo{Label: label, Algorithm: kf.Algorithm, Public: pub})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out, nil
}

// Close forgets the master key and decrypted keys.
func (s *Soft) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.master)
	s.master = nil
	for _, ss := range s.signers {
		ss.wipe()
	}
	s.signers = map[string]*softSigner{}
	return nil
}

type softSigner struct {
	label  string
	alg    Algorithm
	pub    *ecdsa.PublicKey
	signer crypto.Signer // *sm2.PrivateKey or *ecdsa.PrivateKey
}

func (s *softSigner) Public() crypto.PublicKey { return s.pub }
func (s *softSigner) Algorithm() Algorithm     { return s.alg }
func (s *softSigner) Label() string            { return s.label }

func (s *softSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	switch k := s.signer.(type) {
	case *sm2.PrivateKey:
		e, err := SM2Digest(s.pub, digest, opts)
		if err != nil {
			return nil, err
		}
		return sm2.SignASN1(r, k, e, nil)
	case *ecdsa.PrivateKey:
		if err := checkP256Digest(digest, opts); err != nil {
			return nil, err
		}
		return ecdsa.SignASN1(r, k, digest)
	}
	return nil, fmt.Errorf("soft keystore: key %q was closed", s.label)
}

func (s *softSigner) wipe() {
	switch k := s.signer.(type) {
	case *sm2.PrivateKey:
		k.D.SetInt64(0)
	case *ecdsa.PrivateKey:
		k.D.SetInt64(0)
	}
	s.signer = nil
}

// writeFileExclusive writes data to path atomically, failing with
// fs.ErrExist if path exists.
func writeFileExclusive(path string, data []byte) error {
	return atomicfile.WriteNew(path, data, 0o600)
}
