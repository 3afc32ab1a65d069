package approvals

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/crlcheck"
	"github.com/hoso-ledger/hoso/internal/ocspcheck"
	"github.com/hoso-ledger/hoso/internal/tsa"
	"github.com/hoso-ledger/hoso/ledger"
)

// CheckpointWait bounds how long an approval waits for the Merkle log to
// include it before the approval's checkpoint is taken.
const CheckpointWait = 10 * time.Second

// Config is what the service works with.
type Config struct {
	// Pool holds the events (PostgreSQL backend) and the Merkle log.
	Pool  *pgxpool.Pool
	Store eventstore.Store
	// Tree is the Merkle log; with a store it is sequenced before a
	// manifest is built, so the manifest covers every committed event.
	Tree *treelog.Log
	// Checkpoints, when set, takes a signed checkpoint after each approval.
	Checkpoints *checkpoint.Log
	// Roots are the CAs signing certificates must chain to.
	Roots *x509.CertPool
	// Policy and Calendar place a signature in the approval window.
	Policy   policy.Policy
	Calendar *calendar.Calendar
	// Now is the server clock (time.Now when nil).
	Now func() time.Time
	// OCSP, when set, asks the signer's CA about the certificate before
	// an approval is recorded; OCSPUnreachable (OCSPRefuse, the default,
	// or OCSPAcceptWithNote) says what to do without a usable answer.
	OCSP            *ocspcheck.Checker
	OCSPUnreachable string
	// CRL, when set, also reads the CA's certificate revocation list: a
	// certificate either source says is revoked is refused, and a good
	// CRL answers when the OCSP responder cannot (OCSPUnreachable applies
	// when neither gives a usable answer).
	CRL *crlcheck.Checker
	// TSA, when set, stamps every accepted signature (RFC 3161); its
	// tokens are verified against Roots.
	TSA *tsa.Client
	// StoreOnly builds manifests and finds certificates through Store and
	// the Merkle log (Pool's merkle_leaves) only, never Pool's events
	// table: set it when the ledger is on EventStoreDB. The events-table
	// path (the default) reads only the month and is the fast one.
	StoreOnly bool
}

// Service builds manifests and records approvals.
type Service struct {
	cfg       Config
	ledger    ledger.Ledger
	b         builder
	manifests Manifests
}

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := ledger.Ledger{Store: cfg.Store}
	mf := NewManifests(cfg.Pool)
	return &Service{cfg: cfg, ledger: l, manifests: mf, b: builder{pool: cfg.Pool, ledger: l, tree: cfg.Tree, storeOnly: cfg.StoreOnly, manifests: mf}}
}

// Manifests is where the service keeps served manifests' bytes.
func (s *Service) Manifests() Manifests { return s.manifests }

// Served is a manifest as handed to an approver.
type Served struct {
	Bytes    []byte // RFC 8785 canonical JSON: what to sign
	Digest   string // hex SHA-256 of Bytes
	Manifest Manifest
	// Sealed: the month is approved and Bytes is the manifest that was signed.
	Sealed bool
}

