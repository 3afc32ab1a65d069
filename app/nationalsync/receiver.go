package nationalsync

import (
	"crypto/hpke"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/sync/errgroup"
)

// MaxPackageBytes bounds one envelope (a 5,000-dossier unit-month is a few
// tens of megabytes).
const MaxPackageBytes = 512 << 20

// Receiver is the reference national side (`hoso receiver`): it accepts
// POST /packages with an envelope, verifies it completely (Verify) against
// the keys and roots it pins, stores it under Dir and answers a signed
// receipt (201). A package it already holds gets the same receipt again
// (200): delivery is idempotent by package id. A package that fails any
// check gets 422 with every reason; one whose id it holds with other
// bytes, 409. Storage is files, written by rename, so a receiver killed
// and restarted on the same Dir answers as before.
type Receiver struct {
	Dir           string
	SyncKey       note.Verifier // the province's sync key
	CheckpointKey note.Verifier // the province ledger's checkpoint key
	Roots         *x509.CertPool
	Key           note.Signer // signs receipts
	Token         string      // when set, required as a bearer token
	// DataKey, when set, is the receiver's key-release key: a package
	// whose dossiers' data keys do not open with it, or whose sealed
	// events come without their key, is refused (422) like a package that
	// does not verify, so the sender learns at once.
	DataKey hpke.PrivateKey
	Now     func() time.Time

	// storing serializes the check-then-write of one thing received (a
	// package id, a department approval's digest), not of all of them:
	// packages with other ids are stored, and their fsyncs waited for, side
	// by side, which the file system commits together.
	storing     [storeStripes]sync.Mutex
	depMu       sync.Mutex // departments
	departments map[string]*HeldDepartment
}

// ServeHTTP implements http.Handler.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/healthz":
		w.WriteHeader(http.StatusNoContent)
		return
	case r.URL.Path != "/packages":
		problem(w, http.StatusNotFound, "not_found", "no such route", nil)
		return
	case r.Method != http.MethodPost:
		problem(w, http.StatusMethodNotAllowed, "method_not_allowed", "POST a package", nil)
		return
	}
	if rc.Token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+rc.Token)) != 1 {
		problem(w, http.StatusUnauthorized, "unauthorized", "a bearer token is required", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPackageBytes))
	if err != nil {
		problem(w, http.StatusRequestEntityTooLarge, "too_large", err.Error(), nil)
		return
	}
	env, err := OpenEnvelope(body)
	if err != nil {
		problem(w, http.StatusUnprocessableEntity, "package_invalid", "not a sync envelope", []string{err.Error()})
		return
	}
	if env.Format == DepartmentEnvelopeFormat {
		rc.department(w, env, body)
		return
	}
	digest := Digest(env.Package)
	if receipt, held, err := rc.held(env.PackageID); err != nil {
		problem(w, http.StatusInternalServerError, "storage", err.Error(), nil)
		return
	} else if held != "" {
		if held != digest {
			problem(w, http.StatusConflict, "package_id_reused", "another package with this id was received", []string{fmt.Sprintf("package %s was received with digest %s; these bytes are %s", env.PackageID, held, digest)})
			return
		}
		writeJSON(w, http.StatusOK, receipt)
		return
	}
	pkg, problems, missing := verifyPackage(env, rc.keys(), rc.heldDepartment)
	if len(problems) > 0 {
		problem(w, http.StatusUnprocessableEntity, "package_invalid", "the package does not verify", problems)
		return
	}
	if rc.DataKey != nil {
		if _, err := OpenEvents(pkg, rc.DataKey); err != nil {
			problem(w, http.StatusUnprocessableEntity, "package_keys_invalid", "the package's data keys do not open with this receiver's key", strings.Split(err.Error(), "\n"))
			return
		}
	}
	if missing != "" {
		// Everything else verified: the sender is to deliver the
		// department approval first, then this package again.
		problem(w, http.StatusFailedDependency, CodeDepartmentMissing, "the receiver does not hold the department approval this package names: send it first",
			[]string{fmt.Sprintf("department approval with manifest %s: not held", missing)})
		return
	}
	receipt, status, err := rc.store(rc.paths(env.PackageID), env.PackageID, digest, body, true)
	if err != nil {
		problem(w, http.StatusInternalServerError, "storage", err.Error(), nil)
		return
	}
	writeJSON(w, status, receipt)
}

