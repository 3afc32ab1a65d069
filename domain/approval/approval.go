package approval

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// Month is a calendar month on the Asia/Ho_Chi_Minh calendar. The zero Month
// is invalid.
type Month struct {
	year  int
	month time.Month
}

// NewMonth returns the month; errors wrap domain.ErrInvalid.
func NewMonth(year int, m time.Month) (Month, error) {
	if year < 1900 || year > 9999 || m < time.January || m > time.December {
		return Month{}, domain.Invalid("month", "range", fmt.Sprintf("%04d-%02d", year, int(m)))
	}
	return Month{year, m}, nil
}

// ParseMonth parses "YYYY-MM"; errors wrap domain.ErrInvalid.
func ParseMonth(s string) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return Month{}, domain.Invalid("month", "format", fmt.Sprintf("%q is not YYYY-MM", s))
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil {
		return Month{}, domain.Invalid("month", "format", fmt.Sprintf("%q is not YYYY-MM", s))
	}
	return NewMonth(y, time.Month(m))
}

// MonthOf is the Vietnamese calendar month of instant t.
func MonthOf(t time.Time) Month {
	v := t.In(domain.VietnamZone)
	return Month{v.Year(), v.Month()}
}

// Year and Month unpack m.
func (m Month) Year() int          { return m.year }
func (m Month) Month() time.Month  { return m.month }
func (m Month) IsZero() bool       { return m == Month{} }
func (m Month) String() string     { return fmt.Sprintf("%04d-%02d", m.year, int(m.month)) }
func (m Month) Vietnamese() string { return fmt.Sprintf("%02d/%04d", int(m.month), m.year) }

// Start is the month's first instant in Asia/Ho_Chi_Minh; Next(m).Start() is
// its end (exclusive).
func (m Month) Start() time.Time {
	return time.Date(m.year, m.month, 1, 0, 0, 0, 0, domain.VietnamZone)
}

// Next and Prev are the adjacent months.
func (m Month) Next() Month { t := m.Start().AddDate(0, 1, 0); return Month{t.Year(), t.Month()} }
func (m Month) Prev() Month { t := m.Start().AddDate(0, -1, 0); return Month{t.Year(), t.Month()} }

// Before reports whether m comes before n.
func (m Month) Before(n Month) bool {
	return m.year < n.year || (m.year == n.year && m.month < n.month)
}

func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// StreamID is the stream of org's approval of month m at level: the unit
// approval is "approval-<org>-<yyyy-mm>"; the department's approval over
// the units' approvals has its own stream, "approval-<org>-<yyyy-mm>-department",
// because the Department of Home Affairs also approves its own staff's
// data as a unit and one signature must not seal the other.
func StreamID(org domain.OrgID, m Month, level Level) string {
	s := "approval-" + org.String() + "-" + m.String()
	if level == LevelDepartment {
		s += "-department"
	}
	return s
}

// SupplementStreamID is the stream of the nth supplementary department
// approval of org's month m (n ≥ 1): "approval-<org>-<yyyy-mm>-department-<n>".
// A unit approval signed after the department sealed the month is covered
// by no department approval; a supplement covers exactly such late unit
// approvals (Tiền Giang art. 12), each supplement after the one before it
// was sealed, so the original signature is never reopened. n = 0 is the
// department approval itself.
func SupplementStreamID(org domain.OrgID, m Month, n int) string {
	s := StreamID(org, m, LevelDepartment)
	if n > 0 {
		s += "-" + strconv.Itoa(n)
	}
	return s
}

// Level says what an approval covers.
type Level string

const (
	// LevelUnit: an org's head approves the events of the dossiers it manages.
	LevelUnit Level = "unit"
	// LevelDepartment: the Department of Home Affairs approves the units'
	// approvals of the month, which makes the month ready for the national sync.
	LevelDepartment Level = "department"
)

// Valid reports whether l is a known level.
func (l Level) Valid() bool { return l == LevelUnit || l == LevelDepartment }

// Timing places the signature against the jurisdiction's approval window.
// Early and late approvals are accepted and flagged for compliance.
type Timing string

const (
	Early    Timing = "early"
	InWindow Timing = "in_window"
	Late     Timing = "late"
)

// Valid reports whether t is a known timing.
func (t Timing) Valid() bool { return t == Early || t == InWindow || t == Late }

