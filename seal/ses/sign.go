package ses

// Making, signing and verifying. Every SM2 operation goes through a
// crypto.Signer with sm2.NewSM2SignerOption(true, nil), so the signer (soft
// key or HSM) computes SM3(Z || M) with the default user ID; verification
// uses the same ID.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// MakeSeal makes a seal: it fills in the header id and version if they are
// zero, normalises the times to UTC whole seconds, checks that the
// information is complete, and has the maker sign DER(info). makerCert is the
// maker's DER certificate and must hold maker's public key.
//
// The maker's signature is verified before the seal is returned, so a signer
// that ignores the SM2 options cannot produce a seal that will not verify.
func MakeSeal(info SealInfo, makerCert []byte, maker crypto.Signer) (*Seal, error) {
	if info.Header.ID == "" {
		info.Header.ID = HeaderID
	}
	if info.Header.Version == 0 {
		info.Header.Version = Version
	}
	p := &info.Property
	p.CreateDate = second(p.CreateDate)
	p.ValidStart = second(p.ValidStart)
	p.ValidEnd = second(p.ValidEnd)
	if err := checkSealInfo(&info); err != nil {
		return nil, fmt.Errorf("ses: making seal %q: %w", info.ESID, err)
	}
	pub, err := sm2CertKey(makerCert, "maker")
	if err != nil {
		return nil, fmt.Errorf("ses: making seal %q: %w", info.ESID, err)
	}
	if !pub.Equal(maker.Public()) {
		return nil, fmt.Errorf("ses: making seal %q: the maker certificate does not hold the signer's public key", info.ESID)
	}
	tbs, err := info.Marshal()
	if err != nil {
		return nil, fmt.Errorf("ses: making seal %q: %w", info.ESID, err)
	}
	sig, err := signSM2(maker, pub, tbs)
	if err != nil {
		return nil, fmt.Errorf("ses: making seal %q: maker: %w", info.ESID, err)
	}
	s := &Seal{ESealInfo: info, Cert: makerCert, SignAlgID: OIDSM2WithSM3, SignedValue: sig}
	der, err := s.Marshal()
	if err != nil {
		return nil, fmt.Errorf("ses: making seal %q: %w", info.ESID, err)
	}
	// Hand back a parsed copy: it shares no memory with the caller's
	// arguments and is exactly what a reader of the DER will see.
	return ParseSeal(der)
}

