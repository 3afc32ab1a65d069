package certtest

import (
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// SoftToken is a SoftHSM2 token made for one test: its own token folder
// and configuration file, a P-256 key pair generated on the token, and a
// certificate for it issued by the CA and stored on the token beside the
// key (same label and id), as a CA's USB token holds them.
type SoftToken struct {
	Conf     string // the SOFTHSM2_CONF file: set it in the environment of whatever opens the token
	Label    string // the token's label
	KeyLabel string
	KeyID    []byte
	PIN      string
	Cert     *x509.Certificate
}

// SoftHSMModule is SoftHSM2's PKCS#11 module on Debian.
const SoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// NewSoftToken initializes a token with softhsm2-util, generates the key
// on it and imports the certificate with pkcs11-tool (OpenSC). The
// programs must be installed (make test-deps installs them): a missing
// one fails the test.
func (c *CA) NewSoftToken(t testing.TB, label, cn string, notBefore, notAfter time.Time, ocsp string) SoftToken {
	t.Helper()
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tok := SoftToken{Conf: conf, Label: label, KeyLabel: "ky-so", KeyID: []byte{0x01}, PIN: "123456"}
	run := func(name string, args ...string) []byte {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+conf)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return out
	}
	run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin", "12345678", "--pin", tok.PIN)
	p11 := func(args ...string) []byte {
		return run("pkcs11-tool", append([]string{"--module", SoftHSMModule, "--token-label", label, "--login", "--pin", tok.PIN}, args...)...)
	}
	p11("--keypairgen", "--key-type", "EC:prime256v1", "--label", tok.KeyLabel, "--id", "01")
	pubFile := filepath.Join(dir, "pub.der")
	p11("--read-object", "--type", "pubkey", "--id", "01", "--output-file", pubFile)
	pubDER, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(pubDER)
	if err != nil {
		t.Fatalf("the token's public key: %v", err)
	}
	tok.Cert = c.IssueFor(t, cn, pub, notBefore, notAfter, SigningUsage, ocsp)
	certFile := filepath.Join(dir, "cert.der")
	if err := os.WriteFile(certFile, tok.Cert.Raw, 0o600); err != nil {
		t.Fatal(err)
	}
	p11("--write-object", certFile, "--type", "cert", "--label", tok.KeyLabel, "--id", "01")
	return tok
}
