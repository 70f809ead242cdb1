// The PKCS#11 keystore: keys in a token reached through a vendor module,
// used through a bounded session pool. The pool logs in once (login state in
// PKCS#11 is per application and token, shared by all sessions), hands out
// sessions to concurrent signers, and recovers when a session, the login or
// the token itself goes away.

package hsm

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/miekg/pkcs11"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

var (
	oidP256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	oidSM2  = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}
)

// DefaultAcquireTimeout bounds how long a plain Sign (which has no context)
// waits for a free session.
var DefaultAcquireTimeout = 30 * time.Second

// module is one loaded PKCS#11 library. A library may be initialised only
// once per process, so keystores on the same module share it.
type module struct {
	path string
	// mu is held for reading around every call into the library and for
	// writing while the library is re-initialised.
	mu   sync.RWMutex
	ctx  *pkcs11.Ctx
	gen  uint64 // bumped on every re-initialisation
	refs int
}

var (
	modulesMu sync.Mutex
	modules   = map[string]*module{}
)

func loadModule(path string) (*module, error) {
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if m, ok := modules[path]; ok {
		m.refs++
		return m, nil
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("PKCS#11 module %s: %w", path, err)
	}
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("PKCS#11 module %s: cannot load it (not a PKCS#11 library, or a library it needs is missing)", path)
	}
	if err := ctx.Initialize(); err != nil && !isCKR(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		ctx.Destroy()
		return nil, fmt.Errorf("PKCS#11 module %s: C_Initialize: %w", path, err)
	}
	m := &module{path: path, ctx: ctx, refs: 1}
	modules[path] = m
	return m, nil
}

func (m *module) release() {
	modulesMu.Lock()
	defer modulesMu.Unlock()
	m.refs--
	if m.refs > 0 {
		return
	}
	delete(modules, m.path)
	m.mu.Lock()
	m.ctx.Finalize()
	m.ctx.Destroy()
	m.mu.Unlock()
}

// reinit finalises and re-initialises the library, which makes a module
// that caches token state at C_Initialize (SoftHSM2 does) see a token that
// was removed, re-created or re-initialised. Only done if nobody else did it
// since gen was observed.
func (m *module) reinit(gen uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gen != gen {
		return
	}
	m.ctx.Finalize()
	m.ctx.Initialize()
	m.gen++
}

// PKCS11 is a keystore on a PKCS#11 token.
type PKCS11 struct {
	uri     *PKCS11URI
	mod     *module
	pin     string
	hasPIN  bool
	profile SM2Profile
	sem     chan struct{} // one slot per session that may be open at once

	mu      sync.Mutex // order: mu, then mod.mu, then keysMu
	slot    uint
	gen     uint64 // bumped when the token connection is rebuilt
	modGen  uint64 // module generation the connection was made in
	ready   bool
	anchor  pkcs11.SessionHandle // keeps the login alive
	idle    []session
	keysMu  sync.Mutex
	keys    map[string]*p11Key // by label, valid for gen
	fatal   error              // e.g. a wrong PIN: never retried
	closed  bool
	signers map[string]*p11Signer
}

type session struct {
	h      pkcs11.SessionHandle
	gen    uint64 // connection generation
	modGen uint64 // module generation: a handle means nothing after re-initialisation
}

type p11Key struct {
	alg  Algorithm
	priv pkcs11.ObjectHandle
	pub  *ecdsa.PublicKey
	gen  uint64
}

// OpenPKCS11 opens the token named by a pkcs11: URI (RFC 7512), for example
//
//	pkcs11:token=seals?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin
//
// The PIN comes from pin-value, pin-source=file:PATH (or env:VAR), or the
// ESEAL_PKCS11_PIN environment variable. Vendor attributes: x-pool-size=N,
// x-sm2-profile=NAME, x-sm2-id=ID and the profile overrides documented in
// README.md. Opening loads the module and logs in once.
func OpenPKCS11(uri string) (*PKCS11, error) {
	u, err := ParsePKCS11URI(uri)
	if err != nil {
		return nil, err
	}
	if err := u.Profile.validate(); err != nil {
		return nil, err
	}
	pin, hasPIN, err := u.PIN()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u.Redacted(), err)
	}
	path := u.ModulePath
	if path == "" {
		path = u.ModuleName
	}
	mod, err := loadModule(path)
	if err != nil {
		return nil, err
	}
	size := u.PoolSize
	if size == 0 {
		size = max(4, 2*runtime.GOMAXPROCS(0))
	}
	k := &PKCS11{uri: u, mod: mod, pin: pin, hasPIN: hasPIN, profile: *u.Profile,
		sem: make(chan struct{}, size), keys: map[string]*p11Key{}, signers: map[string]*p11Signer{}}
	k.mu.Lock()
	err = k.connectLocked()
	k.mu.Unlock()
	if err != nil {
		mod.release()
		return nil, err
	}
	return k, nil
}

