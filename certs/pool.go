// The trust store: certificates trusted as anchors, or offered as
// intermediates when building chains.

package certs

import (
	"fmt"
	"os"

	"github.com/emmansun/gmsm/smx509"
)

// Pool is a set of certificates. The zero value and nil are empty pools.
type Pool struct {
	certs     []*smx509.Certificate
	bySubject map[string][]*smx509.Certificate
	seen      map[string]bool
}

// NewPool returns a pool holding certs.
func NewPool(certs ...*smx509.Certificate) *Pool {
	p := &Pool{}
	p.Add(certs...)
	return p
}

// LoadPool reads every certificate of the PEM (or DER) files at paths.
func LoadPool(paths ...string) (*Pool, error) {
	p := &Pool{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("trust store: %w", err)
		}
		certs, err := ParseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("trust store %s: %w", path, err)
		}
		p.Add(certs...)
	}
	return p, nil
}

// Add adds certificates, ignoring ones already present.
func (p *Pool) Add(certs ...*smx509.Certificate) {
	if p.seen == nil {
		p.seen = map[string]bool{}
		p.bySubject = map[string][]*smx509.Certificate{}
	}
	for _, c := range certs {
		if c == nil || p.seen[string(c.Raw)] {
			continue
		}
		p.seen[string(c.Raw)] = true
		p.certs = append(p.certs, c)
		p.bySubject[string(c.RawSubject)] = append(p.bySubject[string(c.RawSubject)], c)
	}
}

// AppendPEM adds every certificate in PEM data and reports how many it read.
func (p *Pool) AppendPEM(data []byte) (int, error) {
	certs, err := ParseCertificates(data)
	if err != nil {
		return 0, err
	}
	p.Add(certs...)
	return len(certs), nil
}

// Certificates lists the pool's certificates in the order added.
func (p *Pool) Certificates() []*smx509.Certificate {
	if p == nil {
		return nil
	}
	return append([]*smx509.Certificate(nil), p.certs...)
}

// Len is the number of certificates.
func (p *Pool) Len() int {
	if p == nil {
		return 0
	}
	return len(p.certs)
}

// Contains reports whether c (byte for byte) is in the pool.
func (p *Pool) Contains(c *smx509.Certificate) bool {
	return p != nil && c != nil && p.seen[string(c.Raw)]
}

// named returns the certificates whose subject is the DER name raw.
func (p *Pool) named(raw []byte) []*smx509.Certificate {
	if p == nil {
		return nil
	}
	return p.bySubject[string(raw)]
}