// Stored event names.
const (
	TypeManifestServed = "approval.manifest_served.v2"
	TypeSigned         = "approval.signed.v1"
	// TypeManifestServedV1 is the retired shape that held the manifest's
	// bytes inline (an event holds at most 1 MiB, so a month above about
	// 2,000 entries could not be served). Stored v1 events are read as
	// ManifestServed with Manifest set; nothing writes v1 any more.
	TypeManifestServedV1 = "approval.manifest_served.v1"
)

// IsManifestServed reports whether a stored type is a served manifest, of
// either version.
func IsManifestServed(eventType string) bool {
	return eventType == TypeManifestServed || eventType == TypeManifestServedV1
}

// Compatibility rule for both events: the stored name never changes; fields
// are only added, never renamed or retyped; a breaking change is a new
// version plus an upcaster on codec (domain.Codec.WithUpcaster).
// testdata/golden pins the shapes.

// ManifestServed is stored as "approval.manifest_served.v2": this manifest
// (its RFC 8785 canonical bytes, Digest their SHA-256, Size their length)
// was handed to an approver. The bytes are not in the event: they are kept
// outside the ledger, content-addressed by Digest, and stored before the
// event is appended (app/approvals), so the event stays small whatever the
// month's size and an acknowledged event never names missing bytes. Items
// counts its entries: events at unit level, units' approvals at department
// level. Only the latest served manifest may be signed.
//
// A v1 event (TypeManifestServedV1) decodes to this type with Manifest
// holding the bytes inline and Size zero; history is read as it was written.
type ManifestServed struct {
	Org      domain.OrgID `json:"org_id"`
	Month    Month        `json:"month"`
	Level    Level        `json:"level"`
	Digest   string       `json:"manifest_sha256"`
	Size     int64        `json:"manifest_size,omitempty"`
	TreeSize uint64       `json:"tree_size"`
	Items    int          `json:"items"`
	// Manifest holds the bytes of a v1 event only (absent from v2).
	Manifest json.RawMessage `json:"manifest,omitempty"`
	// Supplement is n of a supplementary department approval (absent: the
	// approval itself).
	Supplement int `json:"supplement,omitempty"`
}

// Signed is stored as "approval.signed.v1": the month is approved, by the
// holder of the certificate with SignerFingerprint (registered on
// SignerAccount), over the served manifest with ManifestDigest. CMS is the
// detached SignedData exactly as uploaded (DER), so anyone can check it
// again with any CMS tool. It seals the month.
type Signed struct {
	Org               domain.OrgID     `json:"org_id"`
	Month             Month            `json:"month"`
	Level             Level            `json:"level"`
	ManifestDigest    string           `json:"manifest_sha256"`
	TreeSize          uint64           `json:"tree_size"`
	CMS               []byte           `json:"cms"`
	SignerFingerprint string           `json:"signer_fingerprint_sha256"`
	SignerAccount     domain.AccountID `json:"signer_account_id"`
	SignerSubject     string           `json:"signer_subject"`
	SigningTime       time.Time        `json:"signing_time"`
	Timing            Timing           `json:"timing"`
	WindowStart       domain.Date      `json:"window_start,omitzero"`
	WindowEnd         domain.Date      `json:"window_end,omitzero"`
	// Supplement is n of a supplementary department approval (absent: the
	// approval itself).
	Supplement int `json:"supplement,omitempty"`
	// Fields added for issue 15 (absent on approvals recorded before):
	// Via says how the signature reached the server (SignedViaUpload or
	// SignedViaRemote); CertificateStatus is the issuing CA's answer about
	// the signer's certificate when the signature was accepted;
	// Timestamp is an RFC 3161 token over the signature value.
	Via               string             `json:"signed_via,omitempty"`
	CertificateStatus *CertificateStatus `json:"certificate_status,omitempty"`
	Timestamp         *Timestamp         `json:"timestamp,omitempty"`
}

// How a signature reached the server.
const (
	SignedViaUpload = "upload"           // a detached CMS uploaded whole
	SignedViaRemote = "prepare_complete" // assembled from a hash-signing service's raw signature
)

// CertificateStatus is evidence of the signer's certificate status asked
// of its CA. Status is "good", or "unreachable" / "no_responder" when the
// deployment accepts a signature without an answer (Note says why);
// revoked and unknown certificates are never recorded, they are refused.
type CertificateStatus struct {
	Method     string    `json:"method"` // "ocsp"
	Responder  string    `json:"responder,omitempty"`
	Status     string    `json:"status"`
	Response   []byte    `json:"response,omitempty"` // the responder's signed DER answer
	ProducedAt time.Time `json:"produced_at,omitzero"`
	CheckedAt  time.Time `json:"checked_at"`
	Note       string    `json:"note,omitempty"`
	// CRL is the issuing CA's revocation list consulted beside OCSP
	// (absent in older events, and where no CRL was checked).
	CRL *CRLStatus `json:"crl,omitempty"`
}