// sequence brings the Merkle log up to every event committed before the
// call and returns its size. SequenceOnce alone may stop short of the head:
// the store's stable prefix trails any transaction still running in the
// cluster, and a manifest must not miss an event its month already holds.
func (s *Service) sequence(ctx context.Context) (uint64, error) {
	if s.cfg.StoreOnly {
		// Any store: sequence until a pass finds nothing new.
		for {
			n, err := s.cfg.Tree.SequenceOnce(ctx)
			if err != nil {
				return 0, err
			}
			if n == 0 {
				return s.cfg.Tree.Size(ctx)
			}
		}
	}
	var (
		xid, seq uint64
		head     string
	)
	err := s.cfg.Pool.QueryRow(ctx, `SELECT transaction_id, seq FROM events ORDER BY transaction_id DESC, seq DESC LIMIT 1`).Scan(&xid, &seq)
	if err == nil {
		head = eventstore.NewPosition(xid, seq).String()
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("approvals: reading the log's head: %w", err)
	}
	for {
		if _, err := s.cfg.Tree.SequenceOnce(ctx); err != nil {
			return 0, err
		}
		var tail string
		err := s.cfg.Pool.QueryRow(ctx, `SELECT position FROM merkle_leaves ORDER BY leaf_index DESC LIMIT 1`).Scan(&tail)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return 0, fmt.Errorf("approvals: reading the tree's tail: %w", err)
		}
		// Position text sorts in log order.
		if tail >= head {
			return s.cfg.Tree.Size(ctx)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkLevel refuses a department approval by an org that is not, on day,
// the designated Department of Home Affairs of a province (Tiền Giang art.
// 11.3, 12: the designation is an org event, never inferred from an org's
// kind or place in the tree). For the department level it returns the
// province (its people's committee) whose units' approvals it covers.
func (s *Service) checkLevel(ctx context.Context, orgID domain.OrgID, level approval.Level, day domain.Date) (domain.OrgID, error) {
	if !level.Valid() {
		return domain.OrgID{}, domain.Invalid("level", "enum", "unit or department")
	}
	if _, err := app.LoadOrg(ctx, s.ledger, orgID); err != nil {
		return domain.OrgID{}, err
	}
	if level != approval.LevelDepartment {
		return domain.OrgID{}, nil
	}
	province, ok, err := app.HomeAffairsProvince(ctx, s.ledger, orgID, day)
	if err != nil {
		return domain.OrgID{}, err
	}
	if !ok {
		return domain.OrgID{}, refuse(CodeLevelNotAllowed, domain.ErrInvalid,
			"only the province's designated Department of Home Affairs (Sở Nội vụ) approves at department level on "+day.Vietnamese(), nil)
	}
	return province, nil
}

// Manifest returns org's manifest of month at level, recording it as
// served when it differs from the one served last. A sealed month returns
// the signed manifest. Errors: domain.ErrNotFound for an unknown org;
// *Error with CodeMonthNotBegun, CodeLevelNotAllowed, CodeNoUnitApprovals.
func (s *Service) Manifest(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level, m domain.Meta) (Served, error) {
	return s.SupplementManifest(ctx, orgID, month, level, 0, m)
}

// SupplementManifest is Manifest for the nth supplementary department
// approval (n = 0: the approval itself; n ≥ 1 needs level department): it
// lists the province's unit approvals of the month that neither the
// department approval nor an earlier supplement covers (a unit that
// approved after the month was sealed at level 2, Tiền Giang art. 12).
// Further errors: *Error with CodeSupplementNotDue while the approval it
// follows is not sealed.
func (s *Service) SupplementManifest(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level, n int, m domain.Meta) (Served, error) {
	province, err := s.checkLevel(ctx, orgID, level, domain.DateOf(s.cfg.Now()))
	if err != nil {
		return Served{}, err
	}
	sup, err := s.supplementOf(ctx, orgID, month, level, n)
	if err != nil {
		return Served{}, err
	}
	// Two approvers opening the page at once race to record the manifest;
	// the loser rereads and, usually, finds the winner's.
	for attempt := 1; ; attempt++ {
		served, err := s.manifest(ctx, orgID, month, level, province, sup, m)
		var lost *ledger.ConcurrencyError
		if !errors.As(err, &lost) || attempt == 3 {
			return served, err
		}
	}
}

func (s *Service) manifest(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level, province domain.OrgID, sup supplement, m domain.Meta) (Served, error) {
	a, h, err := loadAt(ctx, s.ledger, orgID, month, level, sup.n)
	if err != nil {
		return Served{}, err
	}
	if sig, ok := a.Signature(); ok {
		served, _ := a.ServedDigest(sig.ManifestDigest)
		return s.servedOf(ctx, served, true)
	}
	size, err := s.sequence(ctx)
	if err != nil {
		return Served{}, err
	}
	man, err := s.b.build(ctx, orgID, month, level, province, sup, size)
	if err != nil {
		return Served{}, err
	}
	if last, ok := a.Latest(); ok && last.Level == level {
		// Edited or missing bytes are refused, not papered over by
		// serving a fresh manifest: someone must look (hoso verify).
		lb, err := s.manifests.Bytes(ctx, last)
		if err != nil {
			return Served{}, err
		}
		if prev, err := ParseManifest(lb); err == nil && sameEntries(prev, man) {
			return s.servedOf(ctx, last, false)
		}
	}
	b, digest, err := man.Canonical()
	if err != nil {
		return Served{}, err
	}
	// The bytes are stored before the event that names them is appended:
	// an acknowledged event never points at missing bytes. Should the
	// append fail, the row is an orphan nothing names (harmless; serving
	// the same manifest again reuses it).
	if _, err := s.manifests.Put(ctx, b); err != nil {
		return Served{}, err
	}
	if m.RecordedAt.IsZero() {
		m.RecordedAt = s.cfg.Now().UTC()
	}
	events, err := a.Serve(m, approval.Manifest{Level: level, Digest: digest, TreeSize: size, Items: man.Count, Bytes: b})
	if err != nil {
		return Served{}, fromState(err)
	}
	if _, err := s.ledger.Append(ctx, h.Stream, eventstore.Exactly(h.Version), m, events, nil); err != nil {
		return Served{}, err
	}
	return Served{Bytes: b, Digest: digest, Manifest: man}, nil
}

// BuildManifest builds org's unit or department manifest of month at the
// log's current cut without recording it as served: what Manifest
// prepares before it appends. Benchmarks measure it; it also shows how
// large a month's manifest is before it is served (an event holds at most
// eventstore.MaxEventSize bytes, so a manifest over about 1 MiB cannot be
// served: see docs/approvals.md).
func (s *Service) BuildManifest(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level) (Manifest, []byte, error) {
	province, err := s.checkLevel(ctx, orgID, level, domain.DateOf(s.cfg.Now()))
	if err != nil {
		return Manifest{}, nil, err
	}
	size, err := s.sequence(ctx)
	if err != nil {
		return Manifest{}, nil, err
	}
	man, err := s.b.build(ctx, orgID, month, level, province, supplement{}, size)
	if err != nil {
		return Manifest{}, nil, err
	}
	b, _, err := man.Canonical()
	return man, b, err
}

func (s *Service) servedOf(ctx context.Context, ms approval.ManifestServed, sealed bool) (Served, error) {
	b, err := s.manifests.Bytes(ctx, ms)
	if err != nil {
		return Served{}, err
	}
	man, err := ParseManifest(b)
	if err != nil {
		return Served{}, err
	}
	return Served{Bytes: b, Digest: ms.Digest, Manifest: man, Sealed: sealed}, nil
}

// Approved is a recorded approval.
type Approved struct {
	Signed     approval.Signed
	Result     eventstore.AppendResult
	Checkpoint *checkpoint.Signed // nil when checkpoints are not configured
}

// Submit verifies a detached CMS signature (DER or PEM) over the latest
// manifest served for org's month and records the approval. Each refusal
// is an *Error whose Code names it, and nothing is appended:
//
//   - CodeMonthSealed: the month is already approved;
//   - CodeManifestNotServed: no manifest was served;
//   - CodeCMSMalformed: not one-signer SignedData with its certificate;
//   - CodeSignatureMismatch: not a signature over the served manifest's
//     bytes (CodeManifestSuperseded when over an older served one);
//   - CodeSigningTime: a signing time after the server's clock or before
//     the manifest was served (beyond ClockSkew);
//   - CodeCertNotYetValid, CodeCertExpired, CodeCertUntrusted,
//     CodeCertKeyUsage: the certificate at the signing time;
//   - CodeCertNotRegistered, CodeCertRevoked: no account holds the
//     certificate, or it was revoked;
//   - CodeSignerNotApprover: its account may not approve this org;
//   - CodeManifestStale: rebuilt at the served manifest's cut, the entries
//     differ (an earlier month was approved since); writes after the cut
//     go into the next manifest and do not make it stale.
func (s *Service) Submit(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level, body []byte, m domain.Meta) (Approved, error) {
	return s.SubmitSupplement(ctx, orgID, month, level, 0, body, m)
}

// SubmitSupplement is Submit for the nth supplementary department approval
// (n = 0: the approval itself).
func (s *Service) SubmitSupplement(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level, n int, body []byte, m domain.Meta) (Approved, error) {
	return s.submit(ctx, orgID, month, level, n, body, m, approval.SignedViaUpload)
}

func (s *Service) submit(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level, n int, body []byte, m domain.Meta, via string) (Approved, error) {
	now := s.cfg.Now().UTC()
	if m.RecordedAt.IsZero() {
		m.RecordedAt = now
	}
	if !level.Valid() {
		return Approved{}, domain.Invalid("level", "enum", "unit or department")
	}
	sup, err := s.supplementOf(ctx, orgID, month, level, n)
	if err != nil {
		return Approved{}, err
	}
	a, h, err := loadAt(ctx, s.ledger, orgID, month, level, n)
	if err != nil {
		return Approved{}, err
	}
	if sig, ok := a.Signature(); ok {
		return Approved{}, refuse(CodeMonthSealed, domain.ErrConflict,
			"the month "+month.Vietnamese()+" was approved on "+domain.DateOf(sig.SigningTime).Vietnamese()+"; corrections go into a later month", nil)
	}
	latest, ok := a.Latest()
	if !ok {
		return Approved{}, refuse(CodeManifestNotServed, domain.ErrConflict, "fetch the manifest first: GET …/manifest", nil)
	}
	p7, der, err := parseCMS(body)
	if err != nil {
		return Approved{}, err
	}
	latestBytes, err := s.manifests.Bytes(ctx, latest)
	if err != nil {
		return Approved{}, err
	}
	sig, err := checkSignature(p7, latestBytes)
	if err != nil {
		for _, old := range a.Served() {
			if old.Digest == latest.Digest {
				continue
			}
			ob, berr := s.manifests.Bytes(ctx, old)
			if berr != nil {
				continue
			}
			if p, _, perr := parseCMS(body); perr == nil {
				if _, oerr := checkSignature(p, ob); oerr == nil {
					return Approved{}, refuse(CodeManifestSuperseded, domain.ErrConflict, "the signature is over an older manifest; sign "+latest.Digest, nil)
				}
			}
		}
		return Approved{}, err
	}
	servedAt := servedTime(h, latest.Digest)
	if !sig.hasTime {
		sig.signingTime = now
	}
	if sig.signingTime.After(now.Add(ClockSkew)) || sig.signingTime.Before(servedAt.Add(-ClockSkew)) {
		return Approved{}, refuse(CodeSigningTime, domain.ErrInvalid,
			"signed at "+viDateTime(sig.signingTime)+", the manifest was served at "+viDateTime(servedAt), nil)
	}
	if err := checkCertificate(sig, s.cfg.Roots); err != nil {
		return Approved{}, err
	}
	province, err := s.checkLevel(ctx, orgID, latest.Level, domain.DateOf(sig.signingTime))
	if err != nil {
		return Approved{}, err
	}
	fp := Fingerprint(sig.signer)
	signer, err := s.authority(ctx, orgID, latest.Level, fp, sig.signingTime, now)
	if err != nil {
		return Approved{}, err
	}
	if err := s.checkUnchanged(ctx, orgID, month, province, sup, latest, latestBytes); err != nil {
		return Approved{}, err
	}
	if latest.Level == approval.LevelDepartment {
		if err := s.notAlsoUnitSigner(ctx, latestBytes, signer, subjectOf(sig.signer), fp); err != nil {
			return Approved{}, err
		}
	}
	// The network checks come last: nothing is asked of the CA or the TSA
	// for a signature refused on its own.
	status, err := s.certificateStatus(ctx, sig, now)
	if err != nil {
		return Approved{}, err
	}
	stamp, err := s.timestamp(ctx, p7)
	if err != nil {
		return Approved{}, err
	}
	timing, window := s.timing(month, latest.Level, sig.signingTime)
	events, err := a.Sign(m, approval.Signature{
		ManifestDigest: latest.Digest, Level: latest.Level, CMS: der, SignerFingerprint: fp,
		SignerAccount: signer, SignerSubject: subjectOf(sig.signer), SigningTime: sig.signingTime,
		Timing: timing, WindowStart: window.Start, WindowEnd: window.End,
		Via: via, CertificateStatus: status, Timestamp: stamp,
	})
	if err != nil {
		return Approved{}, fromState(err)
	}
	res, err := s.ledger.Append(ctx, h.Stream, eventstore.Exactly(h.Version), m, events, nil)
	if errors.Is(err, domain.ErrConflict) {
		// Another approval won the race; say what the month is now.
		if a2, _, lerr := loadAt(ctx, s.ledger, orgID, month, level, n); lerr == nil && a2.Sealed() {
			return Approved{}, refuse(CodeMonthSealed, domain.ErrConflict, "the month was approved meanwhile", err)
		}
		return Approved{}, err
	}
	if err != nil {
		return Approved{}, err
	}
	out := Approved{Signed: events[0].(approval.Signed), Result: res}
	if s.cfg.Checkpoints != nil {
		// The approval is recorded whatever happens here. Sequencing waits
		// for the store's stable prefix, which a long transaction anywhere
		// in the cluster holds back: wait a bounded time, then sign what
		// the tree holds (the daily checkpoint covers the rest).
		sctx, cancel := context.WithTimeout(ctx, CheckpointWait)
		_, _ = s.sequence(sctx)
		cancel()
		if cp, err := s.cfg.Checkpoints.Take(ctx, checkpoint.ReasonApproval); err == nil {
			out.Checkpoint = &cp
		}
	}
	return out, nil
}

func servedTime(h ledger.History, digest string) time.Time {
	for i := len(h.Events) - 1; i >= 0; i-- {
		if ms, ok := h.Events[i].Event.(approval.ManifestServed); ok && ms.Digest == digest {
			return h.Events[i].Meta.RecordedAt
		}
	}
	return time.Time{}
}

// authority finds the account holding the certificate with fingerprint fp
// and checks it may approve orgID at level: certificate usable at the
// signing time and not revoked since, account active, and on the signing
// date an approver of the org itself for a unit approval (its head or
// delegate, Tiền Giang art. 6: a grant on the Department of Home Affairs
// or any other ancestor does not make one a unit's approver, or one person
// could sign both levels), over the org directly or through an ancestor
// for the department level.
func (s *Service) authority(ctx context.Context, orgID domain.OrgID, level approval.Level, fp string, signedAt, now time.Time) (domain.AccountID, error) {
	ids, err := s.certificateAccounts(ctx, fp)
	if err != nil {
		return domain.AccountID{}, err
	}
	if len(ids) == 0 {
		return domain.AccountID{}, refuse(CodeCertNotRegistered, domain.ErrForbidden, "certificate "+fp+" is registered on no account", nil)
	}
	var refusal error
	for _, id := range ids {
		acct, err := app.LoadAccount(ctx, s.ledger, id)
		if err != nil {
			return domain.AccountID{}, err
		}
		c, ok := acct.Certificate(fp)
		if !ok {
			continue
		}
		if !c.UsableAt(signedAt) || (!c.RevokedAt.IsZero() && !now.Before(c.RevokedAt)) {
			refusal = refuse(CodeCertRevoked, domain.ErrForbidden, "certificate "+fp+" was revoked on "+viDateTime(c.RevokedAt), nil)
			continue
		}
		day := domain.DateOf(signedAt)
		if !acct.ActiveOn(day) {
			refusal = refuse(CodeSignerNotApprover, domain.ErrForbidden, "the signer's account is not active", nil)
			continue
		}
		if level == approval.LevelUnit {
			if !approverOn(acct.Grants(day), orgID) {
				refusal = refuse(CodeSignerNotApprover, domain.ErrForbidden, "the signer holds no approver role on org "+orgID.String()+" itself (a grant on an ancestor does not sign a unit's approval)", nil)
				continue
			}
			return id, nil
		}
		pol := account.NewPolicy(acct.Grants(day), s.ancestry(ctx, day))
		if !pol.Can(account.ActionApproveMonth, orgID) {
			refusal = refuse(CodeSignerNotApprover, domain.ErrForbidden, "the signer holds no approver role over org "+orgID.String(), nil)
			continue
		}
		return id, nil
	}
	if refusal == nil {
		refusal = refuse(CodeCertNotRegistered, domain.ErrForbidden, "certificate "+fp+" is registered on no account", nil)
	}
	return domain.AccountID{}, refusal
}

// certificateAccounts are the accounts on which a certificate with
// fingerprint fp was ever registered.
func (s *Service) certificateAccounts(ctx context.Context, fp string) ([]domain.AccountID, error) {
	if s.cfg.StoreOnly {
		return s.certificateAccountsFromStore(ctx, fp)
	}
	rows, err := s.cfg.Pool.Query(ctx, `
		SELECT DISTINCT stream_id FROM events
		 WHERE type = $1 AND convert_from(data, 'UTF8')::jsonb->>'fingerprint_sha256' = $2`,
		account.TypeCertificateRegistered, fp)
	if err != nil {
		return nil, fmt.Errorf("approvals: finding the certificate's account: %w", err)
	}
	streams, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("approvals: finding the certificate's account: %w", err)
	}
	var out []domain.AccountID
	for _, st := range streams {
		if id, err := domain.ParseAccountID(strings.TrimPrefix(st, "account-")); err == nil {
			out = append(out, id)
		}
	}
	return out, nil
}

// certificateAccountsFromStore is certificateAccounts on any store: every
// account stream in the Merkle log, replayed (accounts are few: one per
// person who logs in, not per dossier).
func (s *Service) certificateAccountsFromStore(ctx context.Context, fp string) ([]domain.AccountID, error) {
	if _, err := s.sequence(ctx); err != nil {
		return nil, err
	}
	rows, err := s.cfg.Pool.Query(ctx, `SELECT DISTINCT stream_id FROM merkle_leaves WHERE stream_id LIKE 'account-%'`)
	if err != nil {
		return nil, fmt.Errorf("approvals: listing accounts: %w", err)
	}
	streams, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("approvals: listing accounts: %w", err)
	}
	var out []domain.AccountID
	for _, st := range streams {
		id, err := domain.ParseAccountID(strings.TrimPrefix(st, "account-"))
		if err != nil {
			continue
		}
		acct, err := app.LoadAccount(ctx, s.ledger, id)
		if err != nil {
			return nil, err
		}
		if _, ok := acct.Certificate(fp); ok {
			out = append(out, id)
		}
	}
	return out, nil
}

