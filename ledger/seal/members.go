package seal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// SealedMember is the payload member that holds the sealed values. "$"
// sorts before every letter and digit, so in canonical JSON (RFC 8785) it
// comes first.
const SealedMember = "$sealed"

// Wildcard in a path matches every element of an array.
const Wildcard = "*"

// member is one sealed value and where it was in the payload (array
// elements by their decimal index).
type member struct {
	P []string        `json:"p"`
	V json.RawMessage `json:"v"`
}

// trie is a set of paths sharing prefixes, walked once per payload.
type trie struct {
	leaf bool
	kids map[string]*trie
	keys []string // sorted, so the sealed plaintext is deterministic
}

func newTrie(paths [][]string) *trie {
	root := &trie{}
	for _, p := range paths {
		t := root
		for _, k := range p {
			if t.kids == nil {
				t.kids = map[string]*trie{}
			}
			next, ok := t.kids[k]
			if !ok {
				next = &trie{}
				t.kids[k] = next
				t.keys = append(t.keys, k)
				slices.Sort(t.keys)
			}
			t = next
		}
		t.leaf = true
	}
	return root
}

func isNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 0 || string(v) == "null"
}

// extractObject moves the values t names out of m into out.
func extractObject(m map[string]json.RawMessage, t *trie, prefix []string, out *[]member) (bool, error) {
	changed := false
	for _, k := range t.keys {
		kt := t.kids[k]
		v, ok := m[k]
		if !ok || isNull(v) {
			continue
		}
		p := append(slices.Clip(prefix), k)
		if kt.leaf {
			*out = append(*out, member{P: p, V: v})
			delete(m, k)
			changed = true
			continue
		}
		nv, ch, err := extract(v, kt, p, out)
		if err != nil {
			return false, err
		}
		if ch {
			m[k] = nv
			changed = true
		}
	}
	return changed, nil
}

// extract moves the values t names out of raw (an object, or an array when
// t's one child is the wildcard); anything else is left as it is.
func extract(raw json.RawMessage, t *trie, prefix []string, out *[]member) (json.RawMessage, bool, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return raw, false, nil
	}
	if star, ok := t.kids[Wildcard]; ok && trimmed[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(trimmed, &arr); err != nil {
			return nil, false, err
		}
		changed := false
		for i, el := range arr {
			nel, ch, err := extract(el, star, append(slices.Clip(prefix), strconv.Itoa(i)), out)
			if err != nil {
				return nil, false, err
			}
			if ch {
				arr[i], changed = nel, true
			}
		}
		if !changed {
			return raw, false, nil
		}
		return encodeArray(arr), true, nil
	}
	if trimmed[0] != '{' {
		return raw, false, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &m); err != nil {
		return nil, false, err
	}
	changed, err := extractObject(m, t, prefix, out)
	if err != nil || !changed {
		return raw, false, err
	}
	return encodeObject(m), true, nil
}

// sealMembers returns payload with the members paths name removed and,
// in SealedMember, sealed under k: the original value of every top-level
// member it changed. Opening then puts those back whole (one scan of the
// payload, no nested decoding), while the stored payload keeps the
// non-sensitive rest of each member readable. A payload with none of the
// members is returned as it is.
func sealMembers(k *DataKey, aad []byte, payload []byte, t *trie) ([]byte, bool, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, false, fmt.Errorf("seal: payload: %w", err)
	}
	if _, ok := m[SealedMember]; ok {
		return nil, false, fmt.Errorf("seal: payload already has a %q member", SealedMember)
	}
	originals := make(map[string]json.RawMessage, len(t.keys))
	for _, key := range t.keys {
		if v, ok := m[key]; ok {
			originals[key] = v
		}
	}
	var out []member
	changed, err := extractObject(m, t, nil, &out)
	if err != nil || !changed {
		return payload, false, err
	}
	sealed := map[string]json.RawMessage{}
	for _, mb := range out {
		sealed[mb.P[0]] = originals[mb.P[0]]
	}
	s, err := json.Marshal(k.sealText(aad, encodeObject(sealed)))
	if err != nil {
		return nil, false, err
	}
	m[SealedMember] = s
	return encodeObject(m), true, nil
}

// IsSealed reports whether payload has a SealedMember at its top level.
// The stores hand back canonical JSON (RFC 8785), where it comes first;
// anything else is parsed only when it mentions the member at all.
func IsSealed(payload []byte) bool {
	if bytes.HasPrefix(payload, []byte(`{"`+SealedMember+`":`)) {
		return true
	}
	if !bytes.Contains(payload, []byte(`"`+SealedMember+`"`)) {
		return false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return false
	}
	_, ok := m[SealedMember]
	return ok
}

// encodeObject writes m as a JSON object, keys sorted. Its values are
// valid JSON already (they come from json.Unmarshal, or from a sealed
// blob that authenticated), so unlike json.Marshal it does not validate
// and compact each of them again: that was most of an open's cost.
func encodeObject(m map[string]json.RawMessage) []byte {
	keys := make([]string, 0, len(m))
	n := 2
	for k, v := range m {
		keys = append(keys, k)
		n += len(k) + len(v) + 4
	}
	slices.Sort(keys)
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = append(b, m[k]...)
	}
	return append(b, '}')
}

func encodeArray(arr []json.RawMessage) []byte {
	n := 2
	for _, v := range arr {
		n += len(v) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, v := range arr {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, v...)
	}
	return append(b, ']')
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always encodes
	return append(b, q...)
}
