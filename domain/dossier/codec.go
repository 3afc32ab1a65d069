package dossier

import (
	"github.com/hoso-ledger/hoso/domain"
)

// codec declares every current dossier event once. No payload has been
// versioned yet: when, say, "dossier.created.v2" replaces v1, the v1 type
// leaves this list and the codec gains
// WithUpcaster("dossier.created.v1", upcastCreatedV1ToV2); stored v1 events
// then decode as v2 values (TestUpcaster shows the mechanism).
var codec = domain.NewCodec("dossier",
	domain.Def[Created](),
	domain.Def[SectionUpdated](),
	domain.Def[RowAdded](),
	domain.Def[RowAmended](),
	domain.Def[DocumentAttached](),
	domain.Def[Corrected](),
	domain.Def[TransferInitiated](),
	domain.Def[TransferReceived](),
	domain.Def[TransferRejected](),
	domain.Def[TransferCancelled](),
	domain.Def[StatusChanged](),
	domain.Def[ProposalSubmitted](),
	domain.Def[ProposalAccepted](),
	domain.Def[ProposalRejected](),
	domain.Def[CivilServantNumberIssued](),
	domain.Def[ManagingOrgChanged](),
	domain.Def[Reactivated](),
	domain.Def[TransferRequested](),
)

// EventTypes lists every stored name Decode accepts as current, sorted.
func EventTypes() []string { return codec.EventTypes() }

// Decode turns a stored payload back into its event value (Created,
// SectionUpdated, …, never a pointer). Unknown fields are ignored, because
// later versions of this code may have added fields to a stored shape; but
// the payload must be one JSON object of the right shape, and enumerations
// must hold known values. An unknown type or a malformed payload returns an
// error wrapping domain.ErrInvalid.
func Decode(eventType string, data []byte) (domain.Event, error) {
	return codec.Decode(eventType, data)
}