// approverOn reports whether one of grants lets its holder approve org's
// month on the org itself, not through an ancestor.
func approverOn(grants []account.Grant, org domain.OrgID) bool {
	for _, g := range grants {
		if g.Org == org && g.Role != account.RoleSelf && account.Permits(g.Role, account.ActionApproveMonth) {
			return true
		}
	}
	return false
}

// notAlsoUnitSigner refuses a department approval whose signer — the same
// account, certificate or certificate subject — signed one of the unit
// approvals the served manifest covers: the two levels are two people's
// checks (Tiền Giang art. 6, 12), and one person signing both would make
// the second a formality.
func (s *Service) notAlsoUnitSigner(ctx context.Context, served []byte, signer domain.AccountID, subject, fp string) error {
	man, err := ParseManifest(served)
	if err != nil {
		return refuse(CodeManifestTampered, domain.ErrConflict, "the served manifest does not parse", err)
	}
	for _, e := range man.Events {
		h, err := s.ledger.Load(ctx, e.Stream, approval.Decode)
		if err != nil {
			return err
		}
		for _, r := range h.Events {
			u, ok := r.Event.(approval.Signed)
			if !ok || r.ID.String() != e.EventID {
				continue
			}
			if u.SignerAccount == signer || u.SignerFingerprint == fp || (subject != "" && u.SignerSubject == subject) {
				return refuse(CodeSignedBothLevels, domain.ErrForbidden,
					"the signer approved "+u.Org.String()+" at unit level for "+u.Month.Vietnamese()+"; the department level is signed by another person", nil)
			}
		}
	}
	return nil
}

