package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/spf13/cobra"

	"github.com/eseal-project/eseal/certs"
	"github.com/eseal-project/eseal/federation"
	"github.com/eseal-project/eseal/hsm"
	"github.com/eseal-project/eseal/internal/api"
	"github.com/eseal-project/eseal/internal/audit"
	"github.com/eseal-project/eseal/internal/auth"
	"github.com/eseal-project/eseal/internal/store"
	"github.com/eseal-project/eseal/internal/tsa"
	"github.com/eseal-project/eseal/seal"
	"github.com/eseal-project/eseal/seal/ses"
	"github.com/eseal-project/eseal/verify"
)

func newServeCmd() *cobra.Command {
	var cfgPath, listen string
	c := &cobra.Command{
		Use:   "serve [--config FILE]",
		Short: "Run the HTTP service: API, citizen page, status answers, trust list, metrics",
		Long: `serve runs the service of this node as configured (eseal.json; eseal setup
makes one): the JSON API (OpenAPI document at /openapi.json), the citizen
page /v/{id}, signed status answers, the trust list, /healthz, /readyz and
/metrics. Replicas configured with the same PostgreSQL store share it.

Environment overrides: ESEAL_CONFIG, ESEAL_STORE, ESEAL_KEYSTORE,
ESEAL_LISTEN, ESEAL_PUBLIC_URL, ESEAL_KEYSTORE_PASSPHRASE.
SIGINT or SIGTERM stops it gracefully: in-flight requests finish (up to
30 s), a final audit checkpoint is signed.`,
		Example: `  eseal setup --dir node && eseal serve --config node/eseal.json
  ESEAL_STORE=postgres://eseal@db/eseal eseal serve --config node/eseal.json --listen 0.0.0.0:8443`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			srv, err := buildServer(ctx, cfgPath)
			if err != nil {
				return err
			}
			defer srv.close()
			if listen != "" {
				srv.node.cfg.Listen = listen
			}
			return srv.run(ctx, nil)
		},
	}
	c.Flags().StringVar(&cfgPath, "config", "", "configuration file (default $ESEAL_CONFIG, or ./eseal.json)")
	c.Flags().StringVar(&listen, "listen", "", "address to listen on (default the configuration's)")
	return c
}

// server is a node ready to serve.
type server struct {
	node    *node
	api     *api.Server
	log     *slog.Logger
	audit   *audit.Log
	fed     *federation.Store
	tlsConf *tls.Config
}

func newLogger(format string) *slog.Logger {
	var h slog.Handler
	if format == "json" {
		h = slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	} else {
		h = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})
	}
	return slog.New(h)
}

// buildServer opens everything the configuration names.
func buildServer(ctx context.Context, cfgPath string) (*server, error) {
	n, err := openNode(ctx, cfgPath)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			n.close()
		}
	}()
	cfg := n.cfg
	log := newLogger(cfg.LogFormat)
	ks, err := n.keystore()
	if err != nil {
		return nil, err
	}
	nodeSigner, err := ks.Signer(ctx, cfg.NodeKeyLabel)
	if err != nil {
		return nil, fmt.Errorf("the node key %q: %w (eseal setup makes one)", cfg.NodeKeyLabel, err)
	}
	var chain []*smx509.Certificate
	if cfg.NodeCert != "" {
		c, rest, err := loadCert(cfg.NodeCert)
		if err != nil {
			return nil, fmt.Errorf("node certificate: %w", err)
		}
		chain = append([]*smx509.Certificate{c}, rest...)
	}
	issuers := map[string]*api.Issuer{}
	for i := range cfg.Issuers {
		iss, maker, err := n.issuer(ctx, &cfg.Issuers[i])
		if err != nil {
			return nil, err
		}
		issuers[iss.Code] = &api.Issuer{Issuer: iss, PDF: maker}
	}
	alog, err := audit.New(n.st, nodeSigner, cfg.NodeName)
	if err != nil {
		return nil, err
	}
	s := &server{node: n, log: log, audit: alog}

	// Federation: the trust list and the other regions' status answers.
	fed, status, err := n.openFederation(ctx, log)
	if err != nil {
		return nil, err
	}
	s.fed = fed

	var stampTime func(ctx context.Context, sig []byte) ([]byte, error)
	if cfg.TSA != "" {
		u, err := url.Parse(cfg.TSA)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("config: tsa %q is not an http or https URL", cfg.TSA)
		}
		client := &tsa.Client{URL: cfg.TSA}
		stampTime = func(ctx context.Context, sig []byte) ([]byte, error) { return client.Stamp(ctx, sig, crypto.SHA256) }
	}

	// Seals open on first use and stay open.
	var sealsMu sync.Mutex
	seals := map[string]seal.Options{}
	openSeal := func(ctx context.Context, id string) (seal.Options, error) {
		sealsMu.Lock()
		defer sealsMu.Unlock()
		if o, ok := seals[id]; ok {
			return o, nil
		}
		rec, err := n.st.Seal(ctx, id)
		if err != nil {
			return seal.Options{}, err
		}
		signer, err := ks.Signer(ctx, rec.KeyLabel)
		if err != nil {
			return seal.Options{}, err
		}
		cert, err := smx509.ParseCertificate(rec.SignerCert)
		if err != nil {
			return seal.Options{}, err
		}
		sl, err := ses.ParseSeal(rec.SealDER)
		if err != nil {
			return seal.Options{}, err
		}
		pic, size, err := seal.Picture(sl)
		if err != nil {
			return seal.Options{}, err
		}
		o := seal.Options{Mode: seal.ModeSM2, Signer: signer, Cert: cert, Seal: rec.SealDER, Picture: pic, SizeMM: size, Location: cfg.Region.Name, Timestamp: stampTime}
		seals[id] = o
		return o, nil
	}

	statusTTL, _ := time.ParseDuration(cfg.StatusTTL)
	s.api = &api.Server{
		Node:       api.Node{Name: cfg.NodeName, Region: cfg.Region.Code, Signer: nodeSigner, Chain: chain},
		Store:      n.st,
		Registry:   n.reg,
		Issuers:    issuers,
		OpenSeal:   openSeal,
		Verify:     verify.Options{Trust: n.trust, CRLs: n.crls},
		PDFTrust:   func() *certs.Pool { return n.federatedTrust(s.fed) },
		License:    func() verify.LicenseOptions { return n.federatedLicenseOptions(s.fed, status) },
		Auth:       auth.New(n.st, auth.Options{Logger: log}),
		Audit:      api.AuditLog{Log: alog, Node: cfg.NodeName},
		SignStatus: func(a *federation.StatusAnswer) (string, error) { return federation.SignStatus(a, nodeSigner) },
		Log:        log,
		MaxUpload:  int64(cfg.MaxUploadMB) << 20,
		StatusTTL:  statusTTL,
		Service:    cfg.Service,
		Ready: func(ctx context.Context) error {
			_, err := n.st.SchemaVersion(ctx)
			return err
		},
	}
	if s.fed != nil {
		s.api.TrustList = s.fed.Token
	}
	if t := cfg.TLS; t != nil {
		if s.tlsConf, err = tlsConfig(ctx, ks, t.Cert, t.KeyLabel, t.ClientCAs); err != nil {
			return nil, err
		}
	}
	ok = true
	return s, nil
}

