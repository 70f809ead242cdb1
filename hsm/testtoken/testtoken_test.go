package testtoken

// These tests build the C module (internal/testenv.SM2TokenModule), load it
// through github.com/miekg/pkcs11 as a vendor HSM would be loaded, and check
// its signatures with gmsm and with the openssl CLI.
//
// A PKCS#11 module is loaded and initialised once per process, and the
// module reads SM2TOKEN_FILE at C_Initialize. So the tests share one
// *pkcs11.Ctx and each test that needs its own token calls fresh, which
// finalizes the module, points SM2TOKEN_FILE at a new file in t.TempDir()
// and initializes it again. Tests therefore must not run in parallel.
//
// Other processes (pkcs11-tool, and this test binary re-executed as a helper,
// see TestMain) use the same token file to check re-initialisation and
// reloading across processes.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
	"github.com/miekg/pkcs11"

	"github.com/eseal-project/eseal/internal/testenv"
)

// IBM openCryptoki SM2 profile.
const (
	ckkIBMSM2           = 0x80050002
	ckmIBMSM2KeyPairGen = 0x8005000A
	ckmIBMSM2           = 0x8005000B
	ckmIBMSM2SM3        = 0x8005000C
)

const (
	soPIN   = "87654321"
	userPIN = "1234"
	slot    = 0
)

// DER of OID 1.2.156.10197.1.301.
var sm2OID = []byte{0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d}

var defaultID = []byte("1234567812345678")

// The shared module. Tests do not run in parallel; mu only documents that.
var (
	mu          sync.Mutex
	modCtx      *pkcs11.Ctx
	modPath     string
	initialized bool
)

func TestMain(m *testing.M) {
	if mode := os.Getenv("SM2TOKEN_TEST_HELPER"); mode != "" {
		if err := helper(mode); err != nil {
			fmt.Fprintf(os.Stderr, "helper %s: %v\n", mode, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if modCtx != nil {
		if initialized {
			_ = modCtx.Finalize()
		}
		modCtx.Destroy()
	}
	os.Exit(code)
}

// helper is another process using the same token file as the test.
func helper(mode string) error {
	p := pkcs11.New(os.Getenv("SM2TOKEN_TEST_MODULE"))
	if p == nil {
		return errors.New("cannot load the module")
	}
	defer p.Destroy()
	if err := p.Initialize(); err != nil {
		return err
	}
	defer p.Finalize()
	switch mode {
	case "inittoken":
		return p.InitToken(slot, soPIN, "Reinit")
	case "keygen":
		sh, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			return err
		}
		if err := p.Login(sh, pkcs11.CKU_USER, userPIN); err != nil {
			return err
		}
		label := os.Getenv("SM2TOKEN_TEST_LABEL")
		_, _, err = p.GenerateKeyPair(sh,
			[]*pkcs11.Mechanism{pkcs11.NewMechanism(ckmIBMSM2KeyPairGen, nil)},
			[]*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
				pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
			},
			[]*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
				pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
			})
		return err
	}
	return fmt.Errorf("unknown helper mode %q", mode)
}

// runHelper runs this test binary as another process on the token file.
func runHelper(t *testing.T, mode string, env ...string) {
	t.Helper()
	env = append(env, "SM2TOKEN_TEST_HELPER="+mode, "SM2TOKEN_TEST_MODULE="+modPath)
	testenv.Run(t, env, os.Args[0], "-test.run=^$")
}

type token struct {
	t    *testing.T
	p    *pkcs11.Ctx
	file string
}

// fresh (re)initializes the module on a new, not yet existing, token file.
func fresh(t *testing.T) *token {
	t.Helper()
	path := testenv.SM2TokenModule(t)
	mu.Lock()
	defer mu.Unlock()
	if modCtx == nil {
		modCtx = pkcs11.New(path)
		if modCtx == nil {
			t.Fatalf("pkcs11.New(%s) failed", path)
		}
		modPath = path
	}
	if initialized {
		if err := modCtx.Finalize(); err != nil {
			t.Fatalf("C_Finalize: %v", err)
		}
		initialized = false
	}
	file := filepath.Join(t.TempDir(), "token")
	t.Setenv("SM2TOKEN_FILE", file)
	if err := modCtx.Initialize(); err != nil {
		t.Fatalf("C_Initialize: %v", err)
	}
	initialized = true
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		if initialized {
			_ = modCtx.Finalize()
			initialized = false
		}
	})
	return &token{t: t, p: modCtx, file: file}
}

// reload finalizes and initializes the module again (same token file).
func (k *token) reload() {
	k.t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if err := k.p.Finalize(); err != nil {
		k.t.Fatalf("C_Finalize: %v", err)
	}
	initialized = false
	if err := k.p.Initialize(); err != nil {
		k.t.Fatalf("C_Initialize: %v", err)
	}
	initialized = true
}

// initToken creates the token with the SO PIN and sets the user PIN.
func (k *token) initToken(label string) {
	k.t.Helper()
	if err := k.p.InitToken(slot, soPIN, label); err != nil {
		k.t.Fatalf("C_InitToken: %v", err)
	}
	sh := k.session(true)
	if err := k.p.Login(sh, pkcs11.CKU_SO, soPIN); err != nil {
		k.t.Fatalf("C_Login(SO): %v", err)
	}
	if err := k.p.InitPIN(sh, userPIN); err != nil {
		k.t.Fatalf("C_InitPIN: %v", err)
	}
	if err := k.p.Logout(sh); err != nil {
		k.t.Fatalf("C_Logout: %v", err)
	}
	if err := k.p.CloseSession(sh); err != nil {
		k.t.Fatalf("C_CloseSession: %v", err)
	}
}

