// Package config reads a hoso process's configuration from its HOSO_*
// environment variables, once, at start. Load parses every variable and
// reports every problem together, so an operator fixes a deployment in one
// pass rather than one restart per mistake. The values are then passed
// down as plain values; no other package reads the environment.
//
// The variables are documented in the README's configuration table.
package config

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/hsm"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"go.yaml.in/yaml/v4"
)

// DefaultListen is the API's address when HOSO_LISTEN is unset.
const DefaultListen = "127.0.0.1:8080"

// DevPersonalIDKey keys the personal-ID digest on the private development
// cluster only (HOSO_DATABASE_URL unset), so `make run` works out of the
// box. Anywhere else the key must come from HOSO_PERSONAL_ID_KEY: a key in
// the source code keys nothing.
const DevPersonalIDKey = "hoso-development-only-personal-id-key"

// Config is every HOSO_* variable, parsed.
type Config struct {
	// DatabaseURL is HOSO_DATABASE_URL; empty means "the private
	// development cluster under var/", which cmd/hoso starts on demand.
	DatabaseURL string
	// EventStoreURL is HOSO_EVENTSTORE_URL: empty for PostgreSQL (the
	// default), esdb://… or esdb+discover://… for EventStoreDB.
	EventStoreURL string
	// Listen is HOSO_LISTEN, the API's address (DefaultListen when unset).
	Listen string
	// MetricsListen is HOSO_METRICS_LISTEN, the address of GET /metrics;
	// empty: not served.
	MetricsListen string
	// TrustedProxies is HOSO_TRUSTED_PROXIES: the peers whose
	// X-Forwarded-For names the client.
	TrustedProxies []*net.IPNet
	// PolicyName is HOSO_POLICY: a preset's name or a policy file's path
	// (see LoadPolicy); empty for policy.DefaultPreset.
	PolicyName string
	// Policy is the deployment's policy: the national layer composed with
	// the provincial policy HOSO_POLICY names (policy.ForDeployment).
	Policy policy.Policy
	// PersonalIDKey is HOSO_PERSONAL_ID_KEY (at least
	// app.MinPersonalIDKeyLen bytes): the secret behind the
	// one-dossier-per-person reservations, which every process that creates
	// dossiers on one ledger must share for the ledger's life.
	// DevPersonalIDKey on the private cluster when unset; nil when unset
	// elsewhere (see NeedPersonalIDKey).
	PersonalIDKey []byte
	// NoProjections is HOSO_PROJECTIONS=off: the read models are left to
	// another process.
	NoProjections bool
	// AsyncReadLog is HOSO_READ_LOG=async: the read log's commits do not
	// wait for the WAL flush.
	AsyncReadLog bool
	// TrustRootsPath is HOSO_SIGNING_TRUST_ROOTS, a PEM file or folder, and
	// TrustRoots the CAs read from it (nil when unset).
	TrustRootsPath string
	TrustRoots     *x509.CertPool
	// CheckpointKeyPath is HOSO_CHECKPOINT_KEY and CheckpointKey the key
	// read from it (nil when unset; cmd/hoso then falls back to the
	// development key on the private cluster).
	CheckpointKeyPath string
	CheckpointKey     *checkpoint.Key
	// OCSPURL is HOSO_OCSP_URL: the OCSP responder asked about every
	// signer's certificate instead of the one its AIA names (empty: the
	// AIA's). OCSPUnreachable is HOSO_OCSP_UNREACHABLE, refuse (the
	// default) or accept-with-note. TSAURL is HOSO_TSA_URL, the RFC 3161
	// time-stamping authority stamping every accepted signature (empty:
	// none).
	OCSPURL         string
	OCSPUnreachable string
	TSAURL          string
	// CRLURL is HOSO_CRL_URL: the certificate revocation list read for
	// every signer's certificate beside OCSP, instead of the one its CRL
	// distribution points name (empty: theirs).
	CRLURL string
	// PKCS11PIN is HOSO_PKCS11_PIN, the token's user PIN for `hoso sign`
	// (empty: it prompts); APIToken is HOSO_API_TOKEN, the session token
	// or API key `hoso sign` calls the API with (empty: --user and a
	// password prompt). Secrets come from the environment or a prompt,
	// never from a flag, which other users see in the process list.
	PKCS11PIN string
	APIToken  string
	// SealCertPath and SealKeyPath are HOSO_SEAL_CERT and HOSO_SEAL_KEY,
	// and Seal the org's seal read from them (nil when unset; cmd/hoso
	// then falls back to the development seal on the private cluster).
	SealCertPath, SealKeyPath string
	Seal                      *export.Seal
	// Sync is the delivery to the national database (HOSO_NATIONAL_*,
	// HOSO_NATS_URL, HOSO_SYNC_KEY).
	Sync Sync
	// SMTP is the e-mail of outage notices (HOSO_SMTP_*).
	SMTP SMTP
	// KEK is HOSO_KEK: the key-encryption keys that wrap the dossiers'
	// data keys (docs/privacy.md), the current one first; nil when unset
	// (cmd/hoso then uses the development key under var/ on the private
	// cluster, and refuses elsewhere when the command needs it: NeedKEK).
	KEK *seal.LocalKEK
	// KEKPKCS11 is HOSO_KEK_PKCS11 ("module=PATH;token=LABEL;key=LABEL")
	// with the PIN of HOSO_KEK_PKCS11_PIN: the key-encryption key on an
	// HSM, which then wraps new data keys (HOSO_KEK's keys, if set, still
	// unwrap the older ones until `hoso keys rotate`); nil when unset.
	KEKPKCS11 *hsm.Config
	// OIDC is single sign-on (HOSO_OIDC_*): the zero value when none of
	// the four variables is set.
	OIDC OIDC
}

