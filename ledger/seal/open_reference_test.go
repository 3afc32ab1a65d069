package seal

import (
	"encoding/json"
	"fmt"
)

// openMembersByMap is the first implementation of openMembers (decode the
// whole payload into a map): the reference the fuzz holds the fast one to.
func openMembersByMap(k *DataKey, aad []byte, payload []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, fmt.Errorf("seal: payload: %w", err)
	}
	var s string
	if err := json.Unmarshal(m[SealedMember], &s); err != nil {
		return nil, fmt.Errorf("seal: %s is not a string: %w", SealedMember, err)
	}
	delete(m, SealedMember)
	pt, err := k.openText(aad, s)
	if err != nil {
		return nil, err
	}
	var originals map[string]json.RawMessage
	if err := json.Unmarshal(pt, &originals); err != nil {
		return nil, fmt.Errorf("seal: sealed members: %w", err)
	}
	for key, v := range originals {
		m[key] = v
	}
	return encodeObject(m), nil
}