func (k *PKCS11) name() string { return k.uri.Redacted() }

// connectLocked finds the slot, opens the anchor session and logs in.
func (k *PKCS11) connectLocked() error {
	if k.fatal != nil {
		return k.fatal
	}
	k.mod.mu.RLock()
	defer k.mod.mu.RUnlock()
	ctx := k.mod.ctx
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return fmt.Errorf("%s: C_GetSlotList: %w", k.name(), mapCKR(err))
	}
	found := false
	for _, s := range slots {
		if k.uri.SlotID != nil && *k.uri.SlotID != s {
			continue
		}
		ti, err := ctx.GetTokenInfo(s)
		if err != nil {
			continue
		}
		if k.uri.Token != "" && ti.Label != k.uri.Token ||
			k.uri.Serial != "" && ti.SerialNumber != k.uri.Serial ||
			k.uri.Manufacturer != "" && ti.ManufacturerID != k.uri.Manufacturer ||
			k.uri.Model != "" && ti.Model != k.uri.Model {
			continue
		}
		k.slot, found = s, true
		break
	}
	if !found {
		return fmt.Errorf("%s: %w: no token with this label/serial is present", k.name(), ErrTokenNotFound)
	}
	h, err := ctx.OpenSession(k.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		return fmt.Errorf("%s: C_OpenSession: %w", k.name(), mapCKR(err))
	}
	if k.hasPIN {
		if err := ctx.Login(h, pkcs11.CKU_USER, k.pin); err != nil && !isCKR(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
			ctx.CloseSession(h)
			err = fmt.Errorf("%s: C_Login: %w", k.name(), mapCKR(err))
			if errors.Is(err, ErrBadPIN) {
				// A token locks after a few wrong PINs: never try this PIN again.
				k.fatal = err
			}
			return err
		}
	}
	k.anchor = h
	k.gen++
	k.modGen = k.mod.gen
	k.keysMu.Lock()
	k.keys = map[string]*p11Key{}
	k.keysMu.Unlock()
	k.ready = true
	return nil
}

// resetLocked drops every session of the current connection.
func (k *PKCS11) resetLocked() {
	if !k.ready {
		return
	}
	k.mod.mu.RLock()
	if k.modGen == k.mod.gen {
		for _, s := range k.idle {
			k.mod.ctx.CloseSession(s.h)
		}
		k.mod.ctx.CloseSession(k.anchor)
	}
	k.mod.mu.RUnlock()
	k.idle = nil
	k.ready = false
}

// acquire waits for a free slot in the pool and returns a session of the
// current connection, reconnecting first if needed.
func (k *PKCS11) acquire(ctx context.Context) (session, error) {
	select {
	case k.sem <- struct{}{}:
	case <-ctx.Done():
		return session{}, fmt.Errorf("%s: waiting for a session: %w", k.name(), ctx.Err())
	}
	s, err := k.take()
	if err != nil {
		<-k.sem
	}
	return s, err
}

func (k *PKCS11) take() (session, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return session{}, fmt.Errorf("%s: keystore closed", k.name())
	}
	k.mod.mu.RLock()
	modGen := k.mod.gen
	k.mod.mu.RUnlock()
	if k.ready && k.modGen != modGen {
		// The library was re-initialised: our handles are gone, and closing
		// them now could close somebody else's new session.
		k.idle, k.ready = nil, false
	}
	if !k.ready {
		if err := k.connectLocked(); err != nil {
			return session{}, err
		}
	}
	if n := len(k.idle); n > 0 {
		s := k.idle[n-1]
		k.idle = k.idle[:n-1]
		return s, nil
	}
	k.mod.mu.RLock()
	h, err := k.mod.ctx.OpenSession(k.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	k.mod.mu.RUnlock()
	if err != nil {
		if failure(err) == failToken {
			k.resetLocked()
		}
		return session{}, fmt.Errorf("%s: C_OpenSession: %w", k.name(), mapCKR(err))
	}
	return session{h: h, gen: k.gen, modGen: k.modGen}, nil
}