func (k *token) session(rw bool) pkcs11.SessionHandle {
	k.t.Helper()
	flags := uint(pkcs11.CKF_SERIAL_SESSION)
	if rw {
		flags |= pkcs11.CKF_RW_SESSION
	}
	sh, err := k.p.OpenSession(slot, flags)
	if err != nil {
		k.t.Fatalf("C_OpenSession: %v", err)
	}
	return sh
}

func (k *token) login(sh pkcs11.SessionHandle) {
	k.t.Helper()
	if err := k.p.Login(sh, pkcs11.CKU_USER, userPIN); err != nil {
		k.t.Fatalf("C_Login(USER): %v", err)
	}
}

func (k *token) genKey(sh pkcs11.SessionHandle, label string, onToken bool, pubExtra, privExtra []*pkcs11.Attribute) (pub, priv pkcs11.ObjectHandle) {
	k.t.Helper()
	pub, priv, err := k.tryGenKey(sh, label, onToken, pubExtra, privExtra)
	if err != nil {
		k.t.Fatalf("C_GenerateKeyPair(%s): %v", label, err)
	}
	return pub, priv
}

func (k *token) tryGenKey(sh pkcs11.SessionHandle, label string, onToken bool, pubExtra, privExtra []*pkcs11.Attribute) (pub, priv pkcs11.ObjectHandle, err error) {
	pubT := append([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, onToken),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
	}, pubExtra...)
	privT := append([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, onToken),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
	}, privExtra...)
	return k.p.GenerateKeyPair(sh,
		[]*pkcs11.Mechanism{pkcs11.NewMechanism(ckmIBMSM2KeyPairGen, nil)}, pubT, privT)
}

func (k *token) find(sh pkcs11.SessionHandle, tmpl ...*pkcs11.Attribute) []pkcs11.ObjectHandle {
	k.t.Helper()
	if err := k.p.FindObjectsInit(sh, tmpl); err != nil {
		k.t.Fatalf("C_FindObjectsInit: %v", err)
	}
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := k.p.FindObjects(sh, 2)
		if err != nil {
			k.t.Fatalf("C_FindObjects: %v", err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	if err := k.p.FindObjectsFinal(sh); err != nil {
		k.t.Fatalf("C_FindObjectsFinal: %v", err)
	}
	return all
}

func (k *token) findOne(sh pkcs11.SessionHandle, class uint, label string) pkcs11.ObjectHandle {
	k.t.Helper()
	hs := k.find(sh, pkcs11.NewAttribute(pkcs11.CKA_CLASS, class), pkcs11.NewAttribute(pkcs11.CKA_LABEL, label))
	if len(hs) != 1 {
		k.t.Fatalf("find class %d label %q: %d objects, want 1", class, label, len(hs))
	}
	return hs[0]
}

func (k *token) attr(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, typ uint) []byte {
	k.t.Helper()
	as, err := k.p.GetAttributeValue(sh, o, []*pkcs11.Attribute{pkcs11.NewAttribute(typ, nil)})
	if err != nil {
		k.t.Fatalf("C_GetAttributeValue(0x%x): %v", typ, err)
	}
	return as[0].Value
}

// publicKey builds the gmsm public key from CKA_EC_POINT.
func (k *token) publicKey(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle) *ecdsa.PublicKey {
	k.t.Helper()
	if got := k.attr(sh, o, pkcs11.CKA_EC_PARAMS); !bytes.Equal(got, sm2OID) {
		k.t.Fatalf("CKA_EC_PARAMS = %x, want %x", got, sm2OID)
	}
	var raw []byte
	rest, err := asn1.Unmarshal(k.attr(sh, o, pkcs11.CKA_EC_POINT), &raw)
	if err != nil || len(rest) != 0 {
		k.t.Fatalf("CKA_EC_POINT is not a DER OCTET STRING: %v", err)
	}
	if len(raw) != 65 || raw[0] != 4 {
		k.t.Fatalf("CKA_EC_POINT holds %x, want 04||X||Y", raw)
	}
	pub := &ecdsa.PublicKey{Curve: sm2.P256(), X: new(big.Int).SetBytes(raw[1:33]), Y: new(big.Int).SetBytes(raw[33:])}
	if !pub.Curve.IsOnCurve(pub.X, pub.Y) {
		k.t.Fatal("CKA_EC_POINT is not on the SM2 curve")
	}
	return pub
}

func (k *token) sign(sh pkcs11.SessionHandle, mech uint, key pkcs11.ObjectHandle, data []byte) []byte {
	k.t.Helper()
	if err := k.p.SignInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, key); err != nil {
		k.t.Fatalf("C_SignInit: %v", err)
	}
	sig, err := k.p.Sign(sh, data)
	if err != nil {
		k.t.Fatalf("C_Sign: %v", err)
	}
	if len(sig) != 64 {
		k.t.Fatalf("signature is %d bytes, want 64 (r||s)", len(sig))
	}
	return sig
}

func wantErr(t *testing.T, err error, code uint, what string) {
	t.Helper()
	var e pkcs11.Error
	if !errors.As(err, &e) || uint(e) != code {
		t.Fatalf("%s: got %v, want %v", what, err, pkcs11.Error(code))
	}
}

// rsToDER converts r||s to the DER SM2/ECDSA signature.
func rsToDER(t *testing.T, sig []byte) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// sm2E computes e = SM3(Z_A || msg) with the default ID.
func sm2E(pub *ecdsa.PublicKey, msg []byte) []byte {
	za, err := sm2.CalculateZA(pub, defaultID)
	if err != nil {
		panic(err) // only for an ID over 8191 bytes
	}
	h := sm3.New()
	h.Write(za)
	h.Write(msg)
	return h.Sum(nil)
}

// opensslVerify checks a message-mode signature with the openssl CLI.
func opensslVerify(t *testing.T, pub *ecdsa.PublicKey, msg, der []byte) bool {
	t.Helper()
	openssl := testenv.Tool(t, "openssl", "openssl")
	dir := t.TempDir()
	spki, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"pub.pem": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}),
		"sig.der": der,
		"msg":     msg,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out, err := testenv.Output(nil, openssl, "dgst", "-sm3",
		"-verify", filepath.Join(dir, "pub.pem"),
		"-sigopt", "distid:1234567812345678",
		"-signature", filepath.Join(dir, "sig.der"),
		filepath.Join(dir, "msg"))
	ok := err == nil && strings.Contains(out, "Verified OK")
	if !ok && !strings.Contains(out, "Verification failure") {
		t.Fatalf("openssl dgst did not run as expected: %v\n%s", err, out)
	}
	return ok
}