// close lets the audit appends under way commit, then closes the store and
// the keystore.
func (s *server) close() {
	if s.audit != nil {
		s.audit.Close()
	}
	s.node.close()
}

// run serves until ctx ends, then shuts down gracefully. If ready is not
// nil it receives the bound address.
func (s *server) run(ctx context.Context, ready chan<- string) error {
	cfg := s.node.cfg
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           s.api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		TLSConfig:         s.tlsConf,
	}
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	if s.fed != nil {
		go s.fed.Run(bg)
	}
	go s.checkpoints(bg, time.Minute)
	errc := make(chan error, 1)
	go func() {
		if s.tlsConf != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	s.log.Info("serving", "addr", ln.Addr().String(), "node", cfg.NodeName, "region", cfg.Region.Code, "store", store.RedactDSN(cfg.Store), "tls", s.tlsConf != nil)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests")
	shut, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = hs.Shutdown(shut)
	stopBG()
	if _, cerr := s.audit.Checkpoint(shut); cerr != nil {
		s.log.Warn("final audit checkpoint", "err", cerr)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("shutdown: requests still running after 30 s were cut off")
	}
	return err
}

// checkpoints signs an audit checkpoint every interval when the log grew.
func (s *server) checkpoints(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	var last uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		size, err := s.audit.Size(ctx)
		if err != nil || size == last {
			continue
		}
		if _, err := s.audit.Checkpoint(ctx); err != nil {
			s.log.Warn("audit checkpoint", "err", err)
			continue
		}
		last = size
	}
}

// tlsConfig serves with a certificate whose key is in the keystore; with
// clientCAs, clients may present certificates (mTLS).
func tlsConfig(ctx context.Context, ks hsm.Keystore, certPath, keyLabel, clientCAs string) (*tls.Config, error) {
	b, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	var ders [][]byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			ders = append(ders, blk.Bytes)
		}
	}
	if len(ders) == 0 {
		return nil, fmt.Errorf("TLS certificate %s: no PEM certificate in it", certPath)
	}
	signer, err := ks.Signer(ctx, keyLabel)
	if err != nil {
		return nil, fmt.Errorf("TLS key: %w", err)
	}
	if hsm.AlgorithmOf(signer.Public()) != hsm.P256 {
		return nil, fmt.Errorf("TLS key %q: TLS needs an ECDSA P-256 key", keyLabel)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{{Certificate: ders, PrivateKey: signer}}}
	if clientCAs != "" {
		pemCAs, err := os.ReadFile(clientCAs)
		if err != nil {
			return nil, fmt.Errorf("client CAs: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemCAs) {
			return nil, fmt.Errorf("client CAs %s: no PEM certificate in it", clientCAs)
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// settingsCache keeps other regions' status answers in the store, shared
// by replicas and kept across restarts.
type settingsCache struct{ st store.Store }

func (c settingsCache) Get(ctx context.Context, key string) ([]byte, error) {
	return c.st.Get(ctx, "status-cache:"+key)
}

func (c settingsCache) Put(ctx context.Context, key string, value []byte) error {
	return c.st.Put(ctx, "status-cache:"+key, value)
}

func loadPublicKey(path string) (crypto.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if cs, err := certs.ParseCertificates(b); err == nil && len(cs) > 0 {
		return cs[0].PublicKey, nil
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, errors.New("not a PEM public key or certificate")
	}
	pub, err := smx509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	if _, ok := pub.(*ecdsa.PublicKey); !ok {
		return nil, errors.New("not an EC public key")
	}
	return pub, nil
}