// put returns a session to the pool; a session of an older connection, or
// one that failed, is closed instead.
func (k *PKCS11) put(s session, healthy bool) {
	k.mu.Lock()
	if healthy && k.ready && s.gen == k.gen && !k.closed {
		k.idle = append(k.idle, s)
	} else {
		k.mod.mu.RLock()
		if s.modGen == k.mod.gen {
			k.mod.ctx.CloseSession(s.h)
		}
		k.mod.mu.RUnlock()
	}
	k.mu.Unlock()
	<-k.sem
}

// errKeyVanished marks a key that was found before and is not found now.
var errKeyVanished = errors.New("key vanished from the token")

type failKind int

const (
	failOther   failKind = iota
	failSession          // this session is unusable: take another
	failToken            // the token, login or library state is gone: reconnect
	failHandle           // an object handle went stale: look the key up again
)

func failure(err error) failKind {
	var e pkcs11.Error
	if !errors.As(err, &e) {
		return failOther
	}
	switch uint(e) {
	case pkcs11.CKR_SESSION_HANDLE_INVALID, pkcs11.CKR_SESSION_CLOSED, pkcs11.CKR_OPERATION_ACTIVE:
		return failSession
	case pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_DEVICE_ERROR,
		pkcs11.CKR_SLOT_ID_INVALID, pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED, pkcs11.CKR_USER_NOT_LOGGED_IN,
		pkcs11.CKR_TOKEN_NOT_RECOGNIZED, pkcs11.CKR_SESSION_COUNT:
		return failToken
	case pkcs11.CKR_OBJECT_HANDLE_INVALID, pkcs11.CKR_KEY_HANDLE_INVALID:
		return failHandle
	}
	return failOther
}