// CodeDepartmentMissing is the receiver's answer (424) to a package whose
// department approval it does not hold; the sender delivers the approval
// (a Department) and then the package again.
const CodeDepartmentMissing = "department_approval_missing"

func (rc *Receiver) keys() Keys {
	return Keys{Sync: rc.SyncKey, Checkpoint: rc.CheckpointKey, Roots: rc.Roots}
}

// department receives a Department: verified completely (a tampered or
// foreign one is refused, 422, and nothing is stored), then stored under
// its signed manifest's digest, the name packages give it, with a receipt
// (201). One it holds already is answered with the receipt it was given
// (200), whatever checkpoint these bytes carry: it is the same approval,
// and the first verified copy is the one packages are checked against.
func (rc *Receiver) department(w http.ResponseWriter, env Envelope, body []byte) {
	h, problems := verifyDepartment(env, rc.keys())
	if len(problems) > 0 {
		problem(w, http.StatusUnprocessableEntity, "department_invalid", "the department approval does not verify", problems)
		return
	}
	if err := validDigest(h.ManifestDigest); err != nil {
		problem(w, http.StatusUnprocessableEntity, "department_invalid", "the department approval does not verify", []string{err.Error()})
		return
	}
	receipt, status, err := rc.store(rc.departmentPaths(h.ManifestDigest), env.PackageID, Digest(env.Package), body, false)
	if err != nil {
		problem(w, http.StatusInternalServerError, "storage", err.Error(), nil)
		return
	}
	rc.depMu.Lock()
	if rc.departments == nil {
		rc.departments = map[string]*HeldDepartment{}
	}
	if _, ok := rc.departments[h.ManifestDigest]; !ok {
		rc.departments[h.ManifestDigest] = h
	}
	rc.depMu.Unlock()
	writeJSON(w, status, receipt)
}

// validDigest: a manifest digest names a file, so it is hex SHA-256 only.
func validDigest(d string) error {
	if len(d) != 64 || strings.Trim(d, "0123456789abcdef") != "" {
		return fmt.Errorf("manifest digest %q is not a lower-case hex SHA-256", d)
	}
	return nil
}

// heldDepartment is the Department stored under the manifest digest, or
// nil. A receiver restarted on the same Dir reads and verifies it again
// once, then keeps it in memory: a thousand packages of one approval are
// checked against one parse of its manifest.
func (rc *Receiver) heldDepartment(digest string) (*HeldDepartment, error) {
	if validDigest(digest) != nil {
		return nil, nil // no such file can exist; the package names nothing held
	}
	rc.depMu.Lock()
	defer rc.depMu.Unlock()
	if h, ok := rc.departments[digest]; ok {
		return h, nil
	}
	p := rc.departmentPaths(digest)
	if _, held, err := heldAt(p.receipt); err != nil || held == "" {
		return nil, err
	}
	b, err := os.ReadFile(p.body)
	if err != nil {
		return nil, err
	}
	h, problems := VerifyDepartment(b, rc.keys())
	if len(problems) > 0 {
		return nil, fmt.Errorf("the stored department approval no longer verifies: %s", strings.Join(problems, "; "))
	}
	if rc.departments == nil {
		rc.departments = map[string]*HeldDepartment{}
	}
	rc.departments[digest] = h
	return h, nil
}

// stored names the files of one thing received: its bytes, then its
// receipt.
type stored struct{ body, receipt string }

func (rc *Receiver) paths(id uuid.UUID) stored {
	return stored{filepath.Join(rc.Dir, "packages", id.String()+".json"), filepath.Join(rc.Dir, "receipts", id.String()+".json")}
}

func (rc *Receiver) departmentPaths(digest string) stored {
	return stored{filepath.Join(rc.Dir, "departments", digest+".json"), filepath.Join(rc.Dir, "departments", digest+".receipt.json")}
}

