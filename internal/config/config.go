// Package config reads the deployment's one configuration file, with
// environment overrides and defaults that work on first run: SQLite and the
// soft keystore under a data directory.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Issuer is an issuing department configured on this node.
type Issuer struct {
	Code         string `json:"code"` // USCC
	Name         string `json:"name"`
	Jurisdiction string `json:"jurisdiction"` // 6-digit administrative division
	KeyLabel     string `json:"keyLabel"`     // the key that signs license data
	Cert         string `json:"cert"`         // its certificate (PEM)
	Seal         string `json:"seal"`         // GB/T 38540 seal that stamps license PDFs
	SealKeyLabel string `json:"sealKeyLabel"` // the stamping key
	SealCert     string `json:"sealCert"`     // its certificate (PEM)
}

// Region is this deployment's region.
type Region struct {
	Code string `json:"code"` // 区划码
	Name string `json:"name"`
}

// TLS serves the API over TLS; with ClientCAs, clients may authenticate
// with certificates (mTLS).
type TLS struct {
	Cert      string `json:"cert"`      // server certificate chain (PEM)
	KeyLabel  string `json:"keyLabel"`  // its key, in the keystore (ECDSA P-256)
	ClientCAs string `json:"clientCAs"` // CAs of client certificates (PEM); optional
}

// Federation is how the node takes part in cross-region recognition.
type Federation struct {
	TrustList      string   `json:"trustList"`      // URL or file of the signed trust list
	FederationKeys []string `json:"federationKeys"` // PEM public keys or certificates that sign it
	Refresh        string   `json:"refresh"`        // e.g. "10m"
	Cache          string   `json:"cache"`          // file keeping the last good list; default DATADIR/trustlist.cache
}

// Config is a node's configuration.
type Config struct {
	// DataDir holds the database, keys and outputs by default.
	DataDir   string   `json:"dataDir"`
	Store     string   `json:"store"`     // default sqlite:DATADIR/eseal.db
	Keystore  string   `json:"keystore"`  // default file:DATADIR/keys
	Listen    string   `json:"listen"`    // default 127.0.0.1:8080
	PublicURL string   `json:"publicURL"` // base of the URLs in QR codes; default http://LISTEN
	Service   string   `json:"service"`   // name shown on the citizen page
	Region    Region   `json:"region"`
	Catalog   []string `json:"catalog"` // extra license-type directories
	Trust     []string `json:"trust"`   // trusted CA certificates (PEM)
	CRLs      []string `json:"crls"`
	Issuers   []Issuer `json:"issuers"`

	// The node's own key signs receipts, status answers and audit
	// checkpoints.
	NodeName     string      `json:"nodeName"`
	NodeKeyLabel string      `json:"nodeKeyLabel"`
	NodeCert     string      `json:"nodeCert"`
	TLS          *TLS        `json:"tls,omitempty"`
	Federation   *Federation `json:"federation,omitempty"`
	MaxUploadMB  int         `json:"maxUploadMB"` // default 64
	StatusTTL    string      `json:"statusTTL"`   // next-update of status answers; default "5m"
	LogFormat    string      `json:"logFormat"`   // "text" (default) or "json"
	// TSA is an RFC 3161 time-stamping authority (http or https URL):
	// seals stamped through the API then carry its signature time-stamp.
	TSA string `json:"tsa,omitempty"`

	path string
}

// Path is the file the configuration was read from ("" for defaults).
func (c *Config) Path() string { return c.path }

// Default is the configuration of a node with nothing configured.
func Default() *Config {
	c := &Config{DataDir: "eseal-data"}
	c.fill()
	return c
}

// Load reads path (or, if empty, $ESEAL_CONFIG, or ./eseal.json if it
// exists), applies environment overrides (ESEAL_STORE, ESEAL_KEYSTORE,
// ESEAL_LISTEN, ESEAL_PUBLIC_URL, ESEAL_DATA_DIR) and fills in defaults.
// Relative paths in the file are taken relative to the file's directory.
func Load(path string) (*Config, error) {
	if path == "" {
		path = os.Getenv("ESEAL_CONFIG")
	}
	explicit := path != ""
	if path == "" {
		path = "eseal.json"
	}
	c := &Config{}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		c = &Config{DataDir: "eseal-data"}
		path = ""
	case err != nil:
		return nil, fmt.Errorf("config: %w", err)
	default:
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(c); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
		base := filepath.Dir(path)
		rel := func(p *string) {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(base, *p)
			}
		}
		if c.DataDir == "" {
			c.DataDir = "."
		}
		rel(&c.DataDir)
		for i := range c.Catalog {
			rel(&c.Catalog[i])
		}
		for i := range c.Trust {
			rel(&c.Trust[i])
		}
		for i := range c.CRLs {
			rel(&c.CRLs[i])
		}
		for i := range c.Issuers {
			rel(&c.Issuers[i].Cert)
			rel(&c.Issuers[i].Seal)
			rel(&c.Issuers[i].SealCert)
		}
		rel(&c.NodeCert)
		if c.TLS != nil {
			rel(&c.TLS.Cert)
			rel(&c.TLS.ClientCAs)
		}
		if f := c.Federation; f != nil {
			if !strings.HasPrefix(f.TrustList, "http://") && !strings.HasPrefix(f.TrustList, "https://") {
				rel(&f.TrustList)
			}
			for i := range f.FederationKeys {
				rel(&f.FederationKeys[i])
			}
			rel(&f.Cache)
		}
		c.Store = relURI(c.Store, base, "sqlite:")
		c.Keystore = relURI(c.Keystore, base, "file:")
	}
	c.path = path
	for env, p := range map[string]*string{"ESEAL_STORE": &c.Store, "ESEAL_KEYSTORE": &c.Keystore, "ESEAL_LISTEN": &c.Listen,
		"ESEAL_PUBLIC_URL": &c.PublicURL, "ESEAL_DATA_DIR": &c.DataDir} {
		if v := os.Getenv(env); v != "" {
			*p = v
		}
	}
	c.fill()
	return c, c.check()
}