// do runs fn on a pooled session, recovering from lost sessions, stale
// handles and a lost token. fn must be safe to repeat.
func (k *PKCS11) do(ctx context.Context, fn func(c *pkcs11.Ctx, s session) error) error {
	var last error
	vanished := false
	for attempt := 0; attempt < 4; attempt++ {
		s, err := k.acquire(ctx)
		if err != nil {
			if last != nil && errors.Is(err, ErrTokenNotFound) {
				return fmt.Errorf("%w (%w)", ErrTokenRemoved, err)
			}
			if attempt == 0 && (errors.Is(err, ErrTokenNotFound) || errors.Is(err, ErrTokenRemoved)) {
				// The library may have cached an old view of its slots.
				k.mod.mu.RLock()
				g := k.mod.gen
				k.mod.mu.RUnlock()
				k.mod.reinit(g)
				last = err
				continue
			}
			return err
		}
		k.mod.mu.RLock()
		err = fn(k.mod.ctx, s)
		modGen := k.mod.gen
		k.mod.mu.RUnlock()
		if err == nil {
			k.put(s, true)
			return nil
		}
		last = err
		kind := failure(err)
		if errors.Is(err, errKeyVanished) {
			// A key we used before is gone. A library that caches its slots
			// may hide a removed token this way: look once with fresh eyes.
			if vanished {
				k.put(s, true)
				return err
			}
			vanished, kind = true, failToken
		}
		switch kind {
		case failSession:
			k.put(s, false)
			if attempt > 0 { // a fresh session failed too: rebuild everything
				k.reconnect(s.gen, modGen)
			}
		case failToken:
			k.put(s, false)
			k.reconnect(s.gen, modGen)
		case failHandle:
			k.put(s, true)
			k.forgetKeys(s.gen)
		default:
			k.put(s, true)
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("%s: %w: %w", k.name(), ErrTokenRemoved, mapCKR(last))
}

func (k *PKCS11) reconnect(gen, modGen uint64) {
	k.mu.Lock()
	if k.gen == gen {
		k.resetLocked()
	}
	stale := k.modGen == modGen
	k.mu.Unlock()
	if stale {
		k.mod.reinit(modGen)
	}
}

func (k *PKCS11) forgetKeys(gen uint64) {
	k.keysMu.Lock()
	for label, kk := range k.keys {
		if kk.gen <= gen {
			delete(k.keys, label)
		}
	}
	k.keysMu.Unlock()
}

// key returns the cached private-key handle for label, looking it up in the
// session's connection if needed.
func (k *PKCS11) key(c *pkcs11.Ctx, s session, label string) (*p11Key, error) {
	k.keysMu.Lock()
	kk, ok := k.keys[label]
	k.keysMu.Unlock()
	if ok && kk.gen == s.gen {
		return kk, nil
	}
	kk, err := k.findKey(c, s, label)
	if err != nil {
		return nil, err
	}
	k.keysMu.Lock()
	k.keys[label] = kk
	k.keysMu.Unlock()
	return kk, nil
}

func findObjects(c *pkcs11.Ctx, h pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := c.FindObjectsInit(h, tmpl); err != nil {
		return nil, err
	}
	var all []pkcs11.ObjectHandle
	for {
		objs, _, err := c.FindObjects(h, 64)
		if err != nil {
			c.FindObjectsFinal(h)
			return nil, err
		}
		all = append(all, objs...)
		if len(objs) == 0 {
			break
		}
	}
	return all, c.FindObjectsFinal(h)
}

func (k *PKCS11) findKey(c *pkcs11.Ctx, s session, label string) (*p11Key, error) {
	privs, err := findObjects(c, s.h, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	})
	if err != nil {
		return nil, err
	}
	switch len(privs) {
	case 0:
		if k.hasPIN && !loggedIn(c, s.h) {
			// Private objects are invisible without a login: the login was
			// lost (sessions closed, token re-initialised), not the key.
			return nil, pkcs11.Error(pkcs11.CKR_USER_NOT_LOGGED_IN)
		}
		return nil, fmt.Errorf("%s: label %q: %w", k.name(), label, ErrKeyNotFound)
	case 1:
	default:
		return nil, fmt.Errorf("%s: label %q names %d private keys: labels must be unique", k.name(), label, len(privs))
	}
	alg, pub, err := k.publicKey(c, s.h, label)
	if err != nil {
		return nil, err
	}
	return &p11Key{alg: alg, priv: privs[0], pub: pub, gen: s.gen}, nil
}

func loggedIn(c *pkcs11.Ctx, h pkcs11.SessionHandle) bool {
	info, err := c.GetSessionInfo(h)
	return err == nil && (info.State == pkcs11.CKS_RO_USER_FUNCTIONS || info.State == pkcs11.CKS_RW_USER_FUNCTIONS)
}

// publicKey reads the algorithm and EC point of the public key under label.
func (k *PKCS11) publicKey(c *pkcs11.Ctx, h pkcs11.SessionHandle, label string) (Algorithm, *ecdsa.PublicKey, error) {
	pubs, err := findObjects(c, h, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	})
	if err != nil {
		return "", nil, err
	}
	if len(pubs) != 1 {
		return "", nil, fmt.Errorf("%s: label %q: found %d public keys, want 1 (the public key object is needed to know the key)", k.name(), label, len(pubs))
	}
	attrs, err := c.GetAttributeValue(h, pubs[0], []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, nil),
		pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, nil),
		pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil),
	})
	if err != nil {
		return "", nil, err
	}
	keyType := bytesToUint(attrs[0].Value)
	var curve elliptic.Curve
	var alg Algorithm
	var oid asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(attrs[1].Value, &oid); err != nil && keyType == pkcs11.CKK_EC {
		return "", nil, fmt.Errorf("%s: label %q: bad CKA_EC_PARAMS", k.name(), label)
	}
	switch {
	case keyType == k.profile.KeyType || keyType == pkcs11.CKK_EC && oid.Equal(oidSM2):
		alg, curve = SM2, sm2.P256()
	case keyType == pkcs11.CKK_EC && oid.Equal(oidP256):
		alg, curve = P256, elliptic.P256()
	default:
		return "", nil, fmt.Errorf("%s: label %q: key type 0x%x curve %v is neither SM2 nor P-256", k.name(), label, keyType, oid)
	}
	point := attrs[2].Value
	var inner []byte // CKA_EC_POINT is a DER OCTET STRING; some tokens give the raw point
	if rest, err := asn1.Unmarshal(point, &inner); err == nil && len(rest) == 0 {
		point = inner
	}
	x, y := elliptic.Unmarshal(curve, point) //nolint:staticcheck // needed for the SM2 curve
	if x == nil {
		return "", nil, fmt.Errorf("%s: label %q: CKA_EC_POINT is not a point on %s", k.name(), label, alg)
	}
	return alg, &ecdsa.PublicKey{Curve: curve, X: x, Y: y}, nil
}

func bytesToUint(b []byte) uint {
	// CK_ULONG in host byte order (little-endian on the platforms we build for).
	var v uint
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint(b[i])
	}
	return v
}

