package export

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
)

// IsPackage reports whether b looks like a package (a zip file) rather
// than an audit bundle (JSON).
func IsPackage(b []byte) bool { return bytes.HasPrefix(b, []byte("PK\x03\x04")) }

// maxFile bounds one file read from a package: a CV or a dossier's events
// are far below it, and a zip bomb stops there.
const maxFile = 64 << 20

// Open reads a package's files by name. A name twice is refused.
func Open(b []byte) (map[string][]byte, error) {
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("export: not a package: %w", err)
	}
	files := map[string][]byte{}
	for _, f := range z.File {
		if _, dup := files[f.Name]; dup {
			return nil, fmt.Errorf("export: %s is in the package twice", f.Name)
		}
		r, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("export: %s: %w", f.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("export: %s: %w", f.Name, err)
		}
		if len(data) > maxFile {
			return nil, fmt.Errorf("export: %s is larger than %d bytes", f.Name, maxFile)
		}
		files[f.Name] = data
	}
	return files, nil
}

// Verify checks a package with no database: the seal's signature over the
// manifest, every file's digest, the events' hash chain (and each event's
// hash from its bytes when they are present), and each event's inclusion
// in the ledger's signed checkpoint. opts.Key pins the checkpoint key
// (else the package's checkpoint.pub is used, and the report says so);
// opts.Roots, when set, must anchor the seal's certificate.
func Verify(b []byte, opts auditbundle.Options) (*auditbundle.Report, Manifest) {
	r := &auditbundle.Report{}
	ok := func(format string, args ...any) { r.Proved = append(r.Proved, fmt.Sprintf(format, args...)) }
	bad := func(format string, args ...any) { r.Problems = append(r.Problems, fmt.Sprintf(format, args...)) }
	var m Manifest
	files, err := Open(b)
	if err != nil {
		bad("%v", err)
		return r, m
	}
	raw, sig := files[ManifestFile], files[SignatureFile]
	if raw == nil || sig == nil {
		bad("package: %s or %s is missing", ManifestFile, SignatureFile)
		return r, m
	}
	if err := json.Unmarshal(raw, &m); err != nil || m.Format != Format {
		bad("manifest: not a %s manifest (%v)", Format, err)
		return r, m
	}

	// The seal's signature over the manifest's exact bytes.
	info, err := approvals.VerifyCMS(sig, raw, opts.Roots)
	switch {
	case err != nil:
		bad("signature: %v", err)
	case approvals.Fingerprint(info.Signer) != m.Seal.Fingerprint:
		bad("signature: made with certificate %s, the manifest names %s", approvals.Fingerprint(info.Signer), m.Seal.Fingerprint)
	default:
		anchor := "trust roots not checked (pass --roots)"
		if opts.Roots != nil {
			anchor = "certificate chains to the given trust roots"
		}
		ok("signature: detached CMS over manifest.json by %q (certificate %s), signed %s; %s",
			Describe(info.Signer), m.Seal.Fingerprint, info.SigningTime.In(domain.VietnamZone).Format("15:04 02/01/2006"), anchor)
	}

	// Every listed file present with its digest; nothing unlisted.
	listed := []string{ManifestFile, SignatureFile}
	intact := 0
	for _, f := range m.Files {
		listed = append(listed, f.Name)
		data, present := files[f.Name]
		switch {
		case !present:
			bad("%s: listed in the manifest, missing from the package", f.Name)
		case digest(data) != f.SHA256:
			bad("%s: edited: its SHA-256 is %s, the manifest says %s", f.Name, digest(data), f.SHA256)
		default:
			intact++
		}
	}
	for name := range files {
		if !slices.Contains(listed, name) {
			bad("%s: in the package but not in the signed manifest", name)
		}
	}
	if intact == len(m.Files) {
		ok("files: all %d listed files present with the signed SHA-256", intact)
	}

	// The dossier's events: their chain, and their place in the ledger.
	var evs Events
	if err := json.Unmarshal(files[EventsFile], &evs); err != nil {
		bad("%s: %v", EventsFile, err)
		return r, m
	}
	var view struct {
		ID      string `json:"id"`
		Version uint64 `json:"version"`
	}
	if err := json.Unmarshal(files[DossierFile], &view); err != nil {
		bad("%s: %v", DossierFile, err)
	}
	if view.ID != m.Dossier || view.Version != m.Version || uint64(len(evs.Events)) != m.Version {
		bad("%s: dossier %s version %d with %d events, the manifest says %s version %d", DossierFile, view.ID, view.Version, len(evs.Events), m.Dossier, m.Version)
	}
	var prev eventstore.Hash
	chained, recomputed := true, 0
	for i, e := range evs.Events {
		if e.Version != uint64(i+1) || e.PrevHash != prev {
			bad("%s@%d: hash_chain: does not follow the previous event", e.Stream, e.Version)
			chained = false
		}
		prev = e.Hash
		if e.Data != nil {
			se := eventstore.Event{ID: e.EventID, StreamID: e.Stream, Version: e.Version, Type: e.Type, Data: e.Data, RawMetadata: e.Metadata, PrevHash: e.PrevHash}
			if se.ComputeHash() != e.Hash {
				bad("%s@%d: edited: the event's bytes do not hash to its hash", e.Stream, e.Version)
				chained = false
			} else {
				recomputed++
			}
		}
	}
	if chained {
		ok("events: %s, %d events, hash chain intact (%d hashes recomputed from the events' bytes)", evs.Stream, len(evs.Events), recomputed)
	}

	note_, hasNote := files[CheckpointFile]
	if !hasNote {
		bad("checkpoint: the package holds none (none was taken when it was exported: take one, `hoso checkpoint`, and export again), so the events' place in the ledger is not proved")
		return r, m
	}
	key := opts.Key
	if key == nil {
		pub := bytes.TrimSpace(files[CheckpointKey])
		if len(pub) == 0 {
			bad("checkpoint: no key to check it with (pass --key)")
			return r, m
		}
		if key, err = note.NewVerifier(string(pub)); err != nil {
			bad("checkpoint: the package's key: %v", err)
			return r, m
		}
		ok("checkpoint key taken from the package (%s): pin it with --key", key.Name())
	}
	cp, err := checkpoint.Open(note_, key)
	if err != nil {
		bad("checkpoint: %v", err)
		return r, m
	}
	if m.Checkpoint == nil || m.Checkpoint.Size != cp.Size || m.Checkpoint.Root != cp.Root.String() || evs.TreeSize != cp.Size {
		bad("checkpoint: size %d root %s is not the one the manifest and events.json name", cp.Size, cp.Root)
		return r, m
	}
	proved, pending := 0, 0
	for _, e := range evs.Events {
		if e.Missing {
			pending++
			continue
		}
		leaf := rfc6962.DefaultHasher.HashLeaf(e.Hash[:])
		paths := make([][]byte, len(e.Inclusion))
		for i := range e.Inclusion {
			paths[i] = e.Inclusion[i][:]
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, e.LeafIndex, cp.Size, leaf, paths, cp.Root[:]); err != nil {
			bad("%s@%d: merkle: not at leaf %d of the checkpoint's log: %v", e.Stream, e.Version, e.LeafIndex, err)
			continue
		}
		proved++
	}
	ok("checkpoint %s at size %d, signed by %s: %d of %d events proved included", cp.Root, cp.Size, key.Name(), proved, len(evs.Events))
	if pending > 0 {
		ok("%d events recorded after that checkpoint: their inclusion is provable from a later one (GET /proofs/inclusion)", pending)
	}
	return r, m
}
