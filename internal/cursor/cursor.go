package cursor

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// version is the format written; Decode accepts only it.
const version = 1

// ErrInvalid is wrapped by every Decode error: the string is not a cursor
// Encode made for the list (another list's, another version's, malformed).
var ErrInvalid = errors.New("cursor: not a cursor of this list")

type envelope struct {
	V int             `json:"v"`
	K string          `json:"k"`
	P json.RawMessage `json:"p"`
}

// Encode returns the cursor of list carrying key, which must marshal to
// JSON (it panics otherwise: keys are the lists' own structs).
func Encode(list string, key any) string {
	p, err := json.Marshal(key)
	if err != nil {
		panic(fmt.Sprintf("cursor: encoding a key of %s: %v", list, err))
	}
	b, err := json.Marshal(envelope{V: version, K: list, P: p})
	if err != nil {
		panic(fmt.Sprintf("cursor: encoding a cursor of %s: %v", list, err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads s, a cursor Encode made for list, into key (a pointer). It
// returns an error wrapping ErrInvalid for anything else: not base64url,
// not the format, another version, another list, or a key with fields that
// key does not have. Checking the key's values is the caller's.
func Decode(s, list string, key any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%w: not base64url", ErrInvalid)
	}
	var e envelope
	if err := strict(b, &e); err != nil {
		return fmt.Errorf("%w: not a cursor", ErrInvalid)
	}
	if e.V != version {
		return fmt.Errorf("%w: version %d", ErrInvalid, e.V)
	}
	if e.K != list {
		return fmt.Errorf("%w: a cursor of %q", ErrInvalid, e.K)
	}
	if err := strict(e.P, key); err != nil {
		return fmt.Errorf("%w: malformed key", ErrInvalid)
	}
	return nil
}

// strict decodes exactly one JSON value with no unknown fields.
func strict(b []byte, v any) error {
	if len(b) == 0 {
		return errors.New("empty")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data")
	}
	return nil
}