func TestInitializeNeedsFile(t *testing.T) {
	k := fresh(t)
	if err := k.p.Initialize(); err == nil {
		t.Fatal("second C_Initialize succeeded")
	} else {
		wantErr(t, err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED, "second C_Initialize")
	}
	mu.Lock()
	if err := k.p.Finalize(); err != nil {
		mu.Unlock()
		t.Fatal(err)
	}
	initialized = false
	mu.Unlock()
	t.Setenv("SM2TOKEN_FILE", "")
	os.Unsetenv("SM2TOKEN_FILE")
	wantErr(t, k.p.Initialize(), pkcs11.CKR_GENERAL_ERROR, "C_Initialize without SM2TOKEN_FILE")
}

func TestSlotAndToken(t *testing.T) {
	k := fresh(t)
	p := k.p

	info, err := p.GetInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.CryptokiVersion.Major != 2 || info.CryptokiVersion.Minor != 40 {
		t.Errorf("cryptoki version %d.%d, want 2.40", info.CryptokiVersion.Major, info.CryptokiVersion.Minor)
	}

	// No file: the slot exists, the token does not.
	if s, err := p.GetSlotList(true); err != nil || len(s) != 0 {
		t.Fatalf("GetSlotList(true) without file = %v, %v; want none", s, err)
	}
	if s, err := p.GetSlotList(false); err != nil || len(s) != 1 || s[0] != slot {
		t.Fatalf("GetSlotList(false) = %v, %v; want [0]", s, err)
	}
	si, err := p.GetSlotInfo(slot)
	if err != nil {
		t.Fatal(err)
	}
	if si.Flags&pkcs11.CKF_TOKEN_PRESENT != 0 {
		t.Error("CKF_TOKEN_PRESENT set without a token file")
	}
	_, err = p.GetTokenInfo(slot)
	wantErr(t, err, pkcs11.CKR_TOKEN_NOT_PRESENT, "C_GetTokenInfo without file")
	_, err = p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	wantErr(t, err, pkcs11.CKR_TOKEN_NOT_PRESENT, "C_OpenSession without file")
	_, err = p.GetSlotInfo(7)
	wantErr(t, err, pkcs11.CKR_SLOT_ID_INVALID, "C_GetSlotInfo(7)")

	// C_InitToken creates it.
	if err := p.InitToken(slot, soPIN, "First"); err != nil {
		t.Fatal(err)
	}
	if s, err := p.GetSlotList(true); err != nil || len(s) != 1 {
		t.Fatalf("GetSlotList(true) = %v, %v; want [0]", s, err)
	}
	ti, err := p.GetTokenInfo(slot)
	if err != nil {
		t.Fatal(err)
	}
	if ti.Label != "First" || ti.ManufacturerID != "eseal test token" || ti.Model != "SM2 test token" {
		t.Errorf("token info %+v", ti)
	}
	if len(ti.SerialNumber) != 16 {
		t.Errorf("serial %q, want 16 hex digits", ti.SerialNumber)
	}
	want := uint(pkcs11.CKF_RNG | pkcs11.CKF_LOGIN_REQUIRED | pkcs11.CKF_TOKEN_INITIALIZED)
	if ti.Flags != want {
		t.Errorf("token flags 0x%x, want 0x%x", ti.Flags, want)
	}
	if ti.MinPinLen != 4 || ti.MaxPinLen < 8 {
		t.Errorf("PIN length range %d..%d", ti.MinPinLen, ti.MaxPinLen)
	}

	// The user PIN is not set yet.
	sh := k.session(true)
	wantErr(t, p.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_PIN_NOT_INITIALIZED, "user login before C_InitPIN")
	wantErr(t, p.InitPIN(sh, userPIN), pkcs11.CKR_USER_NOT_LOGGED_IN, "C_InitPIN without SO login")
	// Re-initialising with open sessions is refused, as the standard says.
	wantErr(t, p.InitToken(slot, soPIN, "Second"), pkcs11.CKR_SESSION_EXISTS, "C_InitToken with a session")
	if err := p.CloseSession(sh); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.InitToken(slot, "00000000", "Second"), pkcs11.CKR_PIN_INCORRECT, "C_InitToken with a wrong SO PIN")
	k.initToken("Second")
	ti2, err := p.GetTokenInfo(slot)
	if err != nil {
		t.Fatal(err)
	}
	if ti2.Label != "Second" || ti2.SerialNumber == ti.SerialNumber {
		t.Errorf("re-initialised token: label %q serial %q (was %q)", ti2.Label, ti2.SerialNumber, ti.SerialNumber)
	}
	if ti2.Flags&pkcs11.CKF_USER_PIN_INITIALIZED == 0 {
		t.Error("CKF_USER_PIN_INITIALIZED not set after C_InitPIN")
	}

	mechs, err := p.GetMechanismList(slot)
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint]bool{}
	for _, m := range mechs {
		got[m.Mechanism] = true
	}
	for _, m := range []uint{ckmIBMSM2KeyPairGen, ckmIBMSM2, ckmIBMSM2SM3} {
		if !got[m] {
			t.Errorf("mechanism 0x%x not listed", m)
		}
	}
	mi, err := p.GetMechanismInfo(slot, []*pkcs11.Mechanism{pkcs11.NewMechanism(ckmIBMSM2SM3, nil)})
	if err != nil || mi.Flags&pkcs11.CKF_SIGN == 0 || mi.MinKeySize != 256 {
		t.Errorf("CKM_IBM_SM2_SM3 info %+v, %v", mi, err)
	}
	mi, err = p.GetMechanismInfo(slot, []*pkcs11.Mechanism{pkcs11.NewMechanism(ckmIBMSM2KeyPairGen, nil)})
	if err != nil || mi.Flags&pkcs11.CKF_GENERATE_KEY_PAIR == 0 {
		t.Errorf("CKM_IBM_SM2_KEY_PAIR_GEN info %+v, %v", mi, err)
	}
	_, err = p.GetMechanismInfo(slot, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)})
	wantErr(t, err, pkcs11.CKR_MECHANISM_INVALID, "C_GetMechanismInfo(CKM_ECDSA)")
}

