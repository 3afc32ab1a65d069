package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
)

// rawMember is one top-level member of a JSON object, as raw bytes: the key
// between its quotes (escapes left as they are) and the value.
type rawMember struct {
	key, value []byte
}

// errShape is a payload that is not one JSON object.
var errShape = fmt.Errorf("seal: payload: not a JSON object")

// splitObject cuts a JSON object into its top-level members without
// decoding them. It checks the structure only (strings, nesting, commas),
// not the values: the payloads it reads were validated and canonicalised by
// the store at append, and whoever decodes the opened payload validates it
// again. Decoding the whole payload into a map, base64 blob included, was
// nine tenths of the cost of opening an event (BenchmarkOpen).
func splitObject(b []byte, into []rawMember) ([]rawMember, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errShape
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		if skipSpace(b, i+1) != len(b) {
			return nil, errShape
		}
		return into, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, errShape
		}
		end, ok := stringEnd(b, i)
		if !ok {
			return nil, errShape
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, errShape
		}
		i = skipSpace(b, i+1)
		vend, ok := valueEnd(b, i)
		if !ok || vend == i {
			return nil, errShape
		}
		into = append(into, rawMember{key: key, value: b[i:vend]})
		i = skipSpace(b, vend)
		if i >= len(b) {
			return nil, errShape
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			if skipSpace(b, i+1) != len(b) {
				return nil, errShape
			}
			return into, nil
		default:
			return nil, errShape
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string that starts at b[i] ('"').
func stringEnd(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, true
		}
	}
	return 0, false
}

// valueEnd returns the index after the value that starts at b[i]: a
// string, an object or array (brackets matched, strings skipped), or a
// literal (up to the next delimiter).
func valueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, ok := stringEnd(b, j)
				if !ok {
					return 0, false
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, true
				}
			}
		}
		return 0, false
	default:
		j := i
		for j < len(b) && !bytes.ContainsRune([]byte(",}] \t\n\r"), rune(b[j])) {
			j++
		}
		return j, true
	}
}

// sealedKey is SealedMember as it sits between quotes.
var sealedKey = []byte(SealedMember)

// openMembers is the inverse of sealMembers: the payload's members, the
// sealed one replaced by the members it holds, keys sorted as
// encodeObject sorts them (a sealed member's original wins over a member of
// the same name left beside it).
func openMembers(k *DataKey, aad []byte, payload []byte) ([]byte, error) {
	var buf [16]rawMember
	outer, err := splitObject(payload, buf[:0])
	if err != nil {
		return nil, err
	}
	at := slices.IndexFunc(outer, func(m rawMember) bool { return bytes.Equal(m.key, sealedKey) })
	if at < 0 {
		return nil, fmt.Errorf("seal: payload: no %s rawMember", SealedMember)
	}
	pt, err := openSealedValue(k, aad, outer[at].value)
	if err != nil {
		return nil, err
	}
	outer = slices.Delete(outer, at, at+1)
	var buf2 [8]rawMember
	inner, err := splitObject(pt, buf2[:0])
	if err != nil {
		return nil, fmt.Errorf("seal: sealed members: %w", err)
	}
	return mergeObjects(inner, outer, len(payload)+len(pt)), nil
}

// openSealedValue opens the sealed member's value (a JSON string, quotes
// included). Its base64 needs no escape, so the common case decodes the
// bytes where they are into one buffer and decrypts in place: the string
// copies of the general path were a third of an open.
func openSealedValue(k *DataKey, aad, v []byte) ([]byte, error) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || bytes.IndexByte(v[1:len(v)-1], '\\') >= 0 {
		text, err := sealedText(v)
		if err != nil {
			return nil, err
		}
		return k.openText(aad, text)
	}
	rest, ok := bytes.CutPrefix(v[1:len(v)-1], []byte(sealPrefix))
	if !ok {
		return nil, fmt.Errorf("%w: unknown sealed format", ErrKey)
	}
	buf := make([]byte, base64.RawStdEncoding.DecodedLen(len(rest)))
	n, err := base64.RawStdEncoding.Decode(buf, rest)
	if err != nil {
		return nil, fmt.Errorf("%w: sealed data is not base64", ErrKey)
	}
	return k.openInPlace(aad, buf[:n])
}

// sealedText is the sealed member's string. Its base64 needs no escape;
// a value that has one (or is not a string) takes the full decoder.
func sealedText(v []byte) (string, error) {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' && bytes.IndexByte(v[1:len(v)-1], '\\') < 0 && bytes.IndexByte(v[1:len(v)-1], '"') < 0 {
		return string(v[1 : len(v)-1]), nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("seal: %s is not a string: %w", SealedMember, err)
	}
	return s, nil
}

// mergeObjects writes the members of first and second as one object, keys
// sorted, first's member kept where both have a key.
func mergeObjects(first, second []rawMember, size int) []byte {
	byKey := func(a, b rawMember) int { return bytes.Compare(a.key, b.key) }
	if !slices.IsSortedFunc(first, byKey) {
		slices.SortStableFunc(first, byKey)
	}
	if !slices.IsSortedFunc(second, byKey) {
		slices.SortStableFunc(second, byKey)
	}
	out := make([]byte, 0, size)
	out = append(out, '{')
	put := func(m rawMember) {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, m.key...)
		out = append(out, '"', ':')
		out = append(out, m.value...)
	}
	i, j := 0, 0
	for i < len(first) || j < len(second) {
		switch {
		case j == len(second) || i < len(first) && bytes.Compare(first[i].key, second[j].key) < 0:
			put(first[i])
			i++
		case i == len(first) || bytes.Compare(first[i].key, second[j].key) > 0:
			put(second[j])
			j++
		default: // the same key: the sealed original wins
			put(first[i])
			i, j = i+1, j+1
		}
	}
	return append(out, '}')
}
