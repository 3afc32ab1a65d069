package export

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hoso-ledger/hoso/app"
	"github.com/hoso-ledger/hoso/app/cvform"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/checkpoint"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/ledger"
)

// Reader makes a dossier's documents. The HTTP API (after its access
// check, with the reader's redaction) and the CLI (an operator with the
// database) both go through it, so a CV and a package are the same
// whichever way they were asked for.
type Reader struct {
	Ledger      ledger.Ledger
	Store       eventstore.Store
	Tree        *treelog.Log     // nil: no inclusion proofs
	Checkpoints *checkpoint.Log  // nil: no checkpoint in packages
	Catalog     *catalog.Catalog // names of catalogued codes
	Seal        *Seal            // nil: packages cannot be signed
	VerifierKey string           // the public checkpoint key shipped in packages ("" to leave it out)
	Now         func() time.Time // time.Now when nil
}

func (r Reader) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// History loads a dossier's stream; domain.ErrNotFound when absent.
func (r Reader) History(ctx context.Context, id domain.DossierID) ([]domain.Recorded, error) {
	h, err := r.Ledger.Load(ctx, id.StreamID(), dossier.Decode)
	if err != nil {
		return nil, err
	}
	return h.Events, nil
}

// At is the dossier as known at asOf and/or in effect on effectiveOn (both
// zero: as it stands), the same folds as the JSON read's. It wraps
// domain.ErrNotFound when the dossier did not exist at that point.
func At(history []domain.Recorded, asOf time.Time, effectiveOn domain.Date) (*dossier.Dossier, error) {
	switch {
	case !asOf.IsZero() && !effectiveOn.IsZero():
		return dossier.ReplayAt(history, asOf, effectiveOn)
	case !asOf.IsZero():
		return dossier.ReplayKnownAt(history, asOf)
	case !effectiveOn.IsZero():
		return dossier.ReplayEffectiveOn(history, effectiveOn)
	}
	return dossier.Replay(history)
}

// Request is what one document shows: the dossier at a point in time, its
// document as the reader may see it, and that point.
type Request struct {
	Dossier  *dossier.Dossier
	Document dossier.Document // redacted by the caller when Redacted
	Redacted bool
	AsOf     time.Time
	// EffectiveOn is the effective-date axis of the CV (packages state an
	// instant only).
	EffectiveOn domain.Date
}

// Form is the CV form of q: the orgs' names as they are now, and item 38
// attested by the managing org, with the seal's holder when one is
// configured; sig notes a signed export.
func (r Reader) Form(ctx context.Context, q Request, sig *cvform.SignatureNote) (cvform.Form, error) {
	now := r.now()
	f := cvform.Form{Document: q.Document, Version: q.Dossier.Version(), Redacted: q.Redacted,
		AsOf: q.AsOf, EffectiveOn: q.EffectiveOn, PrintedAt: now}
	var err error
	if f.EmployingUnit, err = r.orgName(ctx, q.Dossier.EmployingUnit()); err != nil {
		return f, err
	}
	f.ManagingOrg = f.EmployingUnit
	if m, ok := q.Dossier.ManagingOrg(); ok {
		if f.ManagingOrg, err = r.orgName(ctx, m); err != nil {
			return f, err
		}
	}
	f.Attestation = cvform.Attestation{Org: f.ManagingOrg, Date: domain.DateOf(now), Signature: sig}
	if r.Seal != nil {
		h := r.Seal.Holder()
		f.Attestation.Place, f.Attestation.HeadTitle, f.Attestation.HeadName = h.Place, h.Title, h.Name
	}
	return f, nil
}

// orgName is the org's current name; its id when the ledger has no such org.
func (r Reader) orgName(ctx context.Context, id domain.OrgID) (string, error) {
	if id.IsZero() {
		return "", nil
	}
	o, err := app.LoadOrg(ctx, r.Ledger, id)
	if errors.Is(err, domain.ErrNotFound) {
		return id.String(), nil
	}
	if err != nil {
		return "", err
	}
	return o.Name(), nil
}

// CV renders the CV form of q (unsigned).
func (r Reader) CV(ctx context.Context, q Request) ([]byte, error) {
	f, err := r.Form(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	return cvform.Render(f, r.Catalog)
}

// Package builds the signed export of q as known at q.AsOf. view is the
// dossier's JSON as the reader may see it (the API's dossier view);
// exportedBy names who asked. ErrNoSeal without a seal.
func (r Reader) Package(ctx context.Context, q Request, view any, exportedBy string) ([]byte, error) {
	if r.Seal == nil {
		return nil, ErrNoSeal
	}
	now := r.now()
	sig := &cvform.SignatureNote{Signer: Describe(r.Seal.Cert), Fingerprint: r.Seal.Fingerprint(), SignedAt: now}
	f, err := r.Form(ctx, Request{Dossier: q.Dossier, Document: q.Document, Redacted: q.Redacted, AsOf: q.AsOf}, sig)
	if err != nil {
		return nil, err
	}
	cv, err := cvform.Render(f, r.Catalog)
	if err != nil {
		return nil, err
	}
	js, err := json.MarshalIndent(view, "", "  ")
	if err != nil {
		return nil, err
	}
	evs, note, err := GatherEvents(ctx, r.Store, r.Tree, r.Checkpoints, q.Dossier.ID().StreamID(), q.Dossier.Version(), !q.Redacted)
	if err != nil {
		return nil, err
	}
	atts := make([]Attachment, 0, len(q.Document.Attachments))
	for _, a := range q.Document.Attachments {
		d := a.Document
		atts = append(atts, Attachment{Title: a.Title, Kind: d.Kind, Number: d.Number, Date: d.Date.String(), Issuer: d.Issuer, SHA256: d.SHA256})
	}
	c := Contents{CV: cv, Dossier: append(js, '\n'), Attachments: atts, Events: evs, CheckpointNote: note}
	if note != "" {
		c.CheckpointKey = r.VerifierKey
	}
	return Build(Manifest{Dossier: q.Dossier.ID().String(), Version: q.Dossier.Version(), AsOf: q.AsOf, ExportedAt: now,
		ExportedBy: exportedBy, Redacted: q.Redacted}, c, r.Seal)
}
