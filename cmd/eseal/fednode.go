package main

import (
	"context"
	"crypto"
	"fmt"
	"log/slog"
	"time"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/federation"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/verify"
)

// openFederation opens the node's federation trust list, refreshed once
// (the cached list stands in when the source cannot be read), and a client
// for the other regions' status answers. Both are nil when the node is in
// no federation.
func (n *node) openFederation(ctx context.Context, log *slog.Logger) (*federation.Store, *federation.StatusClient, error) {
	f := n.cfg.Federation
	if f == nil {
		return nil, nil, nil
	}
	var keys []crypto.PublicKey
	for _, p := range f.FederationKeys {
		k, err := loadPublicKey(p)
		if err != nil {
			return nil, nil, fmt.Errorf("federation key %s: %w", p, err)
		}
		keys = append(keys, k)
	}
	refresh, _ := time.ParseDuration(f.Refresh)
	fed, err := federation.NewStore(federation.StoreOptions{Source: f.TrustList, FederationKeys: keys, CacheFile: f.Cache, Interval: refresh, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	if err := fed.Refresh(ctx); err != nil {
		log.Warn("trust list: refresh failed; using the cached list if there is one", "err", err)
	}
	return fed, &federation.StatusClient{Trust: fed.Current, Cache: settingsCache{n.st}}, nil
}

// federatedLicenseOptions extends the node's license verification with the
// trust list in force: the other regions' issuer keys and CA certificates,
// and their signed status answers.
func (n *node) federatedLicenseOptions(fed *federation.Store, status *federation.StatusClient) verify.LicenseOptions {
	o := n.licenseOptions()
	if fed == nil {
		return o
	}
	if tl, err := fed.Current(); err == nil {
		local, remote := n.reg.Keys, tl.IssuerKeys()
		o.Keys = func(kid string) (*license.IssuerKey, error) {
			if k, err := local(kid); err == nil {
				return k, nil
			}
			return remote(kid)
		}
		o.Trust = n.federatedTrust(fed)
	}
	o.Status = status.LicenseStatus
	return o
}

// federatedTrust is the node's trust anchors and those of the active
// regions of the trust list in force.
func (n *node) federatedTrust(fed *federation.Store) *certs.Pool {
	pool := certs.NewPool()
	if n.trust != nil {
		pool.Add(n.trust.Certificates()...)
	}
	if fed != nil {
		if tl, err := fed.Current(); err == nil {
			pool.Add(tl.Pool().Certificates()...)
		}
	}
	return pool
}
