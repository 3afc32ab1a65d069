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
		b, err := json.Marshal(arr)
		return b, true, err
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
	b, err := json.Marshal(m)
	return b, true, err
}

// setPath puts v at path inside raw (objects by key, arrays by index).
func setPath(raw json.RawMessage, path []string, v json.RawMessage) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(trimmed, &arr); err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i >= len(arr) {
			return nil, fmt.Errorf("seal: sealed value at index %q of an array of %d", path[0], len(arr))
		}
		if len(path) == 1 {
			arr[i] = v
		} else if arr[i], err = setPath(arr[i], path[1:], v); err != nil {
			return nil, err
		}
		return json.Marshal(arr)
	}
	m := map[string]json.RawMessage{}
	if len(trimmed) > 0 && !isNull(trimmed) {
		if err := json.Unmarshal(trimmed, &m); err != nil {
			return nil, err
		}
	}
	if err := setMember(m, path, v); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

func setMember(m map[string]json.RawMessage, path []string, v json.RawMessage) error {
	if len(path) == 1 {
		m[path[0]] = v
		return nil
	}
	nv, err := setPath(m[path[0]], path[1:], v)
	if err != nil {
		return err
	}
	m[path[0]] = nv
	return nil
}

// sealMembers returns payload with the members paths name sealed under k
// into SealedMember, and whether anything was sealed (a payload with none
// of them is returned as it is).
func sealMembers(k *DataKey, aad []byte, payload []byte, t *trie) ([]byte, bool, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, false, fmt.Errorf("seal: payload: %w", err)
	}
	if _, ok := m[SealedMember]; ok {
		return nil, false, fmt.Errorf("seal: payload already has a %q member", SealedMember)
	}
	var out []member
	changed, err := extractObject(m, t, nil, &out)
	if err != nil || !changed {
		return payload, false, err
	}
	pt, err := json.Marshal(out)
	if err != nil {
		return nil, false, err
	}
	s, err := json.Marshal(k.sealText(aad, pt))
	if err != nil {
		return nil, false, err
	}
	m[SealedMember] = s
	b, err := json.Marshal(m)
	return b, true, err
}

// IsSealed reports whether payload has a SealedMember at its top level
// (cheaply: most payloads do not mention it at all).
func IsSealed(payload []byte) bool {
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

// openMembers is the inverse of sealMembers.
func openMembers(k *DataKey, aad []byte, payload []byte) ([]byte, error) {
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
	var members []member
	if err := json.Unmarshal(pt, &members); err != nil {
		return nil, fmt.Errorf("seal: sealed members: %w", err)
	}
	for _, mb := range members {
		if len(mb.P) == 0 {
			return nil, fmt.Errorf("seal: a sealed member without a path")
		}
		if err := setMember(m, mb.P, mb.V); err != nil {
			return nil, err
		}
	}
	return json.Marshal(m)
}