// OIDC is the OpenID provider of single sign-on (HU 16.4): HOSO_OIDC_ISSUER,
// HOSO_OIDC_CLIENT_ID, HOSO_OIDC_CLIENT_SECRET and HOSO_OIDC_REDIRECT_URL,
// all four or none.
type OIDC struct {
	Issuer, ClientID, ClientSecret, RedirectURL string
}

// Enabled reports whether single sign-on is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// Need says what a command cannot run without, beyond well-formed values.
type Need uint8

const (
	// NeedPersonalIDKey: the command creates dossiers (or serves the API
	// that does), so HOSO_PERSONAL_ID_KEY must be set off the private
	// cluster.
	NeedPersonalIDKey Need = 1 << iota
	// NeedKEK: the command reads or writes dossiers' sealed data, so
	// HOSO_KEK must be set off the private cluster.
	NeedKEK
)

// Load reads every HOSO_* variable through getenv (os.Getenv in
// production) and checks what need asks for. The error joins one error
// per problem (errors.Join), each naming its variable; Config holds what
// could be parsed either way.
func Load(getenv func(string) string, need Need) (Config, error) {
	var (
		c    Config
		errs []error
	)
	bad := func(err error) { errs = append(errs, err) }

	c.DatabaseURL = getenv("HOSO_DATABASE_URL")
	c.EventStoreURL = getenv("HOSO_EVENTSTORE_URL")
	if u := c.EventStoreURL; u != "" && !strings.HasPrefix(u, "esdb://") && !strings.HasPrefix(u, "esdb+discover://") {
		bad(errors.New("HOSO_EVENTSTORE_URL must start with esdb:// or esdb+discover://"))
	}

	c.Listen = DefaultListen
	if v := getenv("HOSO_LISTEN"); v != "" {
		c.Listen = v
		if err := checkAddr(v); err != nil {
			bad(fmt.Errorf("HOSO_LISTEN: %w", err))
		}
	}
	if v := getenv("HOSO_METRICS_LISTEN"); v != "" {
		c.MetricsListen = v
		if err := checkAddr(v); err != nil {
			bad(fmt.Errorf("HOSO_METRICS_LISTEN: %w", err))
		}
	}

	var err error
	if c.TrustedProxies, err = TrustedProxies(getenv("HOSO_TRUSTED_PROXIES")); err != nil {
		bad(err)
	}

	c.PolicyName = getenv("HOSO_POLICY")
	if p, err := LoadPolicy(c.PolicyName); err != nil {
		bad(fmt.Errorf("HOSO_POLICY: %w", err))
	} else {
		c.Policy = policy.ForDeployment(p)
	}

	switch k := getenv("HOSO_PERSONAL_ID_KEY"); {
	case k != "" && len(k) < app.MinPersonalIDKeyLen:
		bad(fmt.Errorf("HOSO_PERSONAL_ID_KEY is %d bytes, want at least %d", len(k), app.MinPersonalIDKeyLen))
	case k != "":
		c.PersonalIDKey = []byte(k)
	case c.DatabaseURL == "":
		c.PersonalIDKey = []byte(DevPersonalIDKey)
	case need&NeedPersonalIDKey != 0:
		bad(fmt.Errorf("HOSO_PERSONAL_ID_KEY is not set (at least %d bytes; keep it for the life of the ledger)", app.MinPersonalIDKeyLen))
	}

	switch v := getenv("HOSO_PROJECTIONS"); v {
	case "", "on":
	case "off":
		c.NoProjections = true
	default:
		bad(fmt.Errorf("HOSO_PROJECTIONS is %q: want on (the default) or off", v))
	}

	switch v := getenv("HOSO_READ_LOG"); v {
	case "", "durable":
	case "async":
		c.AsyncReadLog = true
	default:
		bad(fmt.Errorf("HOSO_READ_LOG is %q: want durable (the default) or async", v))
	}

	if c.TrustRootsPath = getenv("HOSO_SIGNING_TRUST_ROOTS"); c.TrustRootsPath != "" {
		if c.TrustRoots, err = approvals.LoadTrustRoots(c.TrustRootsPath); err != nil {
			bad(fmt.Errorf("HOSO_SIGNING_TRUST_ROOTS: %w", err))
		}
	}

	for _, v := range []struct {
		name string
		dst  *string
	}{{"HOSO_OCSP_URL", &c.OCSPURL}, {"HOSO_TSA_URL", &c.TSAURL}, {"HOSO_CRL_URL", &c.CRLURL}} {
		if *v.dst = getenv(v.name); *v.dst != "" {
			if u, err := url.Parse(*v.dst); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad(fmt.Errorf("%s is %q: want an http:// or https:// URL", v.name, *v.dst))
			}
		}
	}
	switch c.OCSPUnreachable = getenv("HOSO_OCSP_UNREACHABLE"); c.OCSPUnreachable {
	case "":
		c.OCSPUnreachable = approvals.OCSPRefuse
	case approvals.OCSPRefuse, approvals.OCSPAcceptWithNote:
	default:
		bad(fmt.Errorf("HOSO_OCSP_UNREACHABLE is %q: want refuse (the default) or accept-with-note", c.OCSPUnreachable))
	}

	c.PKCS11PIN, c.APIToken = getenv("HOSO_PKCS11_PIN"), getenv("HOSO_API_TOKEN")

	if c.CheckpointKeyPath = getenv("HOSO_CHECKPOINT_KEY"); c.CheckpointKeyPath != "" {
		k, err := checkpoint.LoadKey(c.CheckpointKeyPath)
		if err != nil {
			bad(fmt.Errorf("HOSO_CHECKPOINT_KEY: %w", err))
		} else {
			c.CheckpointKey = &k
		}
	}

	c.SealCertPath, c.SealKeyPath = getenv("HOSO_SEAL_CERT"), getenv("HOSO_SEAL_KEY")
	switch {
	case c.SealCertPath == "" && c.SealKeyPath == "":
	case c.SealCertPath == "" || c.SealKeyPath == "":
		bad(errors.New("HOSO_SEAL_CERT and HOSO_SEAL_KEY go together: set both or neither"))
	default:
		if c.Seal, err = export.LoadSeal(c.SealCertPath, c.SealKeyPath); err != nil {
			bad(fmt.Errorf("HOSO_SEAL_CERT, HOSO_SEAL_KEY: %w", err))
		}
	}
	c.Sync = loadSync(getenv, bad)
	c.SMTP = loadSMTP(getenv, bad)
	c.OIDC = loadOIDC(getenv, bad)
	if v := getenv("HOSO_KEK_PKCS11"); v != "" {
		h, err := hsm.ParseConfig(v, getenv("HOSO_KEK_PKCS11_PIN"))
		if err != nil {
			bad(fmt.Errorf("HOSO_KEK_PKCS11: %w", err))
		} else {
			c.KEKPKCS11 = &h
		}
	}
	switch v := getenv("HOSO_KEK"); {
	case c.KEKPKCS11 != nil && v == "":
	case v != "":
		k, err := seal.ParseLocalKEK(v)
		if err != nil {
			bad(fmt.Errorf("HOSO_KEK: %w", err))
		} else {
			c.KEK = k
		}
	case c.DatabaseURL == "":
	case need&NeedKEK != 0:
		bad(errors.New("HOSO_KEK is not set: the key-encryption key of the dossiers' personal data (base64 of 32 bytes: openssl rand -base64 32; keep it, and every earlier one until `hoso keys rotate` ran)"))
	}
	return c, errors.Join(errs...)
}

