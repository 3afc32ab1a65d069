package tokensign_test

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/tokensign"
)

// TestSignOnSoftHSM signs with a key generated on a SoftHSM2 token made
// for the test; the server's verifier accepts the detached CMS over the
// content and refuses it over other bytes. Wrong PINs, labels and slots
// are refused when the token is opened.
func TestSignOnSoftHSM(t *testing.T) {
	ca := certtest.NewCA(t, "Hoso Token Test Root")
	now := time.Now()
	tok := ca.NewSoftToken(t, "hoso-test", "Nguyễn Văn Token", now.AddDate(0, -1, 0), now.AddDate(1, 0, 0), "")
	t.Setenv("SOFTHSM2_CONF", tok.Conf) // the module reads it in this process

	for _, tc := range []struct {
		name string
		o    tokensign.Options
	}{
		{"wrong PIN", tokensign.Options{TokenLabel: tok.Label, KeyLabel: tok.KeyLabel, PIN: "000000"}},
		{"no such token", tokensign.Options{TokenLabel: "khong-co", KeyLabel: tok.KeyLabel, PIN: tok.PIN}},
		{"no such key", tokensign.Options{TokenLabel: tok.Label, KeyLabel: "khac", PIN: tok.PIN}},
		{"token named twice", tokensign.Options{TokenLabel: tok.Label, Slot: new(int), KeyLabel: tok.KeyLabel, PIN: tok.PIN}},
		{"empty PIN", tokensign.Options{TokenLabel: tok.Label, KeyLabel: tok.KeyLabel}},
	} {
		if tk, err := tokensign.Open(tc.o); err == nil {
			_ = tk.Close()
			t.Errorf("%s: Open succeeded", tc.name)
		}
	}

	tk, err := tokensign.Open(tokensign.Options{Module: certtest.SoftHSMModule, TokenLabel: tok.Label, KeyLabel: tok.KeyLabel, PIN: tok.PIN})
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Close()
	if !tk.Certificate().Equal(tok.Cert) {
		t.Fatal("the token's certificate is not the one imported")
	}
	content := []byte(`{"format":"hoso-approval-manifest/v1"}`)
	der, err := tk.Sign(content, now)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	info, err := approvals.VerifyCMS(der, content, roots)
	if err != nil || !info.Signer.Equal(tok.Cert) {
		t.Fatalf("VerifyCMS = %+v, %v", info, err)
	}
	if _, err := approvals.VerifyCMS(der, []byte("khác"), roots); approvals.CodeOf(err) != approvals.CodeSignatureMismatch {
		t.Errorf("VerifyCMS over other bytes = %v", err)
	}
}
