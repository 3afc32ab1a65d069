package api_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/app/export"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/internal/certtest"
	"github.com/hoso-ledger/hoso/internal/pdftest"
	"github.com/hoso-ledger/hoso/internal/service"
)

// documentsEnv is a service with a checkpoint key and an org's seal issued
// by a test CA, one org, an HR officer (who reads sensitive fields) and an
// inspector (who does not) of it, and an HR officer of another org.
type documentsEnv struct {
	env                    *apitest.Env
	org                    domain.OrgID
	hr, inspector, strange string
	caPEM                  string // the seal's trust root, for openssl
	roots                  *x509.CertPool
	key                    checkpoint.Key
}

func startDocuments(t *testing.T) *documentsEnv {
	t.Helper()
	dir := t.TempDir()
	key, err := checkpoint.LoadOrCreateKey(filepath.Join(dir, "checkpoint.key"), "hoso.test/documents")
	if err != nil {
		t.Fatal(err)
	}
	ca := certtest.NewCA(t, "Ban Cơ yếu Chính phủ (thử nghiệm)")
	certPath, keyPath := ca.IssueSeal(t, export.SealSubject("Sở Y tế tỉnh Phú Thọ", "Phú Thọ", "Giám đốc", "Lê Văn Đức"), dir)
	seal, err := export.LoadSeal(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.Start(t, apitest.Options{Config: service.Config{CheckpointKey: &key, Seal: seal}})
	d := &documentsEnv{env: e, caPEM: ca.PEM(), roots: x509.NewCertPool(), key: key}
	d.roots.AddCert(ca.Cert)
	d.org = e.Org("Sở Y tế tỉnh Phú Thọ", "000.00.31.T01", e.Root)
	other := e.Org("Sở Tài chính tỉnh Phú Thọ", "000.00.32.T01", e.Root)
	d.hr = e.Session(e.Account("tccb.soyte", "", account.KindOrg, account.RoleHROfficer, d.org))
	d.inspector = e.Session(e.Account("thanhtra.soyte", "", account.KindOrg, account.RoleInspector, d.org))
	d.strange = e.Session(e.Account("tccb.sotc", "", account.KindOrg, account.RoleHROfficer, other))
	return d
}

// dossierWithCareer opens a dossier for a person whose name carries every
// kind of Vietnamese diacritic, with a Party admission date and n rows of
// career.
func (d *documentsEnv) dossierWithCareer(t *testing.T, n int) domain.DossierID {
	t.Helper()
	ctx := context.Background()
	id := d.env.Dossier(d.org, "Nguyễn Thị Hồng Nhung")
	version := uint64(1)
	patch := dossier.Patch{Background: &dossier.Background{PartyAdmittedOn: domain.MustDate(2015, 5, 19), FirstRecruitedOn: domain.MustDate(2012, 9, 1)}}
	if _, err := d.env.Svc.Deps.Dossiers.UpdateSection(ctx, id, version, patch, d.env.Meta()); err != nil {
		t.Fatal(err)
	}
	version++
	for i := range n {
		y := 2012 + i/4
		row := dossier.Row{Table: dossier.TableWorkHistory, WorkHistory: &dossier.WorkHistoryRow{ID: uuid.Must(uuid.NewV7()),
			From: dossier.MustYearMonth(y, time.Month(1+3*(i%4))), To: dossier.MustYearMonth(y, time.Month(3+3*(i%4))),
			Org: fmt.Sprintf("Khoa Hồi sức tích cực số %d, Bệnh viện Đa khoa tỉnh", i+1), Title: "Điều dưỡng viên"}}
		if _, err := d.env.Svc.Deps.Dossiers.AddRow(ctx, id, version, row, d.env.Meta()); err != nil {
			t.Fatal(err)
		}
		version++
	}
	return id
}

func isProblem(t *testing.T, r *apitest.Response, status int, field string) {
	t.Helper()
	if r.Status != status || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("status %d %s, want %d problem+json: %.200s", r.Status, r.Header.Get("Content-Type"), status, r.Body)
	}
	if bytes.Contains(r.Body, []byte("%PDF")) || bytes.HasPrefix(r.Body, []byte("PK")) {
		t.Fatal("a problem carries part of a document")
	}
	if field != "" && !strings.Contains(string(r.Body), field) {
		t.Fatalf("the problem does not name %s: %s", field, r.Body)
	}
}