// Signer returns a pooled signer for the key under label.
func (k *PKCS11) Signer(ctx context.Context, label string) (Signer, error) {
	k.mu.Lock()
	if sg, ok := k.signers[label]; ok {
		k.mu.Unlock()
		return sg, nil
	}
	k.mu.Unlock()
	var kk *p11Key
	err := k.do(ctx, func(c *pkcs11.Ctx, s session) error {
		var err error
		kk, err = k.key(c, s, label)
		return err
	})
	if err != nil {
		return nil, err
	}
	sg := &p11Signer{ks: k, label: label, alg: kk.alg, pub: kk.pub}
	k.mu.Lock()
	k.signers[label] = sg
	k.mu.Unlock()
	return sg, nil
}

// Generate creates a key pair in the token: sensitive, not extractable.
func (k *PKCS11) Generate(ctx context.Context, label string, alg Algorithm) (Signer, error) {
	if err := ValidLabel(label); err != nil {
		return nil, err
	}
	var mech []*pkcs11.Mechanism
	var params []byte
	keyType := uint(pkcs11.CKK_EC)
	switch alg {
	case P256:
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_EC_KEY_PAIR_GEN, nil)}
		params, _ = asn1.Marshal(oidP256)
	case SM2:
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(k.profile.KeyGen, nil)}
		keyType = k.profile.KeyType
		if k.profile.KeyGenECParams {
			params, _ = asn1.Marshal(oidSM2)
		}
	default:
		return nil, fmt.Errorf("unknown key algorithm %q: want sm2 or p256", alg)
	}
	id := make([]byte, 16)
	rand.Read(id)
	pubT := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, keyType),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
	}
	if params != nil {
		pubT = append(pubT, pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, params))
	}
	privT := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, keyType),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
	}
	err := k.do(ctx, func(c *pkcs11.Ctx, s session) error {
		existing, err := findObjects(c, s.h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_LABEL, label)})
		if err != nil {
			return err
		}
		if len(existing) > 0 {
			return fmt.Errorf("%s: label %q: %w", k.name(), label, ErrKeyExists)
		}
		_, _, err = c.GenerateKeyPair(s.h, mech, pubT, privT)
		return err
	})
	if err != nil {
		if errors.Is(err, ErrKeyExists) {
			return nil, err
		}
		if isCKR(err, pkcs11.CKR_MECHANISM_INVALID) {
			return nil, fmt.Errorf("%s: generating %s key: the token does not support mechanism 0x%x (check the SM2 profile, x-sm2-profile=): %w", k.name(), alg, mech[0].Mechanism, ErrUnsupported)
		}
		return nil, fmt.Errorf("%s: generating %s key %q: %w", k.name(), alg, label, mapCKR(err))
	}
	return k.Signer(ctx, label)
}

// List describes the key pairs on the token (private keys with a label).
func (k *PKCS11) List(ctx context.Context) ([]KeyInfo, error) {
	var out []KeyInfo
	err := k.do(ctx, func(c *pkcs11.Ctx, s session) error {
		out = out[:0]
		privs, err := findObjects(c, s.h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)})
		if err != nil {
			return err
		}
		for _, p := range privs {
			attrs, err := c.GetAttributeValue(s.h, p, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil)})
			if err != nil {
				return err
			}
			label := string(attrs[0].Value)
			if label == "" {
				continue
			}
			alg, pub, err := k.publicKey(c, s.h, label)
			if err != nil {
				var ck pkcs11.Error
				if errors.As(err, &ck) {
					return err
				}
				out = append(out, KeyInfo{Label: label}) // not SM2/P-256 or no public object: list, unusable
				continue
			}
			out = append(out, KeyInfo{Label: label, Algorithm: alg, Public: pub})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: listing keys: %w", k.name(), mapCKR(err))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out, nil
}

// Close closes every session and releases the module.
func (k *PKCS11) Close() error {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	k.resetLocked()
	k.closed = true
	k.mu.Unlock()
	k.mod.release()
	return nil
}

// PoolSize is the maximum number of sessions used at once.
func (k *PKCS11) PoolSize() int { return cap(k.sem) }

type p11Signer struct {
	ks    *PKCS11
	label string
	alg   Algorithm
	pub   *ecdsa.PublicKey
}

func (s *p11Signer) Public() crypto.PublicKey { return s.pub }
func (s *p11Signer) Algorithm() Algorithm     { return s.alg }
func (s *p11Signer) Label() string            { return s.label }

// Sign implements crypto.Signer; it waits at most DefaultAcquireTimeout for
// a session. The rand argument is ignored: the token has its own RNG.
func (s *p11Signer) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultAcquireTimeout)
	defer cancel()
	return s.SignContext(ctx, digest, opts)
}

