package approvals

import (
	"testing"
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
