package export

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
)

// Format names the package's shape.
const Format = "hoso-dossier-export/v1"

// The files of a package. ManifestFile and SignatureFile are outside the
// manifest (the signature covers the manifest); every other file is listed
// in it with its SHA-256.
const (
	ManifestFile    = "manifest.json"
	SignatureFile   = "manifest.json.p7s"
	CVFile          = "cv.pdf"
	DossierFile     = "dossier.json"
	AttachmentsFile = "attachments.json"
	EventsFile      = "events.json"
	CheckpointFile  = "checkpoint.txt"
	CheckpointKey   = "checkpoint.pub"
	SealFile        = "seal.pem"
	ReadmeFile      = "README.txt"
)

// Manifest is manifest.json: what the package is, as of when, and the
// digest of every other file. The seal signs its exact bytes.
type Manifest struct {
	Format  string `json:"format"`
	Dossier string `json:"dossier_id"`
	Version uint64 `json:"version"`
	// AsOf is the stated instant: the dossier as the ledger knew it then.
	AsOf       time.Time `json:"as_of"`
	ExportedAt time.Time `json:"exported_at"`
	ExportedBy string    `json:"exported_by"`
	// Redacted: the exporter may not read sensitive fields, so they are
	// blanked in the CV and the JSON, and events.json carries hashes only.
	Redacted bool `json:"redacted"`
	Seal     struct {
		Subject     string `json:"subject"`
		Fingerprint string `json:"sha256"`
	} `json:"seal"`
	// Checkpoint is the latest signed checkpoint's size and root (hex),
	// absent when none was taken yet.
	Checkpoint *CheckpointRef `json:"checkpoint,omitempty"`
	Files      []File         `json:"files"`
}

// CheckpointRef names a checkpoint.
type CheckpointRef struct {
	Size uint64 `json:"size"`
	Root string `json:"root"`
}

// File is one listed file.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
}

// Attachment is one attached document's digest, as attachments.json lists it.
type Attachment struct {
	Title  string `json:"title,omitempty"`
	Kind   string `json:"kind,omitempty"`
	Number string `json:"number,omitempty"`
	Date   string `json:"date,omitempty"`
	Issuer string `json:"issuer,omitempty"`
	SHA256 string `json:"sha256"`
}

// Events is events.json: the dossier's stream up to the stated instant,
// each event with its hash, its place in the Merkle log and its inclusion
// proof in the checkpoint's tree. Data and Metadata (the exact stored
// bytes) are present only when the exporter may read sensitive fields.
// Pending events were not yet covered by the latest checkpoint.
type Events struct {
	Stream   string              `json:"stream_id"`
	TreeSize uint64              `json:"tree_size"`
	Events   []auditbundle.Event `json:"events"`
	Pending  int                 `json:"pending,omitempty"`
}

// Contents are the parts a package is built from.
type Contents struct {
	CV          []byte
	Dossier     []byte // JSON
	Attachments []Attachment
	Events      Events
	// CheckpointNote is the signed note of the latest checkpoint, and
	// CheckpointKey its public key (note verifier format); both may be empty.
	CheckpointNote, CheckpointKey string
}

// GatherEvents reads stream's events 1..upTo from store with their leaf
// indexes in tree and inclusion proofs against the latest checkpoint
// (cps may be nil: no proofs). withData keeps the events' stored bytes.
// It returns the checkpoint's note too ("" when none).
func GatherEvents(ctx context.Context, store eventstore.Store, tree *treelog.Log, cps *checkpoint.Log, stream string, upTo uint64, withData bool) (Events, string, error) {
	out := Events{Stream: stream}
	var (
		cp   checkpoint.Signed
		note string
	)
	if cps != nil && tree != nil {
		var err error
		cp, err = cps.Latest(ctx)
		switch {
		case errors.Is(err, checkpoint.ErrNotFound):
		case err != nil:
			return out, "", err
		default:
			out.TreeSize, note = cp.Size, string(cp.Note)
		}
	}
	evs, err := store.ReadStream(ctx, stream, eventstore.ReadOptions{Limit: int(upTo)})
	if err != nil {
		return out, "", err
	}
	for _, e := range evs {
		if e.Version > upTo {
			break
		}
		ev := auditbundle.Event{EventID: e.ID, Stream: e.StreamID, Version: e.Version, Type: e.Type, PrevHash: e.PrevHash, Hash: e.Hash}
		if withData {
			ev.Data, ev.Metadata = e.Data, e.RawMetadata
		}
		leaf, err := uint64(0), error(nil)
		if out.TreeSize > 0 {
			leaf, err = tree.LeafIndex(ctx, e.ID)
		}
		switch {
		case out.TreeSize == 0 || errors.Is(err, treelog.ErrNotFound) || (err == nil && leaf >= out.TreeSize):
			ev.Missing = true // not in the checkpoint's tree yet
			out.Pending++
		case err != nil:
			return out, "", err
		default:
			ev.LeafIndex = leaf
			if ev.Inclusion, err = tree.InclusionProof(ctx, leaf, out.TreeSize); err != nil {
				return out, "", err
			}
		}
		out.Events = append(out.Events, ev)
	}
	return out, note, nil
}