func (s *p11Signer) wantsMessage() bool {
	return s.alg == SM2 && s.ks.profile.Style == SignMessage && s.ks.uri.SM2UID == nil
}

// SignContext is Sign with a context bounding the wait for a session.
func (s *p11Signer) SignContext(ctx context.Context, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	mech, input, format, err := s.mechanism(digest, opts)
	if err != nil {
		return nil, err
	}
	var sig []byte
	err = s.ks.do(ctx, func(c *pkcs11.Ctx, sess session) error {
		kk, err := s.ks.key(c, sess, s.label)
		if errors.Is(err, ErrKeyNotFound) {
			return fmt.Errorf("%w: %w", errKeyVanished, err)
		}
		if err != nil {
			return err
		}
		if !kk.pub.Equal(s.pub) {
			return fmt.Errorf("%s: key %q changed on the token since it was opened", s.ks.name(), s.label)
		}
		if err := c.SignInit(sess.h, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, kk.priv); err != nil {
			return err
		}
		sig, err = c.Sign(sess.h, input)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s: signing with %q: %w", s.ks.name(), s.label, mapCKR(err))
	}
	if format == SigDER {
		return sig, nil
	}
	return rawToDER(sig)
}

// mechanism chooses the mechanism and the bytes given to the token.
func (s *p11Signer) mechanism(digest []byte, opts crypto.SignerOpts) (uint, []byte, SigFormat, error) {
	if s.alg == P256 {
		if err := checkP256Digest(digest, opts); err != nil {
			return 0, nil, "", err
		}
		return pkcs11.CKM_ECDSA, digest, SigRaw, nil
	}
	p := s.ks.profile
	o, gm := opts.(*sm2.SM2SignerOption)
	gm = gm && o.ForceGMSign
	if !gm && s.ks.uri.SM2UID != nil {
		return 0, nil, "", errors.New("sm2: precomputed digest given, but the URI sets x-sm2-id: pass the message with sm2.SM2SignerOption")
	}
	defaultID := !gm || len(o.UID) == 0 && s.ks.uri.SM2UID == nil || string(o.UID) == string(DefaultSM2UID)
	if gm && p.Style == SignMessage && defaultID {
		return p.SignMessage, digest, p.SigFormat, nil
	}
	if p.SignE == 0 {
		return 0, nil, "", fmt.Errorf("sm2: profile %s can only sign a message with the default ID: %w", p.Name, ErrUnsupported)
	}
	if gm && len(o.UID) == 0 && s.ks.uri.SM2UID != nil {
		o = sm2.NewSM2SignerOption(true, s.ks.uri.SM2UID)
		opts = o
	}
	e, err := SM2Digest(s.pub, digest, opts)
	if err != nil {
		return 0, nil, "", err
	}
	return p.SignE, e, p.SigFormat, nil
}

// rawToDER converts r||s to SEQUENCE{r, s}.
func rawToDER(sig []byte) ([]byte, error) {
	if len(sig) == 0 || len(sig)%2 != 0 {
		return nil, fmt.Errorf("token returned a %d-byte signature, want r||s", len(sig))
	}
	n := len(sig) / 2
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(new(big.Int).SetBytes(sig[:n]))
		b.AddASN1BigInt(new(big.Int).SetBytes(sig[n:]))
	})
	return b.Bytes()
}

func isCKR(err error, code uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == code
}

// mapCKR wraps PKCS#11 return values that callers branch on in this
// package's sentinel errors, keeping the CKR name in the message.
func mapCKR(err error) error {
	var e pkcs11.Error
	if !errors.As(err, &e) {
		return err
	}
	switch uint(e) {
	case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_INVALID, pkcs11.CKR_PIN_LEN_RANGE:
		return fmt.Errorf("%w (%v)", ErrBadPIN, err)
	case pkcs11.CKR_PIN_LOCKED:
		return fmt.Errorf("the PIN is locked: unlock it with the SO PIN (%v)", err)
	case pkcs11.CKR_USER_NOT_LOGGED_IN, pkcs11.CKR_USER_PIN_NOT_INITIALIZED:
		return fmt.Errorf("not logged in: give the PIN with pin-source=file:PATH or ESEAL_PKCS11_PIN (%v)", err)
	case pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_DEVICE_ERROR:
		return fmt.Errorf("%w (%v)", ErrTokenRemoved, err)
	}
	return err
}