func readsOf(t *testing.T, e *apitest.Env, id domain.DossierID, route string) int {
	t.Helper()
	var n int
	if err := e.Svc.Pool.QueryRow(context.Background(), `SELECT count(*) FROM dossier_reads WHERE dossier_id = $1 AND route = $2 AND outcome = 'allowed'`,
		uuid.UUID(id), route).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDossierCVAsPDF(t *testing.T) {
	t.Parallel()
	d := startDocuments(t)
	id := d.dossierWithCareer(t, 80)
	path := "/api/v1/dossiers/" + id.String() + "/cv.pdf"

	r := d.env.Do(http.MethodGet, path, d.hr, nil, "X-Purpose", "in hồ sơ")
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("GET cv.pdf = %d %s: %.300s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	if readsOf(t, d.env, id, "/api/v1/dossiers/:id/cv.pdf") != 1 {
		t.Error("the download is not in the read log")
	}
	text := pdftest.Text(t, r.Body, 1, 0)
	for _, want := range []string{"SƠ YẾU LÝ LỊCH", "NGUYỄN THỊ HỒNG NHUNG", "12/04/1985", "Kinh", "19/05/2015", "01/09/2012",
		"Sở Y tế tỉnh Phú Thọ", "Tóm tắt quá trình công tác", "38) Xác nhận của cơ quan, tổ chức, đơn vị quản lý",
		"GIÁM ĐỐC", "Lê Văn Đức", "Phú Thọ, ngày"} {
		if !strings.Contains(text, want) {
			t.Errorf("the CV lacks %q", want)
		}
	}
	for _, f := range pdftest.Fonts(t, r.Body) {
		if !f.Embedded || !strings.Contains(strings.ToLower(f.Name), "tinos") {
			t.Errorf("font %+v: want Tinos, embedded", f)
		}
	}
	// 80 career rows flow onto more pages, each with the table's header.
	pages := pdftest.Pages(t, r.Body)
	if pages < 3 {
		t.Fatalf("%d pages for 80 career rows", pages)
	}
	if p2 := pdftest.Text(t, r.Body, 2, 2); !strings.Contains(p2, "Khoa Hồi sức tích cực") || !strings.Contains(p2, "Chức danh, chức vụ, đơn vị công tác") {
		t.Errorf("page 2 holds no career rows under a repeated header:\n%s", p2)
	}
	if ink := pdftest.Ink(t, pdftest.PagePNG(t, r.Body, 1, 50)); ink < 0.01 {
		t.Errorf("page 1 renders blank (%.3f%% ink)", ink*100)
	}

	// A reader without read_sensitive gets the form without ethnicity,
	// Party or identity numbers, exactly as the JSON leaves them out.
	r = d.env.Do(http.MethodGet, path, d.inspector, nil, "Hoso-Purpose", `inspection; ref="15/QD-TTr"`)
	if r.Status != http.StatusOK {
		t.Fatalf("inspector: %d %s", r.Status, r.Body)
	}
	text = pdftest.Text(t, r.Body, 1, 0)
	for _, leak := range []string{"Kinh", "19/05/2015", "079085"} {
		if strings.Contains(text, leak) {
			t.Errorf("the inspector's CV shows %q", leak)
		}
	}
	if !strings.Contains(text, "NGUYỄN THỊ HỒNG NHUNG") || !strings.Contains(text, "không hiển thị") {
		t.Error("the inspector's CV should name the person and mark what it withholds")
	}

	// Time travel: as known before the Party date was recorded.
	h, err := d.env.Svc.Deps.Dossiers.Ledger.Load(context.Background(), id.StreamID(), dossier.Decode)
	if err != nil {
		t.Fatal(err)
	}
	asOf := h.Events[0].Meta.RecordedAt.Add(time.Microsecond).Format(time.RFC3339Nano)
	r = d.env.Do(http.MethodGet, path+"?as_of="+url.QueryEscape(asOf), d.hr, nil)
	if r.Status != http.StatusOK || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("as_of: %d %v", r.Status, r.Header)
	}
	if text := pdftest.Text(t, r.Body, 1, 0); strings.Contains(text, "19/05/2015") || !strings.Contains(text, "phiên bản 1") {
		t.Error("the CV as of the creation shows later facts")
	}

	// Bad input: problem+json before any byte of a PDF.
	for name, c := range map[string]struct {
		path, token, field string
		status             int
	}{
		"unknown dossier":       {"/api/v1/dossiers/" + uuid.Must(uuid.NewV7()).String() + "/cv.pdf", d.hr, "", http.StatusNotFound},
		"no right":              {path, d.strange, "", http.StatusNotFound},
		"as_of before creation": {path + "?as_of=2001-01-01T00:00:00Z", d.hr, "", http.StatusNotFound},
		"malformed as_of":       {path + "?as_of=yesterday", d.hr, "query:as_of", http.StatusBadRequest},
		"malformed effective":   {path + "?effective_on=31/12/2025", d.hr, "query:effective_on", http.StatusBadRequest},
		"unknown parameter":     {path + "?format=docx", d.hr, "query:format", http.StatusBadRequest},
		"not a dossier id":      {"/api/v1/dossiers/abc/cv.pdf", d.hr, "path:id", http.StatusBadRequest},
		"no token":              {path, "", "", http.StatusUnauthorized},
	} {
		t.Run(name, func(t *testing.T) {
			isProblem(t, d.env.Do(http.MethodGet, c.path, c.token, nil), c.status, c.field)
		})
	}
	var refused int
	if err := d.env.Svc.Pool.QueryRow(context.Background(), `SELECT count(*) FROM dossier_reads WHERE dossier_id = $1 AND outcome = 'refused' AND username = 'tccb.sotc'`,
		uuid.UUID(id)).Scan(&refused); err != nil || refused != 1 {
		t.Errorf("the refusal is logged %d times (%v), want once", refused, err)
	}
}

