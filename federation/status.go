// Signed status answers: what a region's node says about the status of a
// license it issued, signed with a node key the trust list lists.

package federation

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eseal-project/eseal/internal/jws"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/license/ids"
)

// Errors of status queries, for errors.Is.
var (
	// ErrUnknownRegion: no region of the trust list lists the license's
	// issuer.
	ErrUnknownRegion = errors.New("no region of the trust list issues the license")
	// ErrRegionNotActive: the issuing region is suspended or withdrawn.
	ErrRegionNotActive = errors.New("the issuing region is not active in the trust list")
	// ErrBadAnswer: a status answer was refused (signature, key, content,
	// or identifier).
	ErrBadAnswer = errors.New("status answer refused")
	// ErrUnreachable: no node of the region gave an answer (see
	// UnreachableError).
	ErrUnreachable = errors.New("region unreachable")
	// ErrUnknownLicense: the region's node says it holds no such license.
	// This answer is not signed.
	ErrUnknownLicense = errors.New("the issuing region does not know the license")
)

// StatusAnswer is what a region's node signs about a license, in the signed
// field order.
type StatusAnswer struct {
	Identifier string    `json:"identifier"`
	Status     string    `json:"status"` // license.StatusValid, ...
	ProducedAt time.Time `json:"producedAt"`
	NextUpdate time.Time `json:"nextUpdate"` // rely on the answer until then
	Region     string    `json:"region"`     // 区划码 of the answering region
	ReplacedBy string    `json:"replacedBy,omitempty"`
}

func (a *StatusAnswer) check() error {
	if _, err := ids.ParseLicenseID(a.Identifier); err != nil {
		return fmt.Errorf("identifier: %v", err)
	}
	switch a.Status {
	case license.StatusValid, license.StatusSuspended, license.StatusRevoked, license.StatusCancelled, license.StatusReplaced, license.StatusExpired:
	default:
		return fmt.Errorf("status %q: want valid, suspended, revoked, cancelled, replaced or expired", a.Status)
	}
	if a.ProducedAt.IsZero() {
		return errors.New("producedAt is missing")
	}
	if !a.NextUpdate.After(a.ProducedAt) {
		return fmt.Errorf("nextUpdate %s is not after producedAt %s", rfc3339(a.NextUpdate), rfc3339(a.ProducedAt))
	}
	if !isRegionCode(a.Region) {
		return fmt.Errorf("region %q: want the six digits of an administrative division code", a.Region)
	}
	if a.ReplacedBy != "" {
		if a.Status != license.StatusReplaced {
			return fmt.Errorf("replacedBy is given for a license whose status is %s, not replaced", a.Status)
		}
		if _, err := ids.ParseLicenseID(a.ReplacedBy); err != nil {
			return fmt.Errorf("replacedBy: %v", err)
		}
	}
	return nil
}

// SignStatus signs a status answer with a node key of the answering region.
func SignStatus(a *StatusAnswer, signer crypto.Signer) (string, error) {
	if a == nil {
		return "", errors.New("no status answer to sign")
	}
	c := *a
	c.ProducedAt, c.NextUpdate = c.ProducedAt.UTC(), c.NextUpdate.UTC()
	if err := c.check(); err != nil {
		return "", fmt.Errorf("status answer: %w", err)
	}
	payload, err := canonicalJSON(&c)
	if err != nil {
		return "", err
	}
	return jws.Sign(signer, TypStatus, payload, nil)
}

// VerifyStatus checks a status answer about license id at time now: it must
// be signed by a node key of the active region that issues id, be about
// id, and be current (producedAt not in the future, nextUpdate not passed).
func VerifyStatus(token string, tl *TrustList, id string, now time.Time) (*StatusAnswer, error) {
	r, err := tl.RegionForLicense(id)
	if err != nil {
		return nil, err
	}
	if r.Status != RegionActive {
		return nil, fmt.Errorf("%w: region %s is %s", ErrRegionNotActive, r, r.Status)
	}
	a, _, err := verifyStatus(token, tl, r, id)
	if err != nil {
		return nil, err
	}
	if err := a.current(now); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadAnswer, err)
	}
	return a, nil
}

// current checks an answer's times.
func (a *StatusAnswer) current(now time.Time) error {
	if now.Add(MaxClockSkew).Before(a.ProducedAt) {
		return fmt.Errorf("the answer is produced at %s, in the future; check the clocks", rfc3339(a.ProducedAt))
	}
	if !now.Before(a.NextUpdate) {
		return fmt.Errorf("the answer produced at %s was good until %s", rfc3339(a.ProducedAt), rfc3339(a.NextUpdate))
	}
	return nil
}

// verifyStatus checks an answer's signature and content but not its times.
func verifyStatus(token string, tl *TrustList, r *Region, id string) (*StatusAnswer, string, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrBadAnswer, fmt.Sprintf(format, a...))
	}
	token = strings.TrimSpace(token)
	obj, kid, err := tokenHeader(token, TypStatus, ErrBadAnswer)
	if err != nil {
		return nil, "", err
	}
	idx, err := tl.index()
	if err != nil {
		return nil, "", err
	}
	e, ok := idx.nodeKeys[kid]
	switch {
	case !ok:
		return nil, "", bad("signed by key %s, which trust list %s does not list as a node key of region %s", kid, tl, r)
	case e.region.Code != r.Code:
		return nil, "", bad("signed by key %s, a node key of region %s, not of region %s", kid, e.region, r)
	}
	payload, err := jws.Verify(obj, e.key.Public)
	if err != nil {
		return nil, "", bad("the signature does not verify with node key %s of region %s (the answer was altered, or that key did not sign it)", kid, r)
	}
	var a StatusAnswer
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&a); err != nil {
		return nil, "", bad("%v", err)
	}
	if err := a.check(); err != nil {
		return nil, "", bad("%v", err)
	}
	if a.Identifier != id {
		return nil, "", bad("the answer is about %s, not %s", a.Identifier, id)
	}
	if a.Region != r.Code {
		return nil, "", bad("the answer names region %s, not %s", a.Region, r.Code)
	}
	return &a, kid, nil
}
