package domain

import (
	"encoding/hex"
	"strings"
)

// SourceDocument is the legal basis of a change: a decision, a contract, a
// certificate ("Số 123/QĐ-UBND ngày 05/03/2024"). Every state-side change
// carries one (Tiền Giang 5.4).
type SourceDocument struct {
	Kind   string `json:"kind"`             // "decision", "contract", "certificate", "form", …
	Number string `json:"number"`           // "123/QĐ-UBND"
	Date   Date   `json:"date"`             // signing date
	Issuer string `json:"issuer"`           // "UBND tỉnh Phú Thọ"
	SHA256 string `json:"sha256,omitempty"` // of the scanned copy, when attached
}

// IsZero reports whether no document was given.
func (d SourceDocument) IsZero() bool { return d == SourceDocument{} }

// Validate checks a document that a rule requires; field is the path prefix
// used in problems ("source_document").
func (d SourceDocument) Validate(field string) error {
	var v ValidationError
	for _, t := range []struct {
		name, s string
		max     int
	}{{"kind", d.Kind, MaxDocumentKind}, {"number", d.Number, MaxDocumentNumber}, {"issuer", d.Issuer, MaxDocumentIssuer}} {
		if strings.TrimSpace(t.s) == "" {
			v.Add(field+"/"+t.name, "required", "")
		} else {
			CheckText(&v, field+"/"+t.name, t.s, t.max, false)
		}
	}
	if d.Date.IsZero() {
		v.Add(field+"/date", "required", "")
	}
	if d.SHA256 != "" {
		if b, err := hex.DecodeString(d.SHA256); err != nil || len(b) != 32 || strings.ToLower(d.SHA256) != d.SHA256 {
			v.Add(field+"/sha256", "format", "64 lower-case hex digits")
		}
	}
	return v.Err()
}
