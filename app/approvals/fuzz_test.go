package approvals

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

// FuzzParseCMS: hostile uploads are refused with a code, never a panic.
func FuzzParseCMS(f *testing.F) {
	f.Add([]byte("garbage"))
	f.Add([]byte{0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02})
	f.Add([]byte("-----BEGIN PKCS7-----\nMIAGCSqGSIb3DQEHAqCAMIACAQExADALBgkqhkiG9w0BBwGggDCCAQ==\n-----END PKCS7-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p7, _, err := parseCMS(b)
		if err != nil {
			if CodeOf(err) != CodeCMSMalformed {
				t.Fatalf("parseCMS error %v has code %q", err, CodeOf(err))
			}
			return
		}
		_, _ = checkSignature(p7, []byte("{}"))
	})
}

// FuzzParseManifest: any bytes either parse into a self-consistent manifest
// or are refused.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"format":"hoso-approval-manifest/v1","events":[],"count":0,"events_root":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err == nil && m.Count != len(m.Events) {
			t.Fatalf("accepted a manifest whose count %d is not its %d events", m.Count, len(m.Events))
		}
	})
}

// FuzzParsePrepareID: a prepare id either round-trips or is refused on
// field prepare_id, never a panic.
func FuzzParsePrepareID(f *testing.F) {
	h := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	f.Add("p1." + h + "." + h + ".1796000000")
	f.Add("p1...")
	f.Add("p1." + h + "." + h + ".-1")
	f.Fuzz(func(t *testing.T, s string) {
		d, fp, at, err := ParsePrepareID(s)
		if err != nil {
			var v *domain.ValidationError
			if !errors.As(err, &v) || v.Problems[0].Field != "prepare_id" {
				t.Fatalf("ParsePrepareID(%q) error %v does not name prepare_id", s, err)
			}
			return
		}
		if got := prepareID(d, fp, at); got != s {
			t.Fatalf("ParsePrepareID(%q) does not round-trip: %q", s, got)
		}
	})
}

// FuzzECDSADER: any raw signature converts or passes through unchanged.
func FuzzECDSADER(f *testing.F) {
	f.Add(make([]byte, 64))
	f.Add([]byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01})
	k := &ecdsa.PublicKey{Curve: elliptic.P256()}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = ecdsaDER(k, b)
	})
}