// ancestry walks the org streams' parent history on day: a decision on
// authority must not depend on a read model's lag.
func (s *Service) ancestry(ctx context.Context, day domain.Date) func(domain.OrgID) []domain.OrgID {
	return func(o domain.OrgID) []domain.OrgID {
		var chain []domain.OrgID
		for cur := o; !cur.IsZero() && len(chain) < 64 && !slices.Contains(chain, cur); {
			chain = append(chain, cur)
			og, err := app.LoadOrg(ctx, s.ledger, cur)
			if err != nil {
				break
			}
			cur, _ = og.ParentOn(day)
		}
		return chain
	}
}

// checkUnchanged rebuilds the manifest's entries at the served manifest's
// cut and refuses the signature when they differ from the served ones
// (servedBytes, already checked against the served digest).
func (s *Service) checkUnchanged(ctx context.Context, orgID domain.OrgID, month approval.Month, province domain.OrgID, sup supplement, served approval.ManifestServed, servedBytes []byte) error {
	prev, err := ParseManifest(servedBytes)
	if err != nil {
		return refuse(CodeManifestTampered, domain.ErrConflict, "the served manifest does not parse", err)
	}
	// The manifest is a snapshot: it covers the log up to the cut fixed
	// when it was served (its tree size). Writes after the cut belong to
	// the next manifest (carried over), so they never make this one stale;
	// only a different answer at the same cut does (an earlier month
	// approved meanwhile, so its carried-over events changed).
	now, err := s.b.build(ctx, orgID, month, served.Level, province, sup, served.TreeSize)
	if err != nil {
		return err
	}
	if !sameEntries(prev, now) {
		return refuse(CodeManifestStale, domain.ErrConflict,
			fmt.Sprintf("the month's data changed since the manifest was served (%d events then, %d now): fetch and sign it again", prev.Count, now.Count), nil)
	}
	return nil
}

