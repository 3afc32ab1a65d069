package verify

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/eventstore"
)

// hasher recomputes event hashes without allocating: Event.ComputeHash
// builds a fresh buffer and formats the id and prev_hash as new strings for
// every event, which at millions of events is most of verify's CPU time
// after SHA-256 itself. One hasher per worker reuses one buffer.
//
// Its byte layout copies Event.CanonicalBytes, but correctness never rests
// on the copy: a fast hash equal to the stored hash proves (SHA-256 being
// collision resistant) that these bytes are the bytes the writer hashed,
// and any other outcome is settled by ComputeHash itself. A drift between
// the two layouts would only make verify slower, never wrong; the tests
// check that they agree.
type hasher struct{ buf []byte }

// matches reports whether e's stored Hash is the hash of its content.
func (h *hasher) matches(e *eventstore.Event) bool {
	if h.sum(e) == e.Hash {
		return true
	}
	return e.ComputeHash() == e.Hash
}

func (h *hasher) sum(e *eventstore.Event) eventstore.Hash {
	b := h.buf[:0]
	b = append(b, `{"data":`...)
	b = append(b, e.Data...)
	b = append(b, `,"event_id":"`...)
	b = appendUUID(b, e.ID)
	b = append(b, `","metadata":`...)
	b = append(b, e.RawMetadata...)
	b = append(b, `,"prev_hash":"`...)
	b = hex.AppendEncode(b, e.PrevHash[:])
	b = append(b, `","stream_id":"`...)
	b = append(b, e.StreamID...)
	b = append(b, `","stream_version":`...)
	b = appendUint(b, e.Version)
	b = append(b, `,"type":"`...)
	b = append(b, e.Type...)
	b = append(b, `"}`...)
	h.buf = b
	return sha256.Sum256(b)
}

// leafHash is the RFC 6962 leaf hash of an event hash, SHA-256(0x00 ‖ hash),
// as Event.LeafHash computes it, on the stack.
func leafHash(hash eventstore.Hash) eventstore.Hash {
	var in [1 + len(hash)]byte
	copy(in[1:], hash[:])
	return sha256.Sum256(in[:])
}

// appendUUID appends the canonical 8-4-4-4-12 form uuid.UUID.String gives.
func appendUUID(b []byte, id uuid.UUID) []byte {
	b = hex.AppendEncode(b, id[0:4])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[4:6])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[6:8])
	b = append(b, '-')
	b = hex.AppendEncode(b, id[8:10])
	b = append(b, '-')
	return hex.AppendEncode(b, id[10:16])
}

func appendUint(b []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, tmp[i:]...)
}
