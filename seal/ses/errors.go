package ses

import (
	"errors"
	"fmt"
	"time"
)

// Errors a caller can branch on with errors.Is. Every error this package
// returns wraps at most one of them and says what was wrong.
var (
	// ErrMalformed: the bytes are not DER of the GB/T 38540 structure
	// (wrong tag, bad length, missing or extra field, trailing data, bad
	// string or time). The error is a *SyntaxError naming the field.
	ErrMalformed = errors.New("malformed structure")
	// ErrUnsupportedVersion: a well-formed header or TBS_Sign of a version
	// other than 4 (1 is GM/T 0031-2014). The error is a *VersionError.
	ErrUnsupportedVersion = errors.New("unsupported version")
	// ErrUnsupportedAlgorithm: a signature algorithm other than SM2-with-SM3.
	ErrUnsupportedAlgorithm = errors.New("unsupported signature algorithm")
	// ErrBadCertificate: a maker or signer certificate that does not parse
	// or does not hold an SM2 public key.
	ErrBadCertificate = errors.New("bad certificate")
	// ErrBadMakerSignature: the maker's signature over SES_SealInfo does not
	// verify; the seal was altered or not made by the certificate's key.
	ErrBadMakerSignature = errors.New("seal maker signature does not verify")
	// ErrBadSignature: the signer's signature over TBS_Sign does not verify.
	ErrBadSignature = errors.New("signature does not verify")
	// ErrDataHashMismatch: the signature covers other content than the one
	// presented.
	ErrDataHashMismatch = errors.New("data hash does not match")
	// ErrSignerNotInCertList: the signer certificate is not among the
	// seal's authorised signers (certList).
	ErrSignerNotInCertList = errors.New("signer certificate is not in the seal's certList")
	// ErrSealNotValid: the seal is used outside its validStart..validEnd
	// window. The error is a *ValidityError.
	ErrSealNotValid = errors.New("seal is outside its validity period")
)

// A SyntaxError reports input that does not follow the ASN.1 module in the
// package documentation, or a value that cannot be encoded by it.
type SyntaxError struct {
	Field string // path from the outermost structure, e.g. "SES_Seal.eSealInfo.property.validEnd"
	Msg   string
}

func (e *SyntaxError) Error() string { return "ses: malformed " + e.Field + ": " + e.Msg }

// Is makes errors.Is(err, ErrMalformed) true.
func (e *SyntaxError) Is(target error) bool { return target == ErrMalformed }

// A VersionError reports a structure of a version this package does not
// implement.
type VersionError struct {
	Field   string // "SES_Seal.eSealInfo.header.version" or "SES_Signature.toSign.version"
	Version int64
}

func (e *VersionError) Error() string {
	what := "an unknown version"
	switch e.Version {
	case 1:
		what = "GM/T 0031-2014 (version 1)"
	case 5:
		what = "a newer version (5)"
	}
	return fmt.Sprintf("ses: %s is %d: this is %s; only GB/T 38540-2020 version %d is supported",
		e.Field, e.Version, what, Version)
}

// Is makes errors.Is(err, ErrUnsupportedVersion) true.
func (e *VersionError) Is(target error) bool { return target == ErrUnsupportedVersion }

// A ValidityError reports a seal used outside its validity period.
type ValidityError struct {
	At                   time.Time
	ValidStart, ValidEnd time.Time
}

func (e *ValidityError) Error() string {
	state := "has expired"
	if e.At.Before(e.ValidStart) {
		state = "is not yet valid"
	}
	return fmt.Sprintf("ses: seal %s at %s: it is valid from %s to %s",
		state, e.At.UTC().Format(time.RFC3339), e.ValidStart.UTC().Format(time.RFC3339), e.ValidEnd.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrSealNotValid) true.
func (e *ValidityError) Is(target error) bool { return target == ErrSealNotValid }