// unzip writes a package's files into a fresh folder.
func unzip(t *testing.T, b []byte) string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// opensslVerify runs `openssl cms -verify` on an unpacked package, as a
// third party would; it returns openssl's error output on failure.
func opensslVerify(t *testing.T, dir, caPEM string) error {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(ca, []byte(caPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", filepath.Join(dir, export.SignatureFile),
		"-content", filepath.Join(dir, export.ManifestFile), "-CAfile", ca, "-purpose", "any", "-out", os.DevNull).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

func TestDossierSignedExport(t *testing.T) {
	t.Parallel()
	d := startDocuments(t)
	id := d.dossierWithCareer(t, 3)
	d.env.WaitCaughtUp() // the Merkle log holds the events
	if _, err := d.env.Svc.Checkpoints.Take(context.Background(), "test"); err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/dossiers/" + id.String() + "/export"
	r := d.env.Do(http.MethodGet, path, d.hr, nil)
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("GET export = %d %s: %.300s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	if readsOf(t, d.env, id, "/api/v1/dossiers/:id/export") != 1 {
		t.Error("the export is not in the read log")
	}
	dir := unzip(t, r.Body)
	// A third party: openssl checks the seal's signature over the manifest,
	// then the manifest's digests.
	if err := opensslVerify(t, dir, d.caPEM); err != nil {
		t.Fatalf("openssl cms -verify: %v", err)
	}
	var m export.Manifest
	raw, _ := os.ReadFile(filepath.Join(dir, export.ManifestFile))
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Dossier != id.String() || m.Version != 5 || m.Redacted || m.Checkpoint == nil || len(m.Files) < 7 {
		t.Fatalf("manifest: %s", raw)
	}
	for _, f := range m.Files {
		out, err := exec.Command("sha256sum", filepath.Join(dir, f.Name)).Output()
		if err != nil || !strings.HasPrefix(string(out), f.SHA256) {
			t.Errorf("sha256sum %s = %s, manifest %s", f.Name, out, f.SHA256)
		}
	}
	cv, _ := os.ReadFile(filepath.Join(dir, export.CVFile))
	if text := pdftest.Text(t, cv, 1, 0); !strings.Contains(text, "NGUYỄN THỊ HỒNG NHUNG") || !strings.Contains(text, "ký số") || !strings.Contains(text, m.Seal.Fingerprint) {
		t.Errorf("the exported CV does not note its signature:\n%s", text)
	}
	// hoso's verifier: signature, digests, hash chain from the events'
	// bytes, inclusion in the signed checkpoint, all pinned.
	verifier := d.key.Verifier
	rep, _ := export.Verify(r.Body, auditbundle.Options{Key: verifier, Roots: d.roots})
	if !rep.OK() || !strings.Contains(strings.Join(rep.Proved, "\n"), "5 of 5 events proved included") {
		t.Fatalf("verify: problems %v\nproved %v", rep.Problems, rep.Proved)
	}

	// Tampering is caught by openssl and by hoso.
	edited := filepath.Join(dir, export.ManifestFile)
	if err := os.WriteFile(edited, bytes.Replace(raw, []byte(`"version": 5`), []byte(`"version": 4`), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := opensslVerify(t, dir, d.caPEM); err == nil {
		t.Error("openssl verified an edited manifest")
	}
	tampered := repack(t, r.Body, export.DossierFile, []byte(`{"id":"`+id.String()+`","version":5,"document":{"identity":{"birth_name":"Kẻ Giả Mạo"}}}`))
	if rep, _ := export.Verify(tampered, auditbundle.Options{Key: verifier, Roots: d.roots}); rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "dossier.json: edited") {
		t.Errorf("verify of an edited dossier.json: %v", rep.Problems)
	}

	// A reader without read_sensitive: redacted JSON and CV, events as
	// hashes only; still signed and verifiable.
	r = d.env.Do(http.MethodGet, path, d.inspector, nil, "Hoso-Purpose", `inspection; ref="15/QD-TTr"`)
	if r.Status != http.StatusOK {
		t.Fatalf("inspector: %d %s", r.Status, r.Body)
	}
	rep, m = export.Verify(r.Body, auditbundle.Options{Key: verifier, Roots: d.roots})
	if !rep.OK() || !m.Redacted {
		t.Fatalf("inspector's package: redacted %v, problems %v", m.Redacted, rep.Problems)
	}
	files, err := export.Open(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(files[export.DossierFile], []byte(`"ethnicity": "01"`)) || bytes.Contains(files[export.EventsFile], []byte(`"data"`+": \"")) {
		t.Error("the inspector's package carries sensitive data")
	}
	if text := pdftest.Text(t, files[export.CVFile], 1, 0); strings.Contains(text, "Kinh") || strings.Contains(text, "19/05/2015") {
		t.Error("the inspector's exported CV shows sensitive data")
	}

	// Bad input.
	isProblem(t, d.env.Do(http.MethodGet, path+"?as_of="+url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), d.hr, nil), http.StatusBadRequest, "query:as_of")
	isProblem(t, d.env.Do(http.MethodGet, path+"?as_of=2001-01-01T00:00:00Z", d.hr, nil), http.StatusNotFound, "")
	isProblem(t, d.env.Do(http.MethodGet, path, d.strange, nil), http.StatusNotFound, "")
	isProblem(t, d.env.Do(http.MethodGet, path+"?effective_on=2025-01-01", d.hr, nil), http.StatusBadRequest, "query:effective_on")

	// A process without a seal cannot sign: 503, nothing served.
	unsealed := d.env.Second()
	isProblem(t, unsealed.Do(http.MethodGet, path, d.hr, nil), http.StatusServiceUnavailable, "")
}

// repack replaces one file of a package, keeping the rest (and the
// signature) as they were.
func repack(t *testing.T, b []byte, name string, data []byte) []byte {
	t.Helper()
	files, err := export.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	files[name] = data
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for n, d := range files {
		w, err := z.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