// CRLStatus is what the CA's certificate revocation list said: the CRL's
// identity (URL, SHA-256, number, validity) and, when small, its DER, so an
// auditor can check the signature on it again.
type CRLStatus struct {
	URL        string    `json:"url"`
	Status     string    `json:"status"` // good, revoked, unreachable, no_crl_url
	SHA256     string    `json:"sha256,omitempty"`
	Number     string    `json:"number,omitempty"`
	ThisUpdate time.Time `json:"this_update,omitzero"`
	NextUpdate time.Time `json:"next_update,omitzero"`
	DER        []byte    `json:"der,omitempty"`
	Detail     string    `json:"detail,omitempty"`
}

// Timestamp is an RFC 3161 time-stamp token (DER ContentInfo) from
// Authority over the SHA-256 of the CMS signer's signature value.
type Timestamp struct {
	Authority string    `json:"authority"`
	Token     []byte    `json:"token"`
	GenTime   time.Time `json:"gen_time"`
	Serial    string    `json:"serial"`
}

func (ManifestServed) EventType() string { return TypeManifestServed }
func (Signed) EventType() string         { return TypeSigned }

// codec declares both events once; like account's and org's, it decodes a
// JSON null payload as the zero event, as this package always has.
var codec = domain.NewCodec("approval",
	domain.Def[ManifestServed](),
	domain.Def[Signed](),
).WithNullAsZero().WithUpcaster(TypeManifestServedV1, upcastServedV1)

// upcastServedV1 reads a v1 served manifest as v2: the payload is the same
// members, with the bytes inline in "manifest", which ManifestServed keeps.
func upcastServedV1(data []byte) (string, []byte, error) {
	return TypeManifestServed, data, nil
}

// Inline reports whether the manifest's bytes are in the event itself (a
// v1 event); otherwise they are kept by digest outside the ledger.
func (m ManifestServed) Inline() bool { return len(m.Manifest) > 0 }

// Decode turns a stored payload back into its event (a value). Unknown
// types and malformed payloads wrap domain.ErrInvalid.
func Decode(eventType string, data []byte) (domain.Event, error) {
	return codec.Decode(eventType, data)
}

// EventTypes lists the stored names Decode knows, sorted.
func EventTypes() []string { return codec.EventTypes() }

// Approval is one org-month's approval, rebuilt by Replay. The zero value
// is not valid; New starts an empty one.
type Approval struct {
	org        domain.OrgID
	month      Month
	level      Level
	supplement int // n of a supplementary department approval; 0 otherwise
	version    uint64
	served     []ManifestServed
	signed     *Signed
}

// New is the approval at level of a month nothing has happened to yet.
// Errors wrap domain.ErrInvalid.
func New(org domain.OrgID, m Month, level Level) (*Approval, error) {
	var v domain.ValidationError
	if org.IsZero() {
		v.Add("org_id", "required", "")
	}
	if m.IsZero() {
		v.Add("month", "required", "")
	}
	if !level.Valid() {
		v.Add("level", "enum", "unit or department")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return &Approval{org: org, month: m, level: level}, nil
}

// NewSupplement is the nth (n ≥ 1) supplementary department approval of a
// month nothing has happened to yet. Errors wrap domain.ErrInvalid.
func NewSupplement(org domain.OrgID, m Month, n int) (*Approval, error) {
	a, err := New(org, m, LevelDepartment)
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, domain.Invalid("supplement", "range", "a supplement is numbered from 1")
	}
	a.supplement = n
	return a, nil
}

// Replay rebuilds org's approval of month m from its stream, oldest first
// (an empty history is a month with nothing served). A history holding an
// event of another package, or of another org or month, is refused with
// domain.ErrInvalid; applying never fails.
func Replay(org domain.OrgID, m Month, level Level, history []domain.Recorded) (*Approval, error) {
	a, err := New(org, m, level)
	if err != nil {
		return nil, err
	}
	return a.replay(history)
}

// ReplaySupplement is Replay for the nth supplementary department approval.
func ReplaySupplement(org domain.OrgID, m Month, n int, history []domain.Recorded) (*Approval, error) {
	a, err := NewSupplement(org, m, n)
	if err != nil {
		return nil, err
	}
	return a.replay(history)
}

