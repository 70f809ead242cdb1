package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"github.com/eseal-project/eseal/internal/api"
	"os"

	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/config"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/ses"
	"github.com/eseal-project/eseal/verify"
)

// node is this deployment opened from its configuration: store, keystore,
// catalog, license library, trust anchors.
type node struct {
	cfg   *config.Config
	st    store.Store
	ks    hsm.Keystore
	cat   *license.Catalog
	reg   *license.Registry
	trust *certs.Pool
	crls  []*certs.CRL
	keys  []license.IssuerKey
}

func configFlag(c *cobra.Command, p *string) {
	c.PersistentFlags().StringVar(p, "config", "", "configuration file (default $ESEAL_CONFIG, or ./eseal.json)")
}

func openNode(ctx context.Context, configPath string) (*node, error) {
	cfg, err := config.Load(configPath)
	if err != nil {
		return nil, err
	}
	n := &node{cfg: cfg}
	if n.cat, err = license.LoadCatalog(cfg.Catalog...); err != nil {
		return nil, err
	}
	if len(cfg.Trust) > 0 {
		if n.trust, err = certs.LoadPool(cfg.Trust...); err != nil {
			return nil, fmt.Errorf("trust anchors: %w", err)
		}
	}
	for _, p := range cfg.CRLs {
		crl, err := certs.LoadCRL(p)
		if err != nil {
			return nil, err
		}
		n.crls = append(n.crls, crl)
	}
	for _, is := range cfg.Issuers {
		if is.Cert == "" {
			continue
		}
		c, _, err := loadCert(is.Cert)
		if err != nil {
			return nil, fmt.Errorf("issuer %s: %w", is.Code, err)
		}
		pub, _ := c.PublicKey.(*ecdsa.PublicKey)
		n.keys = append(n.keys, license.IssuerKey{Public: pub, Cert: c, IssuerCode: is.Code})
	}
	if n.st, err = store.Open(ctx, cfg.Store); err != nil {
		return nil, err
	}
	n.reg = &license.Registry{Store: n.st, Catalog: n.cat, Keys: license.StaticKeys(n.keys...), Record: api.LicenseActs(cfg.NodeName)}
	return n, nil
}

func (n *node) keystore() (hsm.Keystore, error) {
	if n.ks == nil {
		ks, err := hsm.Open(n.cfg.Keystore)
		if err != nil {
			return nil, err
		}
		n.ks = ks
	}
	return n.ks, nil
}

func (n *node) close() {
	if n.ks != nil {
		n.ks.Close()
	}
	if n.st != nil {
		n.st.Close()
	}
}

// issuer opens a configured issuer's keys and its license PDF maker.
func (n *node) issuer(ctx context.Context, is *config.Issuer) (*license.Issuer, *license.PDFMaker, error) {
	ks, err := n.keystore()
	if err != nil {
		return nil, nil, err
	}
	signer, err := ks.Signer(ctx, is.KeyLabel)
	if err != nil {
		return nil, nil, fmt.Errorf("issuer %s: %w", is.Code, err)
	}
	iss := &license.Issuer{Code: is.Code, Name: is.Name, Jurisdiction: is.Jurisdiction, Signer: signer}
	if is.Cert != "" {
		if iss.Cert, _, err = loadCert(is.Cert); err != nil {
			return nil, nil, err
		}
	}
	if is.Seal == "" || is.SealKeyLabel == "" || is.SealCert == "" {
		return iss, nil, nil
	}
	sealSigner, err := ks.Signer(ctx, is.SealKeyLabel)
	if err != nil {
		return nil, nil, fmt.Errorf("issuer %s seal: %w", is.Code, err)
	}
	sealCert, chain, err := loadCert(is.SealCert)
	if err != nil {
		return nil, nil, err
	}
	der, err := os.ReadFile(is.Seal)
	if err != nil {
		return nil, nil, err
	}
	sl, err := ses.ParseSeal(der)
	if err != nil {
		return nil, nil, fmt.Errorf("issuer %s seal %s: %w", is.Code, is.Seal, err)
	}
	pic, size, err := seal.Picture(sl)
	if err != nil {
		return nil, nil, err
	}
	maker := &license.PDFMaker{Catalog: n.cat, BaseURL: n.cfg.PublicURL, Issuer: signer,
		Seal: seal.Options{Signer: sealSigner, Cert: sealCert, Chain: chain, Seal: der, Picture: pic, SizeMM: size, Location: n.cfg.Region.Name}}
	return iss, maker, nil
}

func (n *node) licenseOptions() verify.LicenseOptions {
	return verify.LicenseOptions{Options: verify.Options{Trust: n.trust, CRLs: n.crls}, Registry: n.reg}
}
