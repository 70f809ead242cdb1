// Package deploy sets up a working single-node deployment in a directory:
// the soft keystore, a development CA, an issuing department for every
// built-in license type with its signing key, seal key, certificates and
// GB/T 38540 seal, the database and the configuration file. It is what
// `eseal setup` and the demo run; production deployments configure real
// HSM keys and CA certificates instead.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/emmansun/gmsm/smx509"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/config"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/license"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/appearance"
)

// Options describe the node to set up.
type Options struct {
	Dir       string
	Region    config.Region
	CAOrg     string // organisation of the root CA, e.g. 某市人民政府
	PublicURL string
	Listen    string
	// IssuerNames names the issuing departments by USCC; others are named
	// after their code.
	IssuerNames map[string]string
	// Types limits the license types given an issuer (default: all built-in).
	Types []string
}

// DemoIssuerNames are the departments of the built-in catalog's demo codes.
var DemoIssuerNames = map[string]string{
	"11110108MB1234562W": "某市某区市场监督管理局",
	"11110108MB0000019H": "某市公安局某区分局",
	"11110108MB202601XN": "某市某区药品监督管理局",
}

// Result says what was made.
type Result struct {
	Config     *config.Config
	ConfigPath string
	CACert     string
	Notes      []string
}

// Setup makes the node in opts.Dir, which must be empty or missing. The
// soft keystore's passphrase comes from the environment as usual.
func Setup(ctx context.Context, opts Options) (*Result, error) {
	if opts.Dir == "" {
		return nil, errors.New("setup: no directory")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	opts.Dir = dir
	if entries, err := os.ReadDir(opts.Dir); err == nil && len(entries) > 0 {
		return nil, fmt.Errorf("setup: %s is not empty", opts.Dir)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, err
	}
	if opts.Region.Code == "" {
		opts.Region = config.Region{Code: "110108", Name: "某市某区"}
	}
	if opts.CAOrg == "" {
		opts.CAOrg = "某市人民政府"
	}
	if opts.IssuerNames == nil {
		opts.IssuerNames = DemoIssuerNames
	}
	res := &Result{}
	ksURI := "file:" + filepath.Join(opts.Dir, "keys")
	ks, err := hsm.Open(ksURI)
	if err != nil {
		return nil, err
	}
	defer ks.Close()
	caDir := filepath.Join(opts.Dir, "ca")
	ca, err := certs.InitCA(ctx, caDir, certs.InitOptions{Algorithm: hsm.SM2, Org: opts.CAOrg, Keystore: ksURI, Label: "root-ca"})
	if err != nil {
		return nil, err
	}
	defer ca.Close()
	res.CACert = filepath.Join(caDir, "ca.pem")

	cat, err := license.LoadCatalog()
	if err != nil {
		return nil, err
	}
	codes := map[string]bool{}
	for _, t := range cat.Types() {
		if len(opts.Types) > 0 && !contains(opts.Types, t.Code) {
			continue
		}
		codes[t.Issuers[0]] = true
	}
	var issuerCodes []string
	for c := range codes {
		issuerCodes = append(issuerCodes, c)
	}
	sort.Strings(issuerCodes)

	st, err := store.Open(ctx, "sqlite:"+filepath.Join(opts.Dir, "eseal.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()

	// The seal maker (制章人) of the region makes every seal.
	maker, err := ks.Generate(ctx, "seal-maker", hsm.SM2)
	if err != nil {
		return nil, err
	}
	makerCert, err := issue(ctx, ca, maker.Public(), "CN="+opts.Region.Name+"印章制作中心,O="+opts.Region.Name+"公安局")
	if err != nil {
		return nil, err
	}
	if err := writePEM(filepath.Join(opts.Dir, "seal-maker.pem"), makerCert); err != nil {
		return nil, err
	}

	// The node's key signs receipts, status answers and audit checkpoints.
	nodeKey, err := ks.Generate(ctx, "node", hsm.SM2)
	if err != nil {
		return nil, err
	}
	nodeCert, err := issue(ctx, ca, nodeKey.Public(), "CN="+opts.Region.Name+"电子证照核验节点,O="+opts.CAOrg)
	if err != nil {
		return nil, err
	}
	if err := writePEM(filepath.Join(opts.Dir, "node.pem"), nodeCert); err != nil {
		return nil, err
	}
	cfg := &config.Config{DataDir: ".", Region: opts.Region, PublicURL: opts.PublicURL, Listen: opts.Listen, Trust: []string{"ca/ca.pem"},
		NodeName: "eseal-" + opts.Region.Code, NodeKeyLabel: "node", NodeCert: "node.pem"}
	for _, code := range issuerCodes {
		name := opts.IssuerNames[code]
		if name == "" {
			name = "颁发机构 " + code
		}
		keyLabel, sealLabel := "issuer-"+code, "seal-"+code
		issuer, err := ks.Generate(ctx, keyLabel, hsm.SM2)
		if err != nil {
			return nil, err
		}
		issuerCert, err := issue(ctx, ca, issuer.Public(), "CN="+name+"电子证照签名,O="+name)
		if err != nil {
			return nil, err
		}
		sealKey, err := ks.Generate(ctx, sealLabel, hsm.SM2)
		if err != nil {
			return nil, err
		}
		sealCert, err := issue(ctx, ca, sealKey.Public(), "CN="+name+"电子印章,O="+name)
		if err != nil {
			return nil, err
		}
		pic, err := appearance.Draw(appearance.Options{Org: name, Name: "电子证照专用章"})
		if errors.Is(err, appearance.ErrNoFont) {
			pic = appearance.Emblem(600, appearance.SealRed)
			res.Notes = append(res.Notes, "no Chinese font found (apt-get install fonts-wqy-microhei): seal pictures have no text")
		} else if err != nil {
			return nil, err
		}
		sl, err := seal.Make(seal.MakeOptions{Name: "电子证照专用章", Picture: pic, Signers: []*smx509.Certificate{sealCert}, MakerCert: makerCert, Maker: maker})
		if err != nil {
			return nil, err
		}
		der, err := sl.Marshal()
		if err != nil {
			return nil, err
		}
		base := "issuer-" + code
		for path, c := range map[string]*smx509.Certificate{base + ".pem": issuerCert, base + "-seal.pem": sealCert} {
			if err := writePEM(filepath.Join(opts.Dir, path), c); err != nil {
				return nil, err
			}
		}
		if err := os.WriteFile(filepath.Join(opts.Dir, base+".esl"), der, 0o644); err != nil {
			return nil, err
		}
		p := sl.ESealInfo.Property
		if err := st.PutSeal(ctx, store.SealRecord{ID: sl.ESealInfo.ESID, Name: p.Name, Owner: name, Keystore: ksURI, KeyLabel: sealLabel,
			SignerCert: sealCert.Raw, SealDER: der, ValidFrom: p.ValidStart, ValidTo: p.ValidEnd}); err != nil {
			return nil, err
		}
		cfg.Issuers = append(cfg.Issuers, config.Issuer{Code: code, Name: name, Jurisdiction: opts.Region.Code, KeyLabel: keyLabel,
			Cert: base + ".pem", Seal: base + ".esl", SealKeyLabel: sealLabel, SealCert: base + "-seal.pem"})
	}
	res.ConfigPath = filepath.Join(opts.Dir, "eseal.json")
	if err := cfg.Save(res.ConfigPath); err != nil {
		return nil, err
	}
	res.Config, err = config.Load(res.ConfigPath)
	return res, err
}

func issue(ctx context.Context, ca *certs.CA, pub any, subject string) (*smx509.Certificate, error) {
	name, err := certs.ParseSubject(subject)
	if err != nil {
		return nil, err
	}
	return ca.Issue(ctx, pub, name, certs.ProfileSeal, certs.ValidDays(3*365))
}

func writePEM(path string, c *smx509.Certificate) error {
	return os.WriteFile(path, certs.EncodePEM(c), 0o644)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