func TestLogin(t *testing.T) {
	k := fresh(t)
	k.initToken("Login")
	p := k.p
	rw := k.session(true)
	ro := k.session(false)

	wantErr(t, p.Login(rw, pkcs11.CKU_USER, "4321"), pkcs11.CKR_PIN_INCORRECT, "wrong user PIN")
	wantErr(t, p.Login(rw, pkcs11.CKU_SO, soPIN), pkcs11.CKR_SESSION_READ_ONLY_EXISTS, "SO login with a R/O session")
	wantErr(t, p.Login(rw, 7, userPIN), pkcs11.CKR_USER_TYPE_INVALID, "login as user type 7")
	k.login(rw)
	wantErr(t, p.Login(ro, pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_ALREADY_LOGGED_IN, "second login")

	// The login state belongs to the application: every session sees it.
	for sh, want := range map[pkcs11.SessionHandle]uint{rw: pkcs11.CKS_RW_USER_FUNCTIONS, ro: pkcs11.CKS_RO_USER_FUNCTIONS} {
		si, err := p.GetSessionInfo(sh)
		if err != nil {
			t.Fatal(err)
		}
		if si.State != want {
			t.Errorf("session %d state %d, want %d", sh, si.State, want)
		}
	}
	third := k.session(false)
	if si, _ := p.GetSessionInfo(third); si.State != pkcs11.CKS_RO_USER_FUNCTIONS {
		t.Errorf("new session state %d, want CKS_RO_USER_FUNCTIONS", si.State)
	}

	// Lost when the last session closes.
	for _, sh := range []pkcs11.SessionHandle{rw, ro, third} {
		if err := p.CloseSession(sh); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, p.CloseSession(rw), pkcs11.CKR_SESSION_HANDLE_INVALID, "closing a closed session")
	sh := k.session(true)
	if si, _ := p.GetSessionInfo(sh); si.State != pkcs11.CKS_RW_PUBLIC_SESSION {
		t.Errorf("state after all sessions closed %d, want CKS_RW_PUBLIC_SESSION", si.State)
	}
	wantErr(t, p.Logout(sh), pkcs11.CKR_USER_NOT_LOGGED_IN, "logout while logged out")

	// C_SetPIN changes the user PIN; the old one stops working.
	k.login(sh)
	wantErr(t, p.SetPIN(sh, "9999", "5678"), pkcs11.CKR_PIN_INCORRECT, "C_SetPIN with a wrong old PIN")
	if err := p.SetPIN(sh, userPIN, "5678"); err != nil {
		t.Fatal(err)
	}
	if err := p.Logout(sh); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_PIN_INCORRECT, "old PIN after C_SetPIN")
	if err := p.Login(sh, pkcs11.CKU_USER, "5678"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.Login(sh, pkcs11.CKU_SO, soPIN), pkcs11.CKR_USER_ANOTHER_ALREADY_LOGGED_IN, "SO login while user is logged in")

	// PINs are stored only as salted hashes.
	data, err := os.ReadFile(k.file)
	if err != nil {
		t.Fatal(err)
	}
	for _, pin := range []string{soPIN, "5678"} {
		if bytes.Contains(data, []byte(pin)) || bytes.Contains(data, []byte(hex.EncodeToString([]byte(pin)))) {
			t.Errorf("token file contains PIN %q", pin)
		}
	}
}

