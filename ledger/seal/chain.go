package seal

import (
	"context"
	"errors"
)

// Chain is a KeyWrapper that wraps with its first wrapper and unwraps with
// whichever holds the key a data key names: a move from HOSO_KEK to an HSM
// lists the HSM first and the old keys after it until `hoso keys rotate`
// has re-wrapped every data key.
type Chain []KeyWrapper

// KEKID implements KeyWrapper.
func (c Chain) KEKID() string { return c[0].KEKID() }

// Wrap implements KeyWrapper.
func (c Chain) Wrap(ctx context.Context, scope string, key []byte) (string, []byte, error) {
	return c[0].Wrap(ctx, scope, key)
}

// Unwrap implements KeyWrapper.
func (c Chain) Unwrap(ctx context.Context, scope, kekID string, wrapped []byte) ([]byte, error) {
	var err error
	for _, w := range c {
		var raw []byte
		if raw, err = w.Unwrap(ctx, scope, kekID, wrapped); !errors.Is(err, ErrUnknownKEK) {
			return raw, err
		}
	}
	return nil, err
}
