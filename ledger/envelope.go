package ledger

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/vntext"
	"github.com/hoso-ledger/hoso/eventstore"
)

// Decoder turns a stored payload back into a domain event. Each aggregate
// package provides one (dossier.Decode, org.Decode, account.Decode).
type Decoder func(eventType string, data []byte) (domain.Event, error)

// EnvelopeMetadata maps the domain's Meta onto the store's envelope. Free
// text (names, reasons, document numbers and issuers) is NFC-normalized here,
// once, so the hashed envelope never depends on how a keyboard composed it.
func EnvelopeMetadata(m domain.Meta) eventstore.Metadata {
	nfc := vntext.NFC
	md := eventstore.Metadata{
		Actor: eventstore.Actor{
			AccountID:  idText(m.Actor.Account.IsZero(), m.Actor.Account.String()),
			Name:       nfc(m.Actor.Name),
			ActingOrg:  idText(m.Actor.ActingOrg.IsZero(), m.Actor.ActingOrg.String()),
			OnBehalfOf: idText(m.Actor.OnBehalfOf.IsZero(), m.Actor.OnBehalfOf.String()),
		},
		RecordedAt:    m.RecordedAt,
		EffectiveDate: m.EffectiveDate.String(),
		Reason:        nfc(m.Reason),
		RequestID:     m.RequestID,
		CorrelationID: m.CorrelationID,
		CausationID:   m.CausationID,
		ImportedFrom:  nfc(m.ImportedFrom),
	}
	if !m.Source.IsZero() {
		md.SourceDocument = &eventstore.SourceDocument{
			Kind:   nfc(m.Source.Kind),
			Number: nfc(m.Source.Number),
			Date:   m.Source.Date.String(),
			Issuer: nfc(m.Source.Issuer),
			SHA256: m.Source.SHA256,
		}
	}
	return md
}

func idText(zero bool, s string) string {
	if zero {
		return ""
	}
	return s
}

// DomainMeta maps a stored envelope back to the domain's Meta. Stored history
// is fact: fields that do not parse are left zero rather than refused, so an
// old or hand-inspected event still replays.
func DomainMeta(md eventstore.Metadata) domain.Meta {
	m := domain.Meta{
		RecordedAt:    md.RecordedAt,
		Reason:        md.Reason,
		RequestID:     md.RequestID,
		CorrelationID: md.CorrelationID,
		CausationID:   md.CausationID,
		ImportedFrom:  md.ImportedFrom,
	}
	m.Actor.Name = md.Actor.Name
	if id, err := domain.ParseAccountID(md.Actor.AccountID); err == nil {
		m.Actor.Account = id
	}
	if id, err := domain.ParseOrgID(md.Actor.ActingOrg); err == nil {
		m.Actor.ActingOrg = id
	}
	if id, err := domain.ParseAccountID(md.Actor.OnBehalfOf); err == nil {
		m.Actor.OnBehalfOf = id
	}
	if d, err := domain.ParseDate(md.EffectiveDate); err == nil {
		m.EffectiveDate = d
	}
	if sd := md.SourceDocument; sd != nil {
		m.Source = domain.SourceDocument{Kind: sd.Kind, Number: sd.Number, Issuer: sd.Issuer, SHA256: sd.SHA256}
		if d, err := domain.ParseDate(sd.Date); err == nil {
			m.Source.Date = d
		}
	}
	return m
}

// Recorded decodes one stored event for an aggregate's Replay.
func Recorded(ev eventstore.Event, decode Decoder) (domain.Recorded, error) {
	de, err := decode(ev.Type, ev.Data)
	if err != nil {
		return domain.Recorded{}, fmt.Errorf("ledger: decoding %s@%d (%s): %w", ev.StreamID, ev.Version, ev.Type, err)
	}
	return domain.Recorded{ID: ev.ID, Version: ev.Version, Event: de, Meta: DomainMeta(ev.Meta)}, nil
}

// EventData encodes domain events for Append. ids, when given, must have one
// id per event: processes that must be idempotent across crashes derive them
// deterministically; otherwise fresh UUIDv7s are minted.
func EventData(events []domain.Event, m domain.Meta, ids []uuid.UUID) ([]eventstore.EventData, error) {
	if ids != nil && len(ids) != len(events) {
		return nil, fmt.Errorf("ledger: %d ids for %d events", len(ids), len(events))
	}
	md := EnvelopeMetadata(m)
	out := make([]eventstore.EventData, len(events))
	for i, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("ledger: encoding %s: %w", e.EventType(), err)
		}
		var id uuid.UUID
		if ids != nil {
			id = ids[i]
		} else if id, err = uuid.NewV7(); err != nil {
			return nil, err
		}
		out[i] = eventstore.EventData{ID: id, Type: e.EventType(), Data: data, Meta: md}
	}
	return out, nil
}

// DerivedID is a deterministic event id for a step of a process: the same
// cause and key always give the same id, so a process that crashed halfway
// and runs again re-sends ids the store recognizes as already written.
func DerivedID(cause uuid.UUID, key string) uuid.UUID {
	return uuid.NewSHA1(cause, []byte(key))
}
