package seal

import (
	"context"
	"fmt"
	"hash"

	"github.com/emmansun/gmsm/sm3"

	"github.com/eseal-project/eseal/seal/ses"
)

// SESPropertyInfo is what TBS_Sign.propertyInfo says about the signed data
// (GB/T 38540-2020 7.2: the original document's properties): the signed
// /ByteRange of a PDF.
const SESPropertyInfo = "application/pdf; ByteRange"

// sesSigner makes the SES_Signature for SES mode: dataHash is SM3 of the
// byte ranges (GB/T 38540-2020 8.2).
type sesSigner struct {
	opts Options
	seal *ses.Seal
	size int
}

func newSESSigner(opts Options) (*sesSigner, error) {
	s, err := ses.ParseSeal(opts.Seal)
	if err != nil {
		return nil, fmt.Errorf("%w: the seal: %v", ErrBadOptions, err)
	}
	if err := s.CheckSigner(opts.Cert.Raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadOptions, err)
	}
	if err := s.ValidAt(opts.Time); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadOptions, err)
	}
	// TBS_Sign holds the seal, the time, a 32-byte hash and propertyInfo;
	// then the signer's certificate, an OID and a signature of at most 72
	// bytes. 512 bytes cover the headers with room to spare.
	size := len(opts.Seal) + len(opts.Cert.Raw) + len(SESPropertyInfo) + 512
	if opts.Timestamp != nil {
		size += timestampReserve
	}
	return &sesSigner{opts: opts, seal: s, size: size}, nil
}

func (s *sesSigner) hash() hash.Hash { return sm3.New() }

func (s *sesSigner) sign(ctx context.Context, digest []byte) ([]byte, error) {
	sig, err := ses.Sign(s.seal, s.opts.Cert.Raw, s.opts.Signer, digest, SESPropertyInfo, s.opts.Time)
	if err != nil {
		return nil, err
	}
	if s.opts.Timestamp != nil {
		// GB/T 38540 7: timeStamp, a GB/T 20520 (RFC 3161) token over the
		// signature value.
		if sig.TimeStamp, err = s.opts.Timestamp(ctx, sig.Signature); err != nil {
			return nil, fmt.Errorf("signature time-stamp: %w", err)
		}
	}
	return sig.Marshal()
}