// IsPolicyFile reports whether a HOSO_POLICY value names a file rather
// than a preset: it contains a slash or ends in .json, .yaml or .yml
// (preset names are lower-case words joined by hyphens).
func IsPolicyFile(v string) bool {
	return strings.Contains(v, "/") || strings.HasSuffix(v, ".json") || isYAML(v)
}

func isYAML(path string) bool {
	return strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")
}

// ReadPolicyFile reads and parses one policy file: JSON, or YAML (by its
// .yaml or .yml extension) of the same shape, which is turned into JSON for
// policy.Parse so the same checks and field paths apply.
func ReadPolicyFile(path string) (policy.Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return policy.Policy{}, err
	}
	if isYAML(path) {
		var doc any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return policy.Policy{}, fmt.Errorf("%s: %w", path, domain.Invalid("policy", "yaml", err.Error()))
		}
		if b, err = json.Marshal(yamlDates(doc)); err != nil {
			return policy.Policy{}, fmt.Errorf("%s: %w", path, domain.Invalid("policy", "yaml", err.Error()))
		}
	}
	p, err := policy.Parse(b)
	if err != nil {
		return policy.Policy{}, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// LoadPolicy returns the provincial policy a HOSO_POLICY value names: the
// file at that path (IsPolicyFile, ReadPolicyFile), read once and checked by policy.Parse,
// every problem of the file in the error; otherwise the embedded preset of
// that name; policy.DefaultPreset for "".
func LoadPolicy(v string) (policy.Policy, error) {
	if v == "" {
		v = policy.DefaultPreset
	}
	if !IsPolicyFile(v) {
		return policy.Preset(v)
	}
	return ReadPolicyFile(v)
}

// yamlDates turns the timestamps YAML reads from unquoted dates
// (valid_from: 2026-07-01) back into the dates they were written as.
func yamlDates(v any) any {
	switch x := v.(type) {
	case time.Time:
		if x.Equal(x.Truncate(24*time.Hour)) && x.Location() == time.UTC {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339)
	case map[string]any:
		for k, e := range x {
			x[k] = yamlDates(e)
		}
	case []any:
		for i, e := range x {
			x[i] = yamlDates(e)
		}
	}
	return v
}

// checkAddr accepts what net.Listen("tcp", addr) would: host:port, the
// host optional, the port a number (or a service name) in range.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if n, err := strconv.Atoi(port); err == nil {
		if n < 0 || n > 65535 {
			return fmt.Errorf("%q: port %d out of range", addr, n)
		}
		return nil
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("%q: port %q is neither a number nor a known service", addr, port)
	}
	return nil
}