func TestKeygenSignVerify(t *testing.T) {
	k := fresh(t)
	k.initToken("Sign")
	p := k.p
	sh := k.session(true)

	// Private keys need the user.
	_, _, err := k.tryGenKey(sh, "nologin", false, nil, nil)
	wantErr(t, err, pkcs11.CKR_USER_NOT_LOGGED_IN, "generating a private key without login")
	k.login(sh)

	id := []byte{0xe5, 0xea, 0x1}
	pubH, privH := k.genKey(sh, "seal-1", true,
		[]*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, id), pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, sm2OID)},
		[]*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, id), pkcs11.NewAttribute(pkcs11.CKA_SIGN, true)})
	_, otherPriv := k.genKey(sh, "seal-2", false, nil, nil)
	_, noSign := k.genKey(sh, "nosign", false, nil, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_SIGN, false)})

	_, _, err = k.tryGenKey(sh, "badcurve", false,
		[]*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07})}, nil)
	wantErr(t, err, pkcs11.CKR_CURVE_NOT_SUPPORTED, "P-256 CKA_EC_PARAMS")
	_, _, err = k.p.GenerateKeyPair(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_EC_KEY_PAIR_GEN, nil)}, nil, nil)
	wantErr(t, err, pkcs11.CKR_MECHANISM_INVALID, "CKM_EC_KEY_PAIR_GEN")

	// Find by label, by class and key type, by id.
	if got := k.findOne(sh, pkcs11.CKO_PRIVATE_KEY, "seal-1"); got != privH {
		t.Fatalf("private key by label: %d, want %d", got, privH)
	}
	if got := k.findOne(sh, pkcs11.CKO_PUBLIC_KEY, "seal-1"); got != pubH {
		t.Fatalf("public key by label: %d, want %d", got, pubH)
	}
	if hs := k.find(sh, pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, ckkIBMSM2), pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)); len(hs) != 3 {
		t.Errorf("%d SM2 private keys, want 3", len(hs))
	}
	if hs := k.find(sh, pkcs11.NewAttribute(pkcs11.CKA_ID, id)); len(hs) != 2 {
		t.Errorf("%d objects with the id, want 2", len(hs))
	}
	if hs := k.find(sh, pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true)); len(hs) != 2 {
		t.Errorf("%d token objects, want 2", len(hs))
	}
	if hs := k.find(sh); len(hs) != 6 {
		t.Errorf("%d objects in all, want 6", len(hs))
	}
	if hs := k.find(sh, pkcs11.NewAttribute(pkcs11.CKA_LABEL, "nothing")); len(hs) != 0 {
		t.Errorf("found %d objects labelled nothing", len(hs))
	}

	// Attributes.
	if kt := k.attr(sh, privH, pkcs11.CKA_KEY_TYPE); !bytes.Equal(kt, pkcs11.NewAttribute(0, ckkIBMSM2).Value) {
		t.Errorf("CKA_KEY_TYPE %x", kt)
	}
	_, err = p.GetAttributeValue(sh, privH, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
	wantErr(t, err, pkcs11.CKR_ATTRIBUTE_SENSITIVE, "CKA_VALUE of the private key")
	_, err = p.GetAttributeValue(sh, pubH, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil)})
	wantErr(t, err, pkcs11.CKR_ATTRIBUTE_TYPE_INVALID, "CKA_MODULUS of an SM2 key")
	if !bytes.Equal(k.attr(sh, privH, pkcs11.CKA_EC_POINT), k.attr(sh, pubH, pkcs11.CKA_EC_POINT)) {
		t.Error("CKA_EC_POINT differs between the two halves")
	}
	pub := k.publicKey(sh, pubH)
	otherPub := k.publicKey(sh, otherPriv)

	msg := []byte("eseal: a message to seal, 你好")
	flipped := append([]byte(nil), msg...)
	flipped[3] ^= 1

	// Message mode (token computes SM3(Z||M)), single part.
	sig := k.sign(sh, ckmIBMSM2SM3, privH, msg)
	der := rsToDER(t, sig)
	if !sm2.VerifyASN1WithSM2(pub, nil, msg, der) {
		t.Fatal("gmsm rejects the CKM_IBM_SM2_SM3 signature")
	}
	if sm2.VerifyASN1WithSM2(pub, nil, flipped, der) {
		t.Fatal("gmsm accepts the signature on a flipped message")
	}
	if sm2.VerifyASN1WithSM2(otherPub, nil, msg, der) {
		t.Fatal("gmsm accepts the signature under another key")
	}
	if !opensslVerify(t, pub, msg, der) {
		t.Fatal("openssl rejects the CKM_IBM_SM2_SM3 signature")
	}
	if opensslVerify(t, pub, flipped, der) {
		t.Fatal("openssl accepts the signature on a flipped message")
	}
	if opensslVerify(t, otherPub, msg, der) {
		t.Fatal("openssl accepts the signature under another key")
	}

	// Message mode, multi-part.
	if err := p.SignInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(ckmIBMSM2SM3, nil)}, privH); err != nil {
		t.Fatal(err)
	}
	for _, part := range [][]byte{msg[:5], nil, msg[5:11], msg[11:]} {
		if err := p.SignUpdate(sh, part); err != nil {
			t.Fatal(err)
		}
	}
	multi, err := p.SignFinal(sh)
	if err != nil {
		t.Fatal(err)
	}
	if len(multi) != 64 || !sm2.VerifyASN1WithSM2(pub, nil, msg, rsToDER(t, multi)) {
		t.Fatal("multi-part CKM_IBM_SM2_SM3 signature does not verify")
	}
	if !opensslVerify(t, pub, msg, rsToDER(t, multi)) {
		t.Fatal("openssl rejects the multi-part signature")
	}
	// The empty message, multi-part with no update.
	if err := p.SignInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(ckmIBMSM2SM3, nil)}, privH); err != nil {
		t.Fatal(err)
	}
	empty, err := p.SignFinal(sh)
	if err != nil || !sm2.VerifyASN1WithSM2(pub, nil, nil, rsToDER(t, empty)) {
		t.Fatalf("empty message signature: %v", err)
	}

	// e mode: the caller computes e = SM3(Z||M).
	e := sm2E(pub, msg)
	sigE := k.sign(sh, ckmIBMSM2, privH, e)
	derE := rsToDER(t, sigE)
	if !sm2.VerifyASN1(pub, e, derE) {
		t.Fatal("gmsm rejects the CKM_IBM_SM2 signature")
	}
	if !sm2.VerifyASN1WithSM2(pub, nil, msg, derE) || !opensslVerify(t, pub, msg, derE) {
		t.Fatal("the CKM_IBM_SM2 signature of SM3(Z||M) is not a signature of M")
	}
	badE := append([]byte(nil), e...)
	badE[0] ^= 0x80
	if sm2.VerifyASN1(pub, badE, derE) || sm2.VerifyASN1(otherPub, e, derE) {
		t.Fatal("gmsm accepts the CKM_IBM_SM2 signature for another e or key")
	}
	randomE := make([]byte, 32)
	rand.Read(randomE)
	if !sm2.VerifyASN1(pub, randomE, rsToDER(t, k.sign(sh, ckmIBMSM2, privH, randomE))) {
		t.Fatal("gmsm rejects the CKM_IBM_SM2 signature of a random e")
	}

	// Error paths.
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(ckmIBMSM2, nil)}
	if err := p.SignInit(sh, mech, privH); err != nil {
		t.Fatal(err)
	}
	_, err = p.Sign(sh, e[:31])
	wantErr(t, err, pkcs11.CKR_DATA_LEN_RANGE, "CKM_IBM_SM2 with 31 bytes")
	_, err = p.Sign(sh, e)
	wantErr(t, err, pkcs11.CKR_OPERATION_NOT_INITIALIZED, "C_Sign after a failed C_Sign")
	if err := p.SignInit(sh, mech, privH); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.SignInit(sh, mech, privH), pkcs11.CKR_OPERATION_ACTIVE, "second C_SignInit")
	if _, err := p.Sign(sh, e); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.SignInit(sh, mech, noSign), pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED, "key with CKA_SIGN false")
	wantErr(t, p.SignInit(sh, mech, pubH), pkcs11.CKR_KEY_TYPE_INCONSISTENT, "signing with the public key")
	wantErr(t, p.SignInit(sh, mech, 99999), pkcs11.CKR_KEY_HANDLE_INVALID, "signing with no key")
	wantErr(t, p.SignInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDSA, nil)}, privH), pkcs11.CKR_MECHANISM_INVALID, "CKM_ECDSA")

	rnd, err := p.GenerateRandom(sh, 32)
	if err != nil || len(rnd) != 32 || bytes.Equal(rnd, make([]byte, 32)) {
		t.Fatalf("C_GenerateRandom: %x, %v", rnd, err)
	}
	if err := p.SeedRandom(sh, []byte("seed")); err != nil {
		t.Fatal(err)
	}

	// Logged out: private objects are invisible; signing needs the user.
	if err := p.Logout(sh); err != nil {
		t.Fatal(err)
	}
	if hs := k.find(sh, pkcs11.NewAttribute(pkcs11.CKA_LABEL, "seal-1")); len(hs) != 1 || hs[0] != pubH {
		t.Errorf("logged out, label seal-1 finds %v, want only the public key %d", hs, pubH)
	}
	_, err = p.GetAttributeValue(sh, privH, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil)})
	wantErr(t, err, pkcs11.CKR_OBJECT_HANDLE_INVALID, "private key attributes while logged out")
	wantErr(t, p.SignInit(sh, mech, privH), pkcs11.CKR_USER_NOT_LOGGED_IN, "signing while logged out")

	// Read-only sessions cannot create or destroy token objects.
	ro := k.session(false)
	k.login(ro)
	_, _, err = k.tryGenKey(ro, "ro", true, nil, nil)
	wantErr(t, err, pkcs11.CKR_SESSION_READ_ONLY, "token key in a R/O session")
	wantErr(t, p.DestroyObject(ro, pubH), pkcs11.CKR_SESSION_READ_ONLY, "destroying a token object in a R/O session")
	if err := p.DestroyObject(sh, otherPriv); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.SignInit(sh, mech, otherPriv), pkcs11.CKR_KEY_HANDLE_INVALID, "signing with a destroyed key")
}