func (a *Approval) replay(history []domain.Recorded) (*Approval, error) {
	org, m, level := a.org, a.month, a.level
	for i, r := range history {
		var (
			o  domain.OrgID
			mm Month
			l  Level
			n  int
		)
		switch e := r.Event.(type) {
		case ManifestServed:
			o, mm, l, n = e.Org, e.Month, e.Level, e.Supplement
		case Signed:
			o, mm, l, n = e.Org, e.Month, e.Level, e.Supplement
		default:
			return nil, domain.Invalid(fmt.Sprintf("history/%d", i), "unknown", fmt.Sprintf("%T", r.Event))
		}
		if o != org || mm != m || l != level || n != a.supplement {
			return nil, domain.Invalid(fmt.Sprintf("history/%d", i), "stream", "an event of "+streamOf(o, mm, l, n))
		}
		a.apply(r)
	}
	return a, nil
}

func streamOf(o domain.OrgID, m Month, l Level, n int) string {
	if n > 0 {
		return SupplementStreamID(o, m, n)
	}
	return StreamID(o, m, l)
}

func (a *Approval) apply(r domain.Recorded) {
	a.version = r.Version
	switch e := r.Event.(type) {
	case ManifestServed:
		a.served = append(a.served, e)
	case Signed:
		s := e
		a.signed = &s
	}
}

// Org, Month, Level, StreamID and Version describe the approval.
func (a *Approval) Org() domain.OrgID { return a.org }
func (a *Approval) Level() Level      { return a.level }
func (a *Approval) StreamID() string  { return streamOf(a.org, a.month, a.level, a.supplement) }

// Supplement is n of a supplementary department approval, 0 otherwise.
func (a *Approval) Supplement() int { return a.supplement }
func (a *Approval) Month() Month    { return a.month }
func (a *Approval) Version() uint64 { return a.version }

// Sealed reports whether the month is signed.
func (a *Approval) Sealed() bool { return a.signed != nil }

// Signature is the approval, if the month is sealed.
func (a *Approval) Signature() (Signed, bool) {
	if a.signed == nil {
		return Signed{}, false
	}
	return *a.signed, true
}

// Latest is the manifest served last, if any.
func (a *Approval) Latest() (ManifestServed, bool) {
	if len(a.served) == 0 {
		return ManifestServed{}, false
	}
	return a.served[len(a.served)-1], true
}

// Served lists every manifest served, oldest first.
func (a *Approval) Served() []ManifestServed { return slices.Clone(a.served) }

// ServedDigest returns the served manifest with digest.
func (a *Approval) ServedDigest(digest string) (ManifestServed, bool) {
	for i := len(a.served) - 1; i >= 0; i-- {
		if a.served[i].Digest == digest {
			return a.served[i], true
		}
	}
	return ManifestServed{}, false
}

// Stable rules of the StateErrors the commands return.
const (
	RuleSealed        = "month_sealed"
	RuleNotServed     = "manifest_not_served"
	RuleSuperseded    = "manifest_superseded"
	RuleNoUnits       = "no_unit_approvals"
	RuleLevelMismatch = "level_mismatch"
	RuleMonthNotBegun = "month_not_begun"
)

func (a *Approval) stateErr(rule, detail string) error {
	return &domain.StateError{Aggregate: "approval", ID: a.StreamID(), Rule: rule, Detail: detail}
}

// Manifest is what Serve records about a manifest the caller built. The
// caller stores Bytes by Digest before appending the event Serve returns,
// which carries the digest and size only.
type Manifest struct {
	Level    Level
	Digest   string // lower-case hex SHA-256 of Bytes
	TreeSize uint64
	Items    int
	Bytes    []byte // RFC 8785 canonical JSON
}

