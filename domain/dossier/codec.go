package dossier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hoso-ledger/hoso/domain"
)

// Upcaster turns the payload of an old stored event into the payload of a
// newer type. Old events are never rewritten in the store: they are upcast
// every time they are read.
type Upcaster func(data []byte) (newType string, newData []byte, err error)

// codec maps stored names to payload types, plus the upcasters from retired
// names to current ones. It is a value so tests can build one with an extra
// upcaster without touching the package's own.
type codec struct {
	types     map[string]func() domain.Event
	upcasters map[string]Upcaster
}

// maxUpcasts bounds an upcast chain, so a mistaken cycle fails instead of
// looping.
const maxUpcasts = 16

func newCodec() codec {
	return codec{
		types: map[string]func() domain.Event{
			TypeCreated:                  func() domain.Event { return new(Created) },
			TypeSectionUpdated:           func() domain.Event { return new(SectionUpdated) },
			TypeRowAdded:                 func() domain.Event { return new(RowAdded) },
			TypeRowAmended:               func() domain.Event { return new(RowAmended) },
			TypeDocumentAttached:         func() domain.Event { return new(DocumentAttached) },
			TypeCorrected:                func() domain.Event { return new(Corrected) },
			TypeTransferInitiated:        func() domain.Event { return new(TransferInitiated) },
			TypeTransferReceived:         func() domain.Event { return new(TransferReceived) },
			TypeTransferRejected:         func() domain.Event { return new(TransferRejected) },
			TypeTransferCancelled:        func() domain.Event { return new(TransferCancelled) },
			TypeStatusChanged:            func() domain.Event { return new(StatusChanged) },
			TypeProposalSubmitted:        func() domain.Event { return new(ProposalSubmitted) },
			TypeProposalAccepted:         func() domain.Event { return new(ProposalAccepted) },
			TypeProposalRejected:         func() domain.Event { return new(ProposalRejected) },
			TypeCivilServantNumberIssued: func() domain.Event { return new(CivilServantNumberIssued) },
			TypeManagingOrgChanged:       func() domain.Event { return new(ManagingOrgChanged) },
		},
		// No payload has been versioned yet. When, say, "dossier.created.v2"
		// replaces v1, the v1 factory is removed from types and an entry
		// TypeCreatedV1: upcastCreatedV1ToV2 is added here; stored v1 events
		// then decode as v2 values. codec_test.go exercises the mechanism.
		upcasters: map[string]Upcaster{},
	}
}

var defaultCodec = newCodec()

// EventTypes lists every stored name Decode accepts as current, sorted.
func EventTypes() []string {
	names := make([]string, 0, len(defaultCodec.types))
	for n := range defaultCodec.types {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Decode turns a stored payload back into its event value (Created,
// SectionUpdated, …, never a pointer). Unknown fields are ignored, because
// later versions of this code may have added fields to a stored shape; but
// the payload must be one JSON object of the right shape, and enumerations
// must hold known values. An unknown type or a malformed payload returns an
// error wrapping domain.ErrInvalid.
func Decode(eventType string, data []byte) (domain.Event, error) {
	return defaultCodec.decode(eventType, data)
}

func (c codec) decode(eventType string, data []byte) (domain.Event, error) {
	for range maxUpcasts {
		up, ok := c.upcasters[eventType]
		if !ok {
			break
		}
		t, d, err := up(data)
		if err != nil {
			return nil, fmt.Errorf("dossier: upcasting %s: %w: %w", eventType, domain.ErrInvalid, err)
		}
		eventType, data = t, d
	}
	mk, ok := c.types[eventType]
	if !ok {
		return nil, fmt.Errorf("dossier: unknown event type %q: %w", eventType, domain.ErrInvalid)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("dossier: %s payload is not a JSON object: %w", eventType, domain.ErrInvalid)
	}
	ev := mk()
	if err := json.Unmarshal(trimmed, ev); err != nil {
		return nil, fmt.Errorf("dossier: decoding %s: %w: %w", eventType, domain.ErrInvalid, err)
	}
	return deref(ev), nil
}

// deref returns the value behind the pointer the factory made, so decoded
// events compare equal to the values commands raise.
func deref(e domain.Event) domain.Event {
	switch v := e.(type) {
	case *Created:
		return *v
	case *SectionUpdated:
		return *v
	case *RowAdded:
		return *v
	case *RowAmended:
		return *v
	case *DocumentAttached:
		return *v
	case *Corrected:
		return *v
	case *TransferInitiated:
		return *v
	case *TransferReceived:
		return *v
	case *TransferRejected:
		return *v
	case *TransferCancelled:
		return *v
	case *StatusChanged:
		return *v
	case *ProposalSubmitted:
		return *v
	case *ProposalAccepted:
		return *v
	case *ProposalRejected:
		return *v
	case *CivilServantNumberIssued:
		return *v
	case *ManagingOrgChanged:
		return *v
	}
	return e
}