func TestPersistence(t *testing.T) {
	k := fresh(t)
	k.initToken("Persist")
	sh := k.session(true)
	k.login(sh)
	pubH, privH := k.genKey(sh, "kept", true, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, []byte{7})},
		[]*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_ID, []byte{7})})
	k.genKey(sh, "ephemeral", false, nil, nil)
	point := k.attr(sh, pubH, pkcs11.CKA_EC_POINT)
	_ = privH

	k.reload()
	ti, err := k.p.GetTokenInfo(slot)
	if err != nil || ti.Label != "Persist" || ti.Flags&pkcs11.CKF_USER_PIN_INITIALIZED == 0 {
		t.Fatalf("token after reload: %+v, %v", ti, err)
	}
	sh = k.session(true)
	wantErr(t, k.p.Login(sh, pkcs11.CKU_USER, "0000"), pkcs11.CKR_PIN_INCORRECT, "wrong PIN after reload")
	k.login(sh)
	if hs := k.find(sh, pkcs11.NewAttribute(pkcs11.CKA_LABEL, "ephemeral")); len(hs) != 0 {
		t.Errorf("session objects survived C_Finalize: %v", hs)
	}
	priv := k.findOne(sh, pkcs11.CKO_PRIVATE_KEY, "kept")
	pub := k.findOne(sh, pkcs11.CKO_PUBLIC_KEY, "kept")
	if got := k.attr(sh, priv, pkcs11.CKA_ID); !bytes.Equal(got, []byte{7}) {
		t.Errorf("CKA_ID after reload %x", got)
	}
	if got := k.attr(sh, pub, pkcs11.CKA_EC_POINT); !bytes.Equal(got, point) {
		t.Error("CKA_EC_POINT changed across reload")
	}
	pk := k.publicKey(sh, pub)
	msg := []byte("persisted")
	if !sm2.VerifyASN1WithSM2(pk, nil, msg, rsToDER(t, k.sign(sh, ckmIBMSM2SM3, priv, msg))) {
		t.Fatal("the reloaded key signs wrongly")
	}

	// Destroying a token object persists too.
	if err := k.p.DestroyObject(sh, pub); err != nil {
		t.Fatal(err)
	}
	k.reload()
	sh = k.session(false)
	k.login(sh)
	if hs := k.find(sh, pkcs11.NewAttribute(pkcs11.CKA_LABEL, "kept")); len(hs) != 1 {
		t.Errorf("after destroying the public key, %d objects labelled kept, want 1", len(hs))
	}
}

