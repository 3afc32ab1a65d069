package nationalsync

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/hoso-ledger/hoso/app/approvals"
	"github.com/hoso-ledger/hoso/app/auditbundle"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/approval"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
)

// DepartmentFormat names a Department's shape; DepartmentEnvelopeFormat
// the envelope it travels in (signed like a package's, under its own
// format so that neither signature passes for the other).
const (
	DepartmentFormat         = "hoso-sync-department/v1"
	DepartmentEnvelopeFormat = "hoso-sync-department-envelope/v1"
)

// Department is a department approval (level 2, or supplement n)
// delivered once for all the unit packages it lists: its audit bundle
// with every listed event left out (each unit's approval is proved in its
// own package, against this manifest's tree). The envelope's id is the
// approval.signed event's id; the receiver keys it on the signed
// manifest's digest, which the packages name.
type Department struct {
	Format     string             `json:"format"`
	Approval   uuid.UUID          `json:"department_approval_event_id"`
	Org        domain.OrgID       `json:"department_org_id"`
	Month      string             `json:"month"`
	Supplement int                `json:"supplement,omitempty"`
	Bundle     auditbundle.Bundle `json:"approval"`
}

// SealDepartment signs d with the province's sync key and returns the
// envelope's bytes and the digest of d's bytes.
func SealDepartment(d Department, key note.Signer) ([]byte, string, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return nil, "", fmt.Errorf("nationalsync: encoding the department approval: %w", err)
	}
	return sealEnvelope(DepartmentEnvelopeFormat, d.Approval, body, key)
}

// HeldDepartment is what a receiver keeps of a verified Department to
// check the packages that name it: whose approval it is, and the signed
// manifest's tree and list of unit approvals.
type HeldDepartment struct {
	Approval       uuid.UUID
	Org            domain.OrgID
	Month          string
	Supplement     int
	ManifestDigest string
	treeSize       uint64
	root           eventstore.Hash
	listed         map[string]approvals.Entry // by event id: the unit approvals the manifest lists
}

// VerifyDepartment checks a Department's envelope completely, as Verify
// checks a package: the sync key's note over these exact bytes, the
// approval stream's hashes and chain, the level-2 CMS signature over the
// manifest's bytes chaining to the roots, and the checkpoint's signature,
// consistency and inclusion of the approval event. It returns what a
// receiver keeps (nil when anything is wrong) and every problem found.
func VerifyDepartment(b []byte, keys Keys) (*HeldDepartment, []string) {
	env, err := OpenEnvelope(b)
	if err != nil {
		return nil, []string{err.Error()}
	}
	return verifyDepartment(env, keys)
}

func verifyDepartment(env Envelope, keys Keys) (*HeldDepartment, []string) {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	var d Department
	if !openSigned(env, DepartmentEnvelopeFormat, "department approval", keys, &d, bad) {
		return nil, problems
	}
	if d.Format != DepartmentFormat {
		bad("department approval: format %q, want %s", d.Format, DepartmentFormat)
	}
	signed, ev, ok := claims(d.Bundle, approval.LevelDepartment, d.Org, d.Month, d.Supplement, "level 2", bad)
	if ok && (ev.EventID != d.Approval || d.Approval != env.PackageID) {
		bad("level 2: the approval event is %s, the department approval says %s and its envelope %s", ev.EventID, d.Approval, env.PackageID)
	}
	// Every listed event is left out: the units' approvals are proved in
	// their own packages against this manifest's tree.
	for _, pr := range auditbundle.Verify(d.Bundle, auditbundle.Options{Key: keys.Checkpoint, Roots: keys.Roots, AllowOmitted: true}).Problems {
		bad("level 2: %s", pr)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	man, _, err := signedManifest(d.Bundle)
	if err != nil {
		return nil, []string{fmt.Sprintf("level 2: the signed manifest: %v", err)}
	}
	root, err := eventstore.ParseHash(man.Log.Root)
	if err != nil {
		return nil, []string{fmt.Sprintf("level 2: the manifest's log root: %v", err)}
	}
	h := &HeldDepartment{Approval: d.Approval, Org: d.Org, Month: d.Month, Supplement: d.Supplement, ManifestDigest: signed.ManifestDigest,
		treeSize: man.Log.TreeSize, root: root, listed: make(map[string]approvals.Entry, len(man.Events))}
	for _, e := range man.Events {
		if strings.HasPrefix(e.Stream, "approval-") {
			h.listed[e.EventID] = e
		}
	}
	return h, nil
}

// check makes the checks of a v2 package that need its department
// approval: that it is the one the package claims (org, month,
// supplement), that the package's id is the id of both approvals, and that
// the department's signed manifest lists the unit approval event (by id
// and hash) at a leaf where the package's proof puts it in the manifest's
// tree.
func (h *HeldDepartment) check(p Package, unitSigned approval.Signed, unitEv auditbundle.Event, ref DepartmentRef, bad func(string, ...any)) {
	if h.Org != p.Department || h.Month != p.Month || h.Supplement != p.Supplement {
		bad("level 2: the department approval %s is %s's %s (supplement %d), the package claims %s's %s (supplement %d)",
			h.ManifestDigest, h.Org, h.Month, h.Supplement, p.Department, p.Month, p.Supplement)
		return
	}
	if want := nationalsync.PackageID(p.Org, p.Month, p.Supplement, unitSigned.ManifestDigest, h.ManifestDigest); want != p.ID {
		bad("package: id %s is not the id of what it covers (%s)", p.ID, want)
	}
	entry, ok := h.listed[unitEv.EventID.String()]
	if !ok || entry.Hash != unitEv.Hash.String() {
		bad("level 2: the department approval does not list the unit approval %s@%d", unitEv.Stream, unitEv.Version)
		return
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(unitEv.Hash[:])
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, entry.LeafIndex, h.treeSize, leaf, bytesOf(ref.UnitInclusion), h.root[:]); err != nil {
		bad("level 2: the unit approval %s@%d is not at leaf %d of the department manifest's log: %v", unitEv.Stream, unitEv.Version, entry.LeafIndex, err)
	}
}

func bytesOf(hs []eventstore.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