func (s *Service) timing(month approval.Month, level approval.Level, signedAt time.Time) (approval.Timing, policy.Window) {
	action := policy.MonthlyApproval
	if level == approval.LevelDepartment {
		action = policy.DoHAApproval
	}
	t, w, err := s.cfg.Policy.ApprovalTiming(action, month.Year(), month.Month(), domain.DateOf(signedAt), s.cfg.Calendar)
	if err != nil {
		// No window in this jurisdiction's policy: nothing to be early or late for.
		return approval.InWindow, policy.Window{}
	}
	switch t {
	case policy.Early:
		return approval.Early, w
	case policy.Late:
		return approval.Late, w
	}
	return approval.InWindow, w
}

// Approval returns org's approval of month at level as recorded.
func (s *Service) Approval(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level) (*approval.Approval, error) {
	return s.SupplementApproval(ctx, orgID, month, level, 0)
}

// SupplementApproval is Approval for the nth supplementary department
// approval (n = 0: the approval itself).
func (s *Service) SupplementApproval(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level, n int) (*approval.Approval, error) {
	if n > 0 && level != approval.LevelDepartment {
		return nil, domain.Invalid("supplement", "level", "supplements are department approvals")
	}
	a, _, err := loadAt(ctx, s.ledger, orgID, month, level, n)
	return a, err
}