// Build writes the package: every file, the manifest listing their
// digests, and the seal's detached CMS signature over the manifest.
func Build(m Manifest, c Contents, seal *Seal) ([]byte, error) {
	if seal == nil {
		return nil, ErrNoSeal
	}
	m.Format = Format
	m.Seal.Subject, m.Seal.Fingerprint = Describe(seal.Cert), seal.Fingerprint()
	m.AsOf, m.ExportedAt = m.AsOf.UTC(), m.ExportedAt.UTC()
	attachments, err := json.MarshalIndent(c.Attachments, "", "  ")
	if err != nil {
		return nil, err
	}
	events, err := json.MarshalIndent(c.Events, "", "  ")
	if err != nil {
		return nil, err
	}
	files := []struct {
		name string
		data []byte
	}{
		{ReadmeFile, []byte(readme)},
		{CVFile, c.CV},
		{DossierFile, c.Dossier},
		{AttachmentsFile, attachments},
		{EventsFile, events},
		{SealFile, seal.ChainPEM()},
	}
	if c.CheckpointNote != "" {
		files = append(files, struct {
			name string
			data []byte
		}{CheckpointFile, []byte(c.CheckpointNote)})
		if cp, err := checkpoint.ParseNote([]byte(c.CheckpointNote)); err == nil {
			m.Checkpoint = &CheckpointRef{Size: cp.Size, Root: cp.Root.String()}
		}
	}
	if c.CheckpointKey != "" {
		files = append(files, struct {
			name string
			data []byte
		}{CheckpointKey, []byte(c.CheckpointKey + "\n")})
	}
	m.Files = m.Files[:0]
	for _, f := range files {
		m.Files = append(m.Files, File{Name: f.name, SHA256: digest(f.data), Size: len(f.data)})
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	manifest = append(manifest, '\n')
	sig, err := seal.Sign(manifest)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	put := func(name string, data []byte) error {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: m.ExportedAt})
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	if err := put(ManifestFile, manifest); err != nil {
		return nil, err
	}
	if err := put(SignatureFile, sig); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := put(f.name, f.data); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrNoSeal: no seal is configured, so nothing can be signed.
var ErrNoSeal = errors.New("export: no seal is configured (HOSO_SEAL_CERT, HOSO_SEAL_KEY)")

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// readme tells a third party how to check the package with standard tools.
const readme = `Gói xuất hồ sơ đã ký số (hoso-dossier-export/v1)
================================================

manifest.json liệt kê mã băm SHA-256 của từng tệp khác trong gói.
manifest.json.p7s là chữ ký số CMS (RFC 5652) tách rời, định dạng DER,
của cơ quan (con dấu) trên đúng các byte của manifest.json.
seal.pem là chứng thư số của con dấu và chuỗi chứng thư.

Kiểm tra bằng công cụ chuẩn (OpenSSL, coreutils):

  openssl cms -verify -binary -inform DER -in manifest.json.p7s \
      -content manifest.json -CAfile ROOT.pem -purpose any -out /dev/null
  (ROOT.pem: chứng thư gốc mà bạn tin cậy, ví dụ của Ban Cơ yếu Chính phủ)

  sha256sum cv.pdf dossier.json ...   # so với "files" trong manifest.json

Kiểm tra đầy đủ (chữ ký, mã băm, chuỗi băm của sự kiện, bằng chứng Merkle
và checkpoint đã ký của sổ cái):

  hoso audit verify [--roots ROOT.pem] [--key checkpoint.pub] GÓI.zip

The same in English: manifest.json lists every other file's SHA-256;
manifest.json.p7s is the seal's detached CMS signature (DER) over its exact
bytes. Verify with the openssl command above, then compare the digests;
'hoso audit verify' also checks the events' hash chain and their inclusion
in the ledger's signed checkpoint.
`