// Serve records that manifest was handed out for signing. Serving the same
// digest as the latest one again returns no events (a refreshed page is
// not a new manifest). Errors: domain.ErrInvalid for a malformed manifest;
// domain.ErrConflict (*domain.StateError) when the month is sealed
// (RuleSealed), has not begun at m.RecordedAt (RuleMonthNotBegun), or a
// department manifest lists no unit approval (RuleNoUnits).
func (a *Approval) Serve(m domain.Meta, man Manifest) ([]domain.Event, error) {
	var v domain.ValidationError
	if m.RecordedAt.IsZero() {
		v.Add("recorded_at", "required", "")
	}
	if !man.Level.Valid() {
		v.Add("level", "enum", string(man.Level))
	}
	if !isHexDigest(man.Digest) {
		v.Add("manifest_sha256", "format", "64 lower-case hex digits")
	}
	if len(man.Bytes) == 0 || !json.Valid(man.Bytes) {
		v.Add("manifest", "json", "the manifest's canonical JSON")
	}
	if man.Items < 0 {
		v.Add("items", "range", "not negative")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if man.Level != a.level {
		return nil, a.stateErr(RuleLevelMismatch, "this is the "+string(a.level)+" approval")
	}
	if a.signed != nil {
		return nil, a.stateErr(RuleSealed, "the month was approved on "+domain.DateOf(a.signed.SigningTime).Vietnamese())
	}
	if m.RecordedAt.Before(a.month.Start()) {
		return nil, a.stateErr(RuleMonthNotBegun, "the month "+a.month.Vietnamese()+" has not begun")
	}
	if man.Level == LevelDepartment && man.Items == 0 {
		return nil, a.stateErr(RuleNoUnits, "a department approval covers the units' approvals; none is signed for "+a.month.Vietnamese())
	}
	if last, ok := a.Latest(); ok && last.Digest == man.Digest {
		return nil, nil
	}
	return []domain.Event{ManifestServed{
		Org: a.org, Month: a.month, Level: man.Level, Digest: man.Digest,
		Size: int64(len(man.Bytes)), TreeSize: man.TreeSize, Items: man.Items, Supplement: a.supplement,
	}}, nil
}

// Signature is a verified signature the caller asks to record: the CMS
// checks, the trust chain and the signer's authority were done by the
// caller; this aggregate decides whether the month can take it.
type Signature struct {
	ManifestDigest    string
	Level             Level
	CMS               []byte
	SignerFingerprint string
	SignerAccount     domain.AccountID
	SignerSubject     string
	SigningTime       time.Time
	Timing            Timing
	WindowStart       domain.Date
	WindowEnd         domain.Date
	Via               string
	CertificateStatus *CertificateStatus
	Timestamp         *Timestamp
}

// Sign seals the month with s. Errors: domain.ErrInvalid for missing
// fields; domain.ErrConflict (*domain.StateError) when the month is already
// sealed (RuleSealed), the digest was never served (RuleNotServed), a newer
// manifest was served since (RuleSuperseded), or the level differs from
// the served manifest's (RuleLevelMismatch).
func (a *Approval) Sign(m domain.Meta, s Signature) ([]domain.Event, error) {
	var v domain.ValidationError
	if m.RecordedAt.IsZero() {
		v.Add("recorded_at", "required", "")
	}
	if len(s.CMS) == 0 {
		v.Add("cms", "required", "")
	}
	if !isHexDigest(s.ManifestDigest) {
		v.Add("manifest_sha256", "format", "64 lower-case hex digits")
	}
	if !isHexDigest(s.SignerFingerprint) {
		v.Add("signer_fingerprint_sha256", "format", "64 lower-case hex digits")
	}
	if s.SignerAccount.IsZero() {
		v.Add("signer_account_id", "required", "")
	}
	if s.SigningTime.IsZero() {
		v.Add("signing_time", "required", "")
	}
	if !s.Timing.Valid() {
		v.Add("timing", "enum", string(s.Timing))
	}
	if !s.Level.Valid() {
		v.Add("level", "enum", string(s.Level))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if a.signed != nil {
		return nil, a.stateErr(RuleSealed, "the month was approved on "+domain.DateOf(a.signed.SigningTime).Vietnamese()+"; corrections go into a later month")
	}
	served, ok := a.ServedDigest(s.ManifestDigest)
	if !ok {
		return nil, a.stateErr(RuleNotServed, "no manifest with digest "+s.ManifestDigest+" was served for this month")
	}
	if last, _ := a.Latest(); last.Digest != served.Digest {
		return nil, a.stateErr(RuleSuperseded, "a newer manifest was served; sign "+last.Digest)
	}
	if served.Level != s.Level {
		return nil, a.stateErr(RuleLevelMismatch, "the manifest is for level "+string(served.Level))
	}
	return []domain.Event{Signed{
		Org: a.org, Month: a.month, Level: s.Level, ManifestDigest: s.ManifestDigest, TreeSize: served.TreeSize,
		CMS: slices.Clone(s.CMS), SignerFingerprint: s.SignerFingerprint, SignerAccount: s.SignerAccount,
		SignerSubject: s.SignerSubject, SigningTime: s.SigningTime.UTC(), Timing: s.Timing,
		WindowStart: s.WindowStart, WindowEnd: s.WindowEnd, Supplement: a.supplement,
		Via: s.Via, CertificateStatus: s.CertificateStatus, Timestamp: s.Timestamp,
	}}, nil
}

func isHexDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