func TestTokenRemoved(t *testing.T) {
	k := fresh(t)
	k.initToken("Removable")
	p := k.p
	sh := k.session(true)
	k.login(sh)
	pubH, privH := k.genKey(sh, "rm", true, nil, nil)
	pending := k.session(false)
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(ckmIBMSM2SM3, nil)}
	if err := p.SignInit(pending, mech, privH); err != nil {
		t.Fatal(err)
	}

	away := k.file + ".away"
	if err := os.Rename(k.file, away); err != nil {
		t.Fatal(err)
	}
	_, err := p.GetSessionInfo(sh)
	wantErr(t, err, pkcs11.CKR_DEVICE_REMOVED, "C_GetSessionInfo on a removed token")
	_, err = p.Sign(pending, []byte("x"))
	wantErr(t, err, pkcs11.CKR_DEVICE_REMOVED, "C_Sign on a removed token")
	wantErr(t, p.SignInit(sh, mech, privH), pkcs11.CKR_DEVICE_REMOVED, "C_SignInit on a removed token")
	if s, err := p.GetSlotList(true); err != nil || len(s) != 0 {
		t.Errorf("GetSlotList(true) with the token removed = %v, %v", s, err)
	}
	if si, err := p.GetSlotInfo(slot); err != nil || si.Flags&pkcs11.CKF_TOKEN_PRESENT != 0 {
		t.Errorf("slot info with the token removed: %+v, %v", si, err)
	}
	_, err = p.GetTokenInfo(slot)
	wantErr(t, err, pkcs11.CKR_TOKEN_NOT_PRESENT, "C_GetTokenInfo on a removed token")
	_, err = p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	wantErr(t, err, pkcs11.CKR_TOKEN_NOT_PRESENT, "C_OpenSession on a removed token")

	// The token comes back: new sessions work, without C_Initialize.
	if err := os.Rename(away, k.file); err != nil {
		t.Fatal(err)
	}
	if s, err := p.GetSlotList(true); err != nil || len(s) != 1 {
		t.Errorf("GetSlotList(true) after reinsertion = %v, %v", s, err)
	}
	_, err = p.GetSessionInfo(sh)
	var pe pkcs11.Error
	if !errors.As(err, &pe) || (pe != pkcs11.CKR_DEVICE_REMOVED && pe != pkcs11.CKR_SESSION_HANDLE_INVALID) {
		t.Errorf("old session after reinsertion: %v", err)
	}
	sh2 := k.session(true)
	if si, _ := p.GetSessionInfo(sh2); si.State != pkcs11.CKS_RW_PUBLIC_SESSION {
		t.Errorf("login survived the removal (state %d)", si.State)
	}
	k.login(sh2)
	if got := k.findOne(sh2, pkcs11.CKO_PRIVATE_KEY, "rm"); got != privH {
		t.Errorf("object handle changed across removal: %d, was %d", got, privH)
	}
	msg := []byte("after reinsertion")
	if !sm2.VerifyASN1WithSM2(k.publicKey(sh2, pubH), nil, msg, rsToDER(t, k.sign(sh2, ckmIBMSM2SM3, privH, msg))) {
		t.Fatal("signature after reinsertion does not verify")
	}
	for _, old := range []pkcs11.SessionHandle{sh, pending} {
		if err := p.CloseSession(old); err != nil {
			t.Errorf("closing a dead session: %v", err)
		}
	}
}

func TestTokenReinitialised(t *testing.T) {
	k := fresh(t)
	k.initToken("Before")
	p := k.p
	sh := k.session(true)
	k.login(sh)
	_, privH := k.genKey(sh, "old", true, nil, nil)
	before, err := p.GetTokenInfo(slot)
	if err != nil {
		t.Fatal(err)
	}

	// Another process re-initialises the token (new instance id).
	runHelper(t, "inittoken")

	_, err = p.GetSessionInfo(sh)
	wantErr(t, err, pkcs11.CKR_SESSION_HANDLE_INVALID, "session of the old token")
	wantErr(t, p.SignInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(ckmIBMSM2, nil)}, privH), pkcs11.CKR_SESSION_HANDLE_INVALID, "C_SignInit on the old token")
	after, err := p.GetTokenInfo(slot)
	if err != nil {
		t.Fatal(err)
	}
	if after.SerialNumber == before.SerialNumber || after.Label != "Reinit" || after.Flags&pkcs11.CKF_USER_PIN_INITIALIZED != 0 {
		t.Errorf("token info after re-initialisation: %+v (before: %+v)", after, before)
	}
	sh2 := k.session(true)
	if si, _ := p.GetSessionInfo(sh2); si.State != pkcs11.CKS_RW_PUBLIC_SESSION {
		t.Errorf("login survived re-initialisation (state %d)", si.State)
	}
	wantErr(t, p.Login(sh2, pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_PIN_NOT_INITIALIZED, "user login on the new token")
	if err := p.Login(sh2, pkcs11.CKU_SO, soPIN); err != nil {
		t.Fatal(err)
	}
	if err := p.InitPIN(sh2, userPIN); err != nil {
		t.Fatal(err)
	}
	if err := p.Logout(sh2); err != nil {
		t.Fatal(err)
	}
	k.login(sh2)
	_, err = p.GetAttributeValue(sh2, privH, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_LABEL, nil)})
	wantErr(t, err, pkcs11.CKR_OBJECT_HANDLE_INVALID, "object handle of the old token")
	if hs := k.find(sh2); len(hs) != 0 {
		t.Errorf("the new token has %d objects", len(hs))
	}

	// C_InitToken in this process, once its sessions are closed.
	k.genKey(sh2, "doomed", true, nil, nil)
	if err := p.CloseAllSessions(slot); err != nil {
		t.Fatal(err)
	}
	wantErr(t, p.Logout(sh2), pkcs11.CKR_SESSION_HANDLE_INVALID, "closed session")
	k.initToken("Again")
	again, _ := p.GetTokenInfo(slot)
	if again.SerialNumber == after.SerialNumber {
		t.Error("C_InitToken kept the instance id")
	}
	sh3 := k.session(false)
	k.login(sh3)
	if hs := k.find(sh3); len(hs) != 0 {
		t.Errorf("C_InitToken kept %d objects", len(hs))
	}
}