// held returns the stored receipt of package id and the digest it was
// given for, or "" when the package is not held.
func (rc *Receiver) held(id uuid.UUID) ([]byte, string, error) {
	return heldAt(rc.paths(id).receipt)
}

func heldAt(receiptPath string) ([]byte, string, error) {
	b, err := os.ReadFile(receiptPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	r, err := ParseReceipt(b)
	if err != nil {
		return nil, "", fmt.Errorf("stored receipt %s: %w", filepath.Base(receiptPath), err)
	}
	return b, r.Digest, nil
}

// store writes the bytes and then their receipt; the receipt's presence is
// what "held" means, so a crash between the two leaves something verified
// and stored again on the next delivery. For a package, other bytes under
// a held id are a conflict (oneDigest); for a Department (keyed by its
// manifest), the held receipt answers.
func (rc *Receiver) store(at stored, id uuid.UUID, digest string, body []byte, oneDigest bool) ([]byte, int, error) {
	mu := &rc.storing[stripe(at.receipt)]
	mu.Lock()
	defer mu.Unlock()
	if receipt, held, err := heldAt(at.receipt); err != nil || held != "" {
		if held != "" && held != digest && oneDigest {
			return nil, 0, fmt.Errorf("package %s arrived twice at once with other bytes", id)
		}
		return receipt, http.StatusOK, err
	}
	now := time.Now
	if rc.Now != nil {
		now = rc.Now
	}
	t := now().UTC().Truncate(time.Millisecond)
	sig, err := note.Sign(&note.Note{Text: receiptStatement(id, digest, t)}, rc.Key)
	if err != nil {
		return nil, 0, err
	}
	receipt, err := json.Marshal(Receipt{Format: ReceiptFormat, PackageID: id, Digest: digest, ReceivedAt: t, Receiver: rc.Key.Name(), Note: string(sig)})
	if err != nil {
		return nil, 0, err
	}
	// Both files are written and flushed side by side (one fsync's wait,
	// not two), then renamed in order: the receipt appears only after the
	// package, and neither half-written.
	var bodyTmp, receiptTmp string
	var g errgroup.Group
	g.Go(func() (err error) { bodyTmp, err = tempFile(at.body, body); return err })
	g.Go(func() (err error) { receiptTmp, err = tempFile(at.receipt, receipt); return err })
	err = g.Wait()
	defer os.Remove(bodyTmp)
	defer os.Remove(receiptTmp)
	if err != nil {
		return nil, 0, err
	}
	if err := os.Rename(bodyTmp, at.body); err != nil {
		return nil, 0, err
	}
	if err := os.Rename(receiptTmp, at.receipt); err != nil {
		return nil, 0, err
	}
	return receipt, http.StatusCreated, nil
}

// storeStripes is how many stores may wait for the disk at once: above
// the sender's concurrency, so that two packages seldom share a stripe.
const storeStripes = 64

// stripe is the lock of the thing stored at receipt: the same path, the
// same lock.
func stripe(receipt string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(receipt))
	return int(h.Sum32() % storeStripes)
}

// tempFile writes b beside path in a temporary file, flushed to disk, and
// returns its name: renamed to path, a reader never sees half a file.
func tempFile(path string, b []byte) (string, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return f.Name(), err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return f.Name(), err
	}
	return f.Name(), f.Close()
}

// Held lists the ids of the packages the receiver holds.
func (rc *Receiver) Held() ([]uuid.UUID, error) {
	entries, err := os.ReadDir(filepath.Join(rc.Dir, "receipts"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []uuid.UUID
	for _, e := range entries {
		if id, err := uuid.Parse(strings.TrimSuffix(e.Name(), ".json")); err == nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// problem answers RFC 9457 problem+json with a stable code and, for a
// refused package, every reason.
func problem(w http.ResponseWriter, status int, code, detail string, reasons []string) {
	b, _ := json.Marshal(struct {
		Type    string   `json:"type"`
		Title   string   `json:"title"`
		Status  int      `json:"status"`
		Code    string   `json:"code"`
		Detail  string   `json:"detail"`
		Reasons []string `json:"reasons,omitempty"`
	}{"about:blank", http.StatusText(status), status, code, detail, reasons})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
