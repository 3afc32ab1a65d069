package cmsbuild_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"

	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/cmsbuild"
)

// TestAssembleVerifies builds detached SignedData from a signature made
// apart from the attributes (as a remote service makes it) and has both
// the server's verifier (smallstep/pkcs7) and `openssl cms -verify` check it.
func TestAssembleVerifies(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "Hoso CMS Test CA")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	content := []byte(`{"format":"hoso-approval-manifest/v1","org":"Sở Nội vụ"}`)
	for _, tc := range []struct {
		name string
		key  crypto.Signer
	}{{"ecdsa", ecKey}, {"rsa", rsaKey}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			now := time.Now()
			cert := ca.IssueFor(t, "Người Ký "+tc.name, tc.key.Public(), now.Add(-time.Hour), now.Add(time.Hour), certtest.SigningUsage, "")
			attrs, err := cmsbuild.Attributes(cmsbuild.OIDData, content, now, cert)
			if err != nil {
				t.Fatal(err)
			}
			sig, err := tc.key.Sign(rand.Reader, attrs.Digest(), crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			der, err := cmsbuild.Assemble(cmsbuild.OIDData, nil, cert, []*x509.Certificate{ca.Cert}, attrs, sig)
			if err != nil {
				t.Fatal(err)
			}
			p7, err := pkcs7.Parse(der)
			if err != nil {
				t.Fatalf("pkcs7.Parse = %v", err)
			}
			p7.Content = content
			if err := p7.Verify(); err != nil {
				t.Fatalf("pkcs7 Verify = %v", err)
			}
			var st time.Time
			if err := p7.UnmarshalSignedAttribute(pkcs7.OIDAttributeSigningTime, &st); err != nil || !st.Equal(now.UTC().Truncate(time.Second)) {
				t.Errorf("signing time = %v, %v; want %v", st, err, now.Truncate(time.Second))
			}
			p7.Content = []byte("other bytes")
			if err := p7.Verify(); err == nil {
				t.Errorf("pkcs7 Verify over other content succeeded")
			}
			dir := t.TempDir()
			write := func(n string, b []byte) string {
				p := filepath.Join(dir, n)
				if err := os.WriteFile(p, b, 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			in, sigf, caf := write("m.json", content), write("m.p7s", der), write("ca.pem", []byte(ca.PEM()))
			out, err := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sigf,
				"-content", in, "-CAfile", caf, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl cms -verify: %v\n%s", err, out)
			}
			other := write("other.json", []byte("other"))
			if out, err := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sigf,
				"-content", other, "-CAfile", caf, "-purpose", "any", "-out", os.DevNull).CombinedOutput(); err == nil {
				t.Fatalf("openssl cms -verify over other content succeeded:\n%s", out)
			}
		})
	}
}

func TestAssembleRefusesBadAttributes(t *testing.T) {
	t.Parallel()
	ca := certtest.NewCA(t, "Hoso CMS Test CA")
	s := ca.Issue(t, "A", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), certtest.SigningUsage)
	for _, attrs := range []cmsbuild.SignedAttributes{nil, {0x30, 0}, {0x31, 5, 1}, {0x31, 0}} {
		if _, err := cmsbuild.Assemble(cmsbuild.OIDData, nil, s.Cert, nil, attrs, []byte{1}); err == nil {
			t.Errorf("Assemble(attrs %x) succeeded", []byte(attrs))
		}
	}
}
