package nationalsync

import (
	"crypto/hpke"
	"crypto/subtle"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
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

	mu sync.Mutex
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
	pkg, problems := Verify(body, rc.SyncKey, rc.CheckpointKey, rc.Roots)
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
	receipt, status, err := rc.store(env.PackageID, digest, body)
	if err != nil {
		problem(w, http.StatusInternalServerError, "storage", err.Error(), nil)
		return
	}
	writeJSON(w, status, receipt)
}

func (rc *Receiver) paths(id uuid.UUID) (pkg, receipt string) {
	return filepath.Join(rc.Dir, "packages", id.String()+".json"), filepath.Join(rc.Dir, "receipts", id.String()+".json")
}

// held returns the stored receipt and the digest it was given for, or ""
// when the package is not held.
func (rc *Receiver) held(id uuid.UUID) ([]byte, string, error) {
	_, rp := rc.paths(id)
	b, err := os.ReadFile(rp)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	r, err := ParseReceipt(b)
	if err != nil {
		return nil, "", fmt.Errorf("stored receipt %s: %w", id, err)
	}
	return b, r.Digest, nil
}

// store writes the package and then its receipt; the receipt's presence is
// what "held" means, so a crash between the two leaves a package that is
// verified and stored again on the next delivery.
func (rc *Receiver) store(id uuid.UUID, digest string, body []byte) ([]byte, int, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if receipt, held, err := rc.held(id); err != nil || held != "" {
		if held != "" && held != digest {
			return nil, 0, fmt.Errorf("package %s arrived twice at once with other bytes", id)
		}
		return receipt, http.StatusOK, err
	}
	now := time.Now
	if rc.Now != nil {
		now = rc.Now
	}
	at := now().UTC().Truncate(time.Millisecond)
	sig, err := note.Sign(&note.Note{Text: receiptStatement(id, digest, at)}, rc.Key)
	if err != nil {
		return nil, 0, err
	}
	receipt, err := json.Marshal(Receipt{Format: ReceiptFormat, PackageID: id, Digest: digest, ReceivedAt: at, Receiver: rc.Key.Name(), Note: string(sig)})
	if err != nil {
		return nil, 0, err
	}
	pp, rp := rc.paths(id)
	if err := writeFile(pp, body); err != nil {
		return nil, 0, err
	}
	if err := writeFile(rp, receipt); err != nil {
		return nil, 0, err
	}
	return receipt, http.StatusCreated, nil
}

// writeFile writes b to path through a temporary file and a rename, after
// an fsync, so a reader never sees half a file.
func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
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