func TestOtherProcessAddsKey(t *testing.T) {
	k := fresh(t)
	k.initToken("Shared")
	sh := k.session(true)
	k.login(sh)
	_, mine := k.genKey(sh, "mine", true, nil, nil)

	runHelper(t, "keygen", "SM2TOKEN_TEST_LABEL=theirs")

	// Same token: the session and login stay, the new key appears.
	if si, err := k.p.GetSessionInfo(sh); err != nil || si.State != pkcs11.CKS_RW_USER_FUNCTIONS {
		t.Fatalf("session after another process wrote the token: %+v, %v", si, err)
	}
	if got := k.findOne(sh, pkcs11.CKO_PRIVATE_KEY, "mine"); got != mine {
		t.Errorf("handle of our key changed: %d, was %d", got, mine)
	}
	theirs := k.findOne(sh, pkcs11.CKO_PRIVATE_KEY, "theirs")
	pub := k.publicKey(sh, k.findOne(sh, pkcs11.CKO_PUBLIC_KEY, "theirs"))
	msg := []byte("made elsewhere")
	if !sm2.VerifyASN1WithSM2(pub, nil, msg, rsToDER(t, k.sign(sh, ckmIBMSM2SM3, theirs, msg))) {
		t.Fatal("signature with the other process's key does not verify")
	}
}

func TestConcurrentSigning(t *testing.T) {
	k := fresh(t)
	k.initToken("Concurrent")
	p := k.p
	sh := k.session(true)
	k.login(sh)
	pubH, privH := k.genKey(sh, "busy", true, nil, nil)
	pub := k.publicKey(sh, pubH)

	const workers, rounds = 4, 40
	sessions := make([]pkcs11.SessionHandle, workers)
	for i := range sessions {
		sessions[i] = k.session(false)
	}
	run := func(n, per int) (time.Duration, error) {
		var wg sync.WaitGroup
		errs := make(chan error, n)
		start := time.Now()
		for w := 0; w < n; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				s := sessions[w]
				for i := 0; i < per; i++ {
					msg := []byte(fmt.Sprintf("worker %d message %d", w, i))
					mech := uint(ckmIBMSM2SM3)
					data := msg
					if i%2 == 1 {
						mech = ckmIBMSM2
						data = sm2E(pub, msg)
					}
					if err := p.SignInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)}, privH); err != nil {
						errs <- fmt.Errorf("worker %d: C_SignInit: %v", w, err)
						return
					}
					sig, err := p.Sign(s, data)
					if err != nil {
						errs <- fmt.Errorf("worker %d: C_Sign: %v", w, err)
						return
					}
					der, _ := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
					if !sm2.VerifyASN1WithSM2(pub, nil, msg, der) {
						errs <- fmt.Errorf("worker %d: signature %d does not verify", w, i)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		return time.Since(start), <-errs
	}
	if _, err := run(workers, rounds); err != nil {
		t.Fatal(err)
	}
	// Parallelism is only reported: timing on a shared machine is noisy.
	one, err := run(1, 2*rounds)
	if err != nil {
		t.Fatal(err)
	}
	two, err := run(2, rounds)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d signatures: 1 session %v, 2 sessions %v (speed-up %.2f)", 2*rounds, one, two, float64(one)/float64(two))
}

func TestPkcs11Tool(t *testing.T) {
	tool := testenv.Tool(t, "pkcs11-tool", "opensc")
	k := fresh(t)
	p := k.p
	base := []string{"--module", modPath}
	run := func(args ...string) string {
		t.Helper()
		return testenv.Run(t, nil, tool, append(append([]string(nil), base...), args...)...)
	}

	if out := run("--list-slots"); !strings.Contains(out, "(empty)") {
		t.Errorf("--list-slots without a token file:\n%s", out)
	}
	// pkcs11-tool --init-token wants a present token: an empty file is a
	// blank (uninitialised) token.
	if err := os.WriteFile(k.file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	run("--init-token", "--label", "Tool", "--so-pin", soPIN)
	run("--init-pin", "--login", "--login-type", "so", "--so-pin", soPIN, "--pin", userPIN)

	// This process sees the token pkcs11-tool made and adds a key.
	sh := k.session(true)
	k.login(sh)
	k.genKey(sh, "tool-key", true, nil, nil)

	out := run("--list-slots")
	for _, want := range []string{"SM2 test token", "Tool", "eseal test token"} {
		if !strings.Contains(out, want) {
			t.Errorf("--list-slots lacks %q:\n%s", want, out)
		}
	}
	out = run("--list-mechanisms")
	for _, want := range []string{"0x8005000A", "0x8005000B", "0x8005000C"} {
		if !strings.Contains(strings.ToUpper(out), strings.ToUpper(want)) {
			t.Errorf("--list-mechanisms lacks %s:\n%s", want, out)
		}
	}
	out = run("--list-objects", "--login", "--pin", userPIN)
	if strings.Count(out, "tool-key") != 2 {
		t.Errorf("--list-objects does not show both halves of tool-key:\n%s", out)
	}
	if o, err := testenv.Output(nil, tool, append(base, "--list-objects", "--login", "--pin", "9999")...); err == nil || !strings.Contains(o, "CKR_PIN_INCORRECT") {
		t.Errorf("--list-objects with a wrong PIN: %v\n%s", err, o)
	}

	// pkcs11-tool re-initialises the token under our open session.
	run("--init-token", "--label", "Tool2", "--so-pin", soPIN)
	_, err := p.GetSessionInfo(sh)
	wantErr(t, err, pkcs11.CKR_SESSION_HANDLE_INVALID, "session after pkcs11-tool --init-token")
	if ti, err := p.GetTokenInfo(slot); err != nil || ti.Label != "Tool2" {
		t.Errorf("token after pkcs11-tool --init-token: %+v, %v", ti, err)
	}
}