// supplement is what a supplementary department approval builds on: its
// number, the digest of the sealed approval it follows, and the unit
// approvals that approval and the ones before it cover.
type supplement struct {
	n       int
	follows string
	covered map[string]bool
}

// supplementOf checks that the nth supplement of org's month may be served
// or signed — level department, and the department approval and every
// earlier supplement sealed — and gathers what they cover.
func (s *Service) supplementOf(ctx context.Context, orgID domain.OrgID, month approval.Month, level approval.Level, n int) (supplement, error) {
	sup := supplement{n: n}
	if n == 0 {
		return sup, nil
	}
	if n < 0 || level != approval.LevelDepartment {
		return sup, domain.Invalid("supplement", "level", "supplements (numbered from 1) are department approvals")
	}
	sup.covered = map[string]bool{}
	for i := 0; i < n; i++ {
		a, _, err := loadAt(ctx, s.ledger, orgID, month, approval.LevelDepartment, i)
		if err != nil {
			return sup, err
		}
		sig, ok := a.Signature()
		if !ok {
			what := "the department approval"
			if i > 0 {
				what = fmt.Sprintf("supplement %d", i)
			}
			return sup, refuse(CodeSupplementNotDue, domain.ErrConflict,
				fmt.Sprintf("supplement %d follows %s of %s, which is not signed", n, what, month.Vietnamese()), nil)
		}
		set, err := covered(ctx, s.manifests, a)
		if err != nil {
			return sup, err
		}
		for id := range set {
			sup.covered[id] = true
		}
		sup.follows = sig.ManifestDigest
	}
	return sup, nil
}
