package projections

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/eventstore"
)

type decodedEvent struct{ N int }

func (decodedEvent) EventType() string { return "test.decoded.v1" }

var decodeCalls = map[string]int{}

// The tests below run one at a time: they count calls in decodeCalls.
func countingDecode(t string, data []byte) (domain.Event, error) {
	decodeCalls["a"]++
	if string(data) == "bad" {
		return nil, errors.New("bad payload")
	}
	return decodedEvent{N: len(data)}, nil
}

func otherDecode(t string, data []byte) (domain.Event, error) {
	decodeCalls["b"]++
	return decodedEvent{N: -1}, nil
}

// TestDecodeSharesWithinARunner: with a runner's memo in the context, a
// payload is decoded once per decoder, its error too; without one, on
// every call; the memo keeps about the last max events asked for.
func TestDecodeSharesWithinARunner(t *testing.T) {
	clear(decodeCalls)
	ev := eventstore.Event{ID: uuid.New(), Type: "test.decoded.v1", Data: []byte("abc")}
	bad := eventstore.Event{ID: uuid.New(), Type: "test.decoded.v1", Data: []byte("bad")}
	r := &Runner{decoded: newDecodedMemo(4)}
	ctx := r.withDecoded(context.Background())
	for range 3 {
		if e, err := Decode(ctx, ev, countingDecode); err != nil || e != (decodedEvent{N: 3}) {
			t.Fatalf("Decode = %v, %v; want {3}, nil", e, err)
		}
		if _, err := Decode(ctx, bad, countingDecode); err == nil {
			t.Fatal("Decode of a bad payload: no error")
		}
		if e, err := Decode(ctx, ev, otherDecode); err != nil || e != (decodedEvent{N: -1}) {
			t.Fatalf("Decode with another decoder = %v, %v; want {-1}, nil", e, err)
		}
	}
	if decodeCalls["a"] != 2 || decodeCalls["b"] != 1 {
		t.Errorf("decoder calls with a memo = %v; want a:2 (two events), b:1", decodeCalls)
	}

	clear(decodeCalls)
	for range 3 {
		if _, err := Decode(context.Background(), ev, countingDecode); err != nil {
			t.Fatal(err)
		}
	}
	if decodeCalls["a"] != 3 {
		t.Errorf("decoder calls without a memo = %d; want 3", decodeCalls["a"])
	}

	for range 20 {
		r.decoded.entry(memoKey{id: uuid.New()})
	}
	if n := len(r.decoded.cur) + len(r.decoded.old); n > 2*r.decoded.max {
		t.Errorf("memo holds %d entries; want at most %d", n, 2*r.decoded.max)
	}
	if (Runner{}).decoded != nil || (&Runner{}).withDecoded(context.Background()).Value(decodedKey{}) != nil {
		t.Error("a runner without a shared read shares decodings")
	}
}