func second(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func checkSealInfo(si *SealInfo) error {
	p := &si.Property
	switch {
	case si.ESID == "":
		return errors.New("esID is empty")
	case si.Header.VID == "":
		return errors.New("header vid (vendor id) is empty")
	case p.Name == "":
		return errors.New("property name is empty")
	case p.CreateDate.IsZero() || p.ValidStart.IsZero() || p.ValidEnd.IsZero():
		return errors.New("createDate, validStart and validEnd must all be set")
	case !p.ValidStart.Before(p.ValidEnd):
		return fmt.Errorf("validStart %s is not before validEnd %s", p.ValidStart.Format(time.RFC3339), p.ValidEnd.Format(time.RFC3339))
	case si.Picture.Type == "" || len(si.Picture.Data) == 0:
		return errors.New("picture type and data must be set")
	case si.Picture.Width <= 0 || si.Picture.Height <= 0:
		return fmt.Errorf("picture size %dx%d mm must be positive", si.Picture.Width, si.Picture.Height)
	}
	switch p.CertListType {
	case CertListTypeCerts:
		if len(p.CertList.Certs) == 0 {
			return errors.New("certList has no signer certificates")
		}
		for i, c := range p.CertList.Certs {
			if _, err := smx509.ParseCertificate(c); err != nil {
				return fmt.Errorf("certList certs[%d]: %w: %v", i, ErrBadCertificate, err)
			}
		}
	case CertListTypeDigests:
		if len(p.CertList.CertDigestList) == 0 {
			return errors.New("certList has no signer certificate digests")
		}
		for i, d := range p.CertList.CertDigestList {
			if digestOf(d.Type, nil) == nil {
				return fmt.Errorf("certList certDigestList[%d]: unknown digest type %q (use \"SM3\")", i, d.Type)
			}
		}
	default:
		return fmt.Errorf("certListType is %d, want %d (certificates) or %d (certificate digests)",
			p.CertListType, CertListTypeCerts, CertListTypeDigests)
	}
	return nil
}

// CertDigest returns the certDigestList entry for a signer certificate: its
// SM3 digest, typed "SM3".
func CertDigest(cert []byte) CertDigestObj {
	sum := sm3.Sum(cert)
	return CertDigestObj{Type: "SM3", Value: sum[:]}
}

// digestOf hashes cert with the algorithm a CertDigestObj type names, or
// returns nil for a name it does not know.
func digestOf(typ string, cert []byte) []byte {
	switch strings.ToUpper(strings.TrimSpace(typ)) {
	case "SM3", OIDSM3.String():
		s := sm3.Sum(cert)
		return s[:]
	case "SHA256", "SHA-256", "2.16.840.1.101.3.4.2.1":
		s := sha256.Sum256(cert)
		return s[:]
	}
	return nil
}

// ValidAt checks that t lies within the seal's validity period
// [validStart, validEnd]. The error is a *ValidityError.
func (s *Seal) ValidAt(t time.Time) error {
	p := &s.ESealInfo.Property
	if t.Before(p.ValidStart) || t.After(p.ValidEnd) {
		return &ValidityError{At: t, ValidStart: p.ValidStart, ValidEnd: p.ValidEnd}
	}
	return nil
}

// MakerCertificate parses the maker's certificate carried in the seal. It
// is not checked against any trust anchor here.
func (s *Seal) MakerCertificate() (*smx509.Certificate, error) {
	c, err := smx509.ParseCertificate(s.Cert)
	if err != nil {
		return nil, fmt.Errorf("ses: %w: maker certificate: %v", ErrBadCertificate, err)
	}
	return c, nil
}

// VerifyMaker checks the maker's signature over the seal information with
// the public key of the certificate the seal carries. Whether that
// certificate is trusted is for the caller (certs.VerifyChain) to decide.
func (s *Seal) VerifyMaker() error {
	pub, err := sm2CertKey(s.Cert, "maker")
	if err != nil {
		return fmt.Errorf("ses: seal %q: %w", s.ESealInfo.ESID, err)
	}
	return s.VerifyMakerKey(pub)
}

// VerifyMakerKey checks the maker's signature over the seal information
// with a given SM2 public key, e.g. one from a trust list.
func (s *Seal) VerifyMakerKey(pub *ecdsa.PublicKey) error {
	if !s.SignAlgID.Equal(OIDSM2WithSM3) {
		return fmt.Errorf("ses: seal %q: %w: signAlgID %v, want SM2-with-SM3 %v", s.ESealInfo.ESID, ErrUnsupportedAlgorithm, s.SignAlgID, OIDSM2WithSM3)
	}
	tbs, err := s.ESealInfo.Marshal()
	if err != nil {
		return err
	}
	if pub == nil || !sm2.VerifyASN1WithSM2(pub, nil, tbs, s.SignedValue) {
		return fmt.Errorf("ses: seal %q: %w", s.ESealInfo.ESID, ErrBadMakerSignature)
	}
	return nil
}

// CheckSigner checks that cert (DER) is one of the seal's authorised
// signers: equal to an entry of certs, or matching a digest of
// certDigestList.
func (s *Seal) CheckSigner(cert []byte) error {
	p := &s.ESealInfo.Property
	switch p.CertListType {
	case CertListTypeCerts:
		for _, c := range p.CertList.Certs {
			if bytes.Equal(c, cert) {
				return nil
			}
		}
		return fmt.Errorf("ses: seal %q: %w (it lists %d certificates)", s.ESealInfo.ESID, ErrSignerNotInCertList, len(p.CertList.Certs))
	case CertListTypeDigests:
		var unknown []string
		for _, d := range p.CertList.CertDigestList {
			h := digestOf(d.Type, cert)
			if h == nil {
				unknown = append(unknown, d.Type)
				continue
			}
			if bytes.Equal(h, d.Value) {
				return nil
			}
		}
		if len(unknown) > 0 {
			return fmt.Errorf("ses: seal %q: %w (it lists %d digests; digest types %q not understood)",
				s.ESealInfo.ESID, ErrSignerNotInCertList, len(p.CertList.CertDigestList), unknown)
		}
		return fmt.Errorf("ses: seal %q: %w (it lists %d digests)", s.ESealInfo.ESID, ErrSignerNotInCertList, len(p.CertList.CertDigestList))
	}
	return fmt.Errorf("ses: seal %q: %w: unknown certListType %d", s.ESealInfo.ESID, ErrSignerNotInCertList, p.CertListType)
}

// Sign applies seal to content whose SM3 digest is dataHash, as the holder
// of signerCert (DER). propertyInfo says what was signed (for OFD the path of
// Signature.xml); at is the signing time, written in UTC to the second.
//
// Sign refuses to make a signature that Verify would reject for reasons
// known now: a signer certificate that is not in the seal's certList or does
// not hold the signer's key, a seal outside its validity period at at, a
// dataHash that is not 32 bytes. It verifies its own SM2 signature before
// returning. It does not check the seal's maker signature; seals are checked
// when they enter the store.
func Sign(seal *Seal, signerCert []byte, signer crypto.Signer, dataHash []byte, propertyInfo string, at time.Time) (*Signature, error) {
	if seal == nil {
		return nil, errors.New("ses: sign: no seal")
	}
	id := seal.ESealInfo.ESID
	if len(dataHash) != sm3.Size {
		return nil, fmt.Errorf("ses: sign with seal %q: dataHash is %d bytes, want the %d-byte SM3 digest of the content", id, len(dataHash), sm3.Size)
	}
	if propertyInfo == "" {
		return nil, fmt.Errorf("ses: sign with seal %q: propertyInfo is empty; it must at least name what is signed", id)
	}
	if i := notIA5(propertyInfo); i >= 0 {
		return nil, fmt.Errorf("ses: sign with seal %q: propertyInfo must be ASCII (IA5String); byte %d is not", id, i)
	}
	pub, err := sm2CertKey(signerCert, "signer")
	if err != nil {
		return nil, fmt.Errorf("ses: sign with seal %q: %w", id, err)
	}
	if !pub.Equal(signer.Public()) {
		return nil, fmt.Errorf("ses: sign with seal %q: the signer certificate does not hold the signer's public key", id)
	}
	if err := seal.CheckSigner(signerCert); err != nil {
		return nil, err
	}
	at = second(at)
	if err := seal.ValidAt(at); err != nil {
		return nil, fmt.Errorf("ses: sign with seal %q: %w", id, err)
	}
	t := TBSSign{
		Version:      Version,
		ESeal:        *seal,
		TimeInfo:     at,
		DataHash:     bytes.Clone(dataHash),
		PropertyInfo: propertyInfo,
	}
	return signTBS(&t, signerCert, signer, pub)
}

// signTBS signs t without policy checks; Sign's checks come first.
func signTBS(t *TBSSign, signerCert []byte, signer crypto.Signer, pub *ecdsa.PublicKey) (*Signature, error) {
	tbs, err := t.Marshal()
	if err != nil {
		return nil, err
	}
	sig, err := signSM2(signer, pub, tbs)
	if err != nil {
		return nil, fmt.Errorf("ses: sign with seal %q: %w", t.ESeal.ESealInfo.ESID, err)
	}
	s := &Signature{ToSign: *t, Cert: signerCert, SignatureAlgID: OIDSM2WithSM3, Signature: sig}
	der, err := s.Marshal()
	if err != nil {
		return nil, err
	}
	return ParseSignature(der)
}

// SignerCertificate parses the signer's certificate carried in the
// signature. It is not checked against any trust anchor here.
func (s *Signature) SignerCertificate() (*smx509.Certificate, error) {
	c, err := smx509.ParseCertificate(s.Cert)
	if err != nil {
		return nil, fmt.Errorf("ses: %w: signer certificate: %v", ErrBadCertificate, err)
	}
	return c, nil
}

// Verify checks a signature against the SM3 digest of the content it is
// presented with. In order, and stopping at the first failure:
//
//   - signatureAlgID is SM2-with-SM3 (ErrUnsupportedAlgorithm);
//   - dataHash equals the signed dataHash (ErrDataHashMismatch);
//   - the signer certificate holds an SM2 key (ErrBadCertificate) whose
//     signature over TBS_Sign verifies (ErrBadSignature);
//   - the embedded seal's maker signature verifies (ErrBadMakerSignature);
//   - the signer certificate is in the seal's certList
//     (ErrSignerNotInCertList);
//   - the seal was valid at timeInfo (ErrSealNotValid, a *ValidityError).
//
// Certificate chains, revocation and the time stamp are the caller's to
// check, with MakerCertificate and SignerCertificate.
func (s *Signature) Verify(dataHash []byte) error {
	t := &s.ToSign
	id := t.ESeal.ESealInfo.ESID
	if !s.SignatureAlgID.Equal(OIDSM2WithSM3) {
		return fmt.Errorf("ses: signature with seal %q: %w: signatureAlgID %v, want SM2-with-SM3 %v", id, ErrUnsupportedAlgorithm, s.SignatureAlgID, OIDSM2WithSM3)
	}
	if !bytes.Equal(dataHash, t.DataHash) {
		return fmt.Errorf("ses: signature with seal %q over %q: %w: it covers content with SM3 %x, the content presented has %x",
			id, t.PropertyInfo, ErrDataHashMismatch, t.DataHash, dataHash)
	}
	pub, err := sm2CertKey(s.Cert, "signer")
	if err != nil {
		return fmt.Errorf("ses: signature with seal %q: %w", id, err)
	}
	tbs, err := t.Marshal()
	if err != nil {
		return err
	}
	if !sm2.VerifyASN1WithSM2(pub, nil, tbs, s.Signature) {
		return fmt.Errorf("ses: signature with seal %q over %q: %w", id, t.PropertyInfo, ErrBadSignature)
	}
	if err := t.ESeal.VerifyMaker(); err != nil {
		return err
	}
	if err := t.ESeal.CheckSigner(s.Cert); err != nil {
		return err
	}
	if err := t.ESeal.ValidAt(t.TimeInfo); err != nil {
		return fmt.Errorf("ses: signature with seal %q made at %s: %w", id, t.TimeInfo.Format(time.RFC3339), err)
	}
	return nil
}

// sm2CertKey parses a DER certificate and returns its SM2 public key.
func sm2CertKey(der []byte, role string) (*ecdsa.PublicKey, error) {
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %s certificate: %v", ErrBadCertificate, role, err)
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || !sm2.IsSM2PublicKey(pub) {
		return nil, fmt.Errorf("%w: %s certificate %q holds a %T key, want SM2", ErrBadCertificate, role, c.Subject.String(), c.PublicKey)
	}
	return pub, nil
}

// signSM2 has signer sign msg (SM3(Z || msg), default ID) and checks the
// result against pub.
func signSM2(signer crypto.Signer, pub *ecdsa.PublicKey, msg []byte) ([]byte, error) {
	sig, err := signer.Sign(rand.Reader, msg, sm2.NewSM2SignerOption(true, nil))
	if err != nil {
		return nil, err
	}
	if !sm2.VerifyASN1WithSM2(pub, nil, msg, sig) {
		return nil, errors.New("the signer returned an SM2 signature that does not verify (does it honour sm2.SM2SignerOption with ForceGMSign?)")
	}
	return sig, nil
}
