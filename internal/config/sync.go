package config

import (
	"crypto/hpke"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/hoso-ledger/hoso/app/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
)

// Sync is the delivery to the national database (issue 15): off unless
// HOSO_NATIONAL_URL is set.
type Sync struct {
	// NationalURL is HOSO_NATIONAL_URL, where packages are POSTed.
	NationalURL string
	// NationalToken is HOSO_NATIONAL_TOKEN, sent as a bearer token.
	NationalToken string
	// TLS is the client side of mutual TLS: HOSO_NATIONAL_CLIENT_CERT and
	// HOSO_NATIONAL_CLIENT_KEY (PEM files, both or neither), and
	// HOSO_NATIONAL_CA (PEM roots of the receiver's certificate; the
	// system's when unset). Nil when none is set.
	TLS *tls.Config
	// NATSURL is HOSO_NATS_URL, the JetStream broker the packages travel
	// through (required with HOSO_NATIONAL_URL).
	NATSURL string
	// KeyPath is HOSO_SYNC_KEY and Key the province's sync key read from
	// it (a note signer key, as HOSO_CHECKPOINT_KEY's); cmd/hoso falls
	// back to a development key on the private cluster.
	KeyPath string
	Key     *checkpoint.Key
	// ReleaseKeyPath is HOSO_NATIONAL_KEY and ReleaseTo the national
	// receiver's X25519 public key read from it (PEM): the dossiers' data
	// keys are wrapped to it in each package (docs/sync.md, "Key release").
	ReleaseKeyPath string
	ReleaseTo      hpke.PublicKey
}

// Enabled reports whether the delivery runs.
func (s Sync) Enabled() bool { return s.NationalURL != "" }

func loadSync(getenv func(string) string, bad func(error)) Sync {
	s := Sync{NationalURL: getenv("HOSO_NATIONAL_URL"), NationalToken: getenv("HOSO_NATIONAL_TOKEN"), NATSURL: getenv("HOSO_NATS_URL"), KeyPath: getenv("HOSO_SYNC_KEY")}
	if s.NationalURL != "" {
		if u, err := url.Parse(s.NationalURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(fmt.Errorf("HOSO_NATIONAL_URL is %q: want an http(s) URL", s.NationalURL))
		}
		if s.NATSURL == "" {
			bad(errors.New("HOSO_NATS_URL is not set: the national sync travels through NATS JetStream (e.g. nats://127.0.0.1:4222)"))
		}
	}
	if s.ReleaseKeyPath = getenv("HOSO_NATIONAL_KEY"); s.ReleaseKeyPath != "" {
		b, err := os.ReadFile(s.ReleaseKeyPath)
		if err == nil {
			s.ReleaseTo, err = nationalsync.ParseReleaseKey(b)
		}
		if err != nil {
			bad(fmt.Errorf("HOSO_NATIONAL_KEY: %w", err))
		}
	}
	if s.KeyPath != "" {
		if k, err := checkpoint.LoadKey(s.KeyPath); err != nil {
			bad(fmt.Errorf("HOSO_SYNC_KEY: %w", err))
		} else {
			s.Key = &k
		}
	}
	cert, key, ca := getenv("HOSO_NATIONAL_CLIENT_CERT"), getenv("HOSO_NATIONAL_CLIENT_KEY"), getenv("HOSO_NATIONAL_CA")
	if (cert == "") != (key == "") {
		bad(errors.New("HOSO_NATIONAL_CLIENT_CERT and HOSO_NATIONAL_CLIENT_KEY go together: set both or neither"))
	} else if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			bad(fmt.Errorf("HOSO_NATIONAL_CLIENT_CERT/KEY: %w", err))
		}
		s.TLS = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{pair}}
	}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		pool := x509.NewCertPool()
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			bad(fmt.Errorf("HOSO_NATIONAL_CA: no PEM certificate in %s", ca))
		}
		if s.TLS == nil {
			s.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		s.TLS.RootCAs = pool
	}
	return s
}