// relURI makes the path of a sqlite: or file: URI relative to base.
func relURI(uri, base, scheme string) string {
	rest, ok := strings.CutPrefix(uri, scheme)
	if !ok || rest == "" || filepath.IsAbs(rest) || strings.HasPrefix(rest, "//") {
		return uri
	}
	path, query, _ := strings.Cut(rest, "?")
	out := scheme + filepath.Join(base, path)
	if query != "" {
		out += "?" + query
	}
	return out
}

func (c *Config) fill() {
	if c.Store == "" {
		c.Store = "sqlite:" + filepath.Join(c.DataDir, "eseal.db")
	}
	if c.Keystore == "" {
		c.Keystore = "file:" + filepath.Join(c.DataDir, "keys")
	}
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Listen
	}
	if c.Service == "" {
		c.Service = "一网通办电子证照核验服务"
	}
	if c.NodeKeyLabel == "" {
		c.NodeKeyLabel = "node"
	}
	if c.NodeName == "" {
		c.NodeName = "eseal-" + c.Region.Code
	}
	if c.MaxUploadMB == 0 {
		c.MaxUploadMB = 64
	}
	if c.StatusTTL == "" {
		c.StatusTTL = "5m"
	}
	if f := c.Federation; f != nil {
		if f.Refresh == "" {
			f.Refresh = "10m"
		}
		if f.Cache == "" {
			f.Cache = filepath.Join(c.DataDir, "trustlist.cache")
		}
	}
}

func (c *Config) check() error {
	seen := map[string]bool{}
	for i, is := range c.Issuers {
		if is.Code == "" || is.Name == "" || is.KeyLabel == "" {
			return fmt.Errorf("config %s: issuer %d: code, name and keyLabel are required", c.path, i+1)
		}
		if seen[is.Code] {
			return fmt.Errorf("config %s: issuer %s listed twice", c.path, is.Code)
		}
		seen[is.Code] = true
	}
	if _, err := time.ParseDuration(c.StatusTTL); err != nil {
		return fmt.Errorf("config %s: statusTTL: %v", c.path, err)
	}
	if f := c.Federation; f != nil {
		if _, err := time.ParseDuration(f.Refresh); err != nil {
			return fmt.Errorf("config %s: federation.refresh: %v", c.path, err)
		}
		if f.TrustList == "" || len(f.FederationKeys) == 0 {
			return fmt.Errorf("config %s: federation needs trustList and federationKeys", c.path)
		}
	}
	if c.LogFormat != "" && c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("config %s: logFormat must be text or json", c.path)
	}
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return fmt.Errorf("config %s: publicURL %q must start with http:// or https://", c.path, c.PublicURL)
	}
	return nil
}

// Issuer returns the configured issuer with code; with code "" and exactly
// one issuer configured, that one.
func (c *Config) Issuer(code string) (*Issuer, error) {
	if code == "" {
		if len(c.Issuers) == 1 {
			return &c.Issuers[0], nil
		}
		var codes []string
		for _, is := range c.Issuers {
			codes = append(codes, is.Code+" "+is.Name)
		}
		if len(codes) == 0 {
			return nil, fmt.Errorf("no issuers configured in %s (run eseal setup, or add \"issuers\")", c.describe())
		}
		return nil, fmt.Errorf("several issuers are configured; choose one with --issuer: %s", strings.Join(codes, "; "))
	}
	for i := range c.Issuers {
		if c.Issuers[i].Code == code {
			return &c.Issuers[i], nil
		}
	}
	return nil, fmt.Errorf("issuer %s is not configured in %s", code, c.describe())
}

// IssuerForType returns the configured issuer allowed for a license type.
func (c *Config) IssuerForType(allowed []string) (*Issuer, error) {
	for i := range c.Issuers {
		for _, a := range allowed {
			if c.Issuers[i].Code == a {
				return &c.Issuers[i], nil
			}
		}
	}
	return nil, fmt.Errorf("no issuer configured in %s may issue this type (allowed: %s)", c.describe(), strings.Join(allowed, ", "))
}

func (c *Config) describe() string {
	if c.path == "" {
		return "the default configuration (no eseal.json)"
	}
	return c.path
}

// Save writes the configuration as JSON.
func (c *Config) Save(path string) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
