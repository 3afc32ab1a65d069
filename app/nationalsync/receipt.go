package nationalsync

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
)

// ReceiptFormat names the receipt's shape.
const ReceiptFormat = "hoso-sync-receipt/v1"

// Receipt is the receiver's answer to an accepted package: a signed note
// by the receiver's key over the package's id, digest and reception time.
type Receipt struct {
	Format     string    `json:"format"`
	PackageID  uuid.UUID `json:"package_id"`
	Digest     string    `json:"package_sha256"`
	ReceivedAt time.Time `json:"received_at"`
	Receiver   string    `json:"receiver"`
	Note       string    `json:"note"`
}

func receiptStatement(id uuid.UUID, digest string, at time.Time) string {
	return ReceiptFormat + "\n" + id.String() + "\n" + digest + "\n" + at.UTC().Format(time.RFC3339Nano) + "\n"
}

// ParseReceipt decodes a receipt without checking its signature.
func ParseReceipt(b []byte) (Receipt, error) {
	var r Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		return r, err
	}
	if r.Format != ReceiptFormat || r.PackageID == uuid.Nil || r.Note == "" {
		return r, fmt.Errorf("nationalsync: not a receipt (format %q)", r.Format)
	}
	return r, nil
}

// VerifyReceipt checks a receipt's signature against the receiver's key
// and that it is for the package with id and digest.
func VerifyReceipt(b []byte, receiverKey note.Verifier, id uuid.UUID, digest string) (Receipt, error) {
	r, err := ParseReceipt(b)
	if err != nil {
		return r, err
	}
	n, err := note.Open([]byte(r.Note), note.VerifierList(receiverKey))
	if err != nil {
		return r, fmt.Errorf("nationalsync: receipt signature: %w", err)
	}
	if n.Text != receiptStatement(r.PackageID, r.Digest, r.ReceivedAt) || r.PackageID != id || r.Digest != digest {
		return r, fmt.Errorf("nationalsync: the receipt is for package %s (%s), not %s (%s)", r.PackageID, r.Digest, id, digest)
	}
	return r, nil
}
