package export_test

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/app/export"
)

// FuzzVerify: whatever bytes arrive as a package, Verify answers with
// problems and never panics, and never calls garbage verified.
func FuzzVerify(f *testing.F) {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, data := range map[string]string{
		export.ManifestFile:  `{"format":"hoso-dossier-export/v1","files":[{"name":"cv.pdf","sha256":"00"}]}`,
		export.SignatureFile: "not CMS",
		export.EventsFile:    `{"events":[{"stream_version":2}]}`,
	} {
		w, _ := z.Create(name)
		w.Write([]byte(data))
	}
	z.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, _ := export.Verify(b, auditbundle.Options{})
		if rep.OK() {
			t.Fatalf("verified %q", b)
		}
	})
}