// TrustedProxies parses HOSO_TRUSTED_PROXIES: CIDRs or single addresses,
// separated by commas or spaces. Every bad entry is named at once.
func TrustedProxies(v string) ([]*net.IPNet, error) {
	var (
		out []*net.IPNet
		bad []string
	)
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		if !strings.Contains(f, "/") {
			if ip := net.ParseIP(f); ip != nil {
				bits := 128
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
				continue
			}
		} else if _, n, err := net.ParseCIDR(f); err == nil {
			out = append(out, n)
			continue
		}
		bad = append(bad, fmt.Sprintf("%q", f))
	}
	if bad != nil {
		return nil, fmt.Errorf("HOSO_TRUSTED_PROXIES: %s: want CIDRs (10.0.0.0/8) or addresses", strings.Join(bad, ", "))
	}
	return out, nil
}

// loadOIDC reads HOSO_OIDC_*: all four or none, the issuer and the
// redirect URL absolute http(s) URLs (plain http only for a provider or a
// callback on the machine itself, as in tests and `make run`).
func loadOIDC(getenv func(string) string, bad func(error)) OIDC {
	o := OIDC{Issuer: getenv("HOSO_OIDC_ISSUER"), ClientID: getenv("HOSO_OIDC_CLIENT_ID"),
		ClientSecret: getenv("HOSO_OIDC_CLIENT_SECRET"), RedirectURL: getenv("HOSO_OIDC_REDIRECT_URL")}
	vars := []struct{ name, v string }{{"HOSO_OIDC_ISSUER", o.Issuer}, {"HOSO_OIDC_CLIENT_ID", o.ClientID},
		{"HOSO_OIDC_CLIENT_SECRET", o.ClientSecret}, {"HOSO_OIDC_REDIRECT_URL", o.RedirectURL}}
	var set, unset []string
	for _, v := range vars {
		if v.v == "" {
			unset = append(unset, v.name)
		} else {
			set = append(set, v.name)
		}
	}
	switch {
	case len(set) == 0:
		return OIDC{}
	case len(unset) > 0:
		bad(fmt.Errorf("single sign-on needs all four HOSO_OIDC_* variables: %s set, %s not", strings.Join(set, ", "), strings.Join(unset, ", ")))
		return OIDC{}
	}
	for _, v := range []struct{ name, v string }{{"HOSO_OIDC_ISSUER", o.Issuer}, {"HOSO_OIDC_REDIRECT_URL", o.RedirectURL}} {
		u, err := url.Parse(v.v)
		switch {
		case err != nil || u.Host == "" || u.User != nil || u.Fragment != "":
			bad(fmt.Errorf("%s is %q: want an absolute https:// URL", v.name, v.v))
		case u.Scheme == "https":
		case u.Scheme == "http" && loopback(u.Hostname()):
		default:
			bad(fmt.Errorf("%s is %q: want https:// (plain http only on the machine itself)", v.name, v.v))
		}
	}
	if u, err := url.Parse(o.RedirectURL); err == nil && u.Path != "/login/oidc/callback" {
		bad(fmt.Errorf("HOSO_OIDC_REDIRECT_URL is %q: its path must be /login/oidc/callback", o.RedirectURL))
	}
	return o
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
