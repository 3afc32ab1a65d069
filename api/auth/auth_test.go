package auth_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/auth"
)

func TestPasswordHashing(t *testing.T) {
	t.Parallel()
	h, err := auth.HashPassword("mật khẩu đủ dài 123")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not carry the argon2id parameters", h)
	}
	if err := auth.VerifyPassword(h, "mật khẩu đủ dài 123"); err != nil {
		t.Errorf("right password: %v", err)
	}
	for _, wrong := range []string{"mật khẩu đủ dài 124", "", strings.Repeat("x", 5000)} {
		if err := auth.VerifyPassword(h, wrong); !errors.Is(err, auth.ErrMismatch) {
			t.Errorf("VerifyPassword(%.10q) = %v, want ErrMismatch", wrong, err)
		}
	}
	if err := auth.VerifyPassword("", "anything at all"); !errors.Is(err, auth.ErrMismatch) {
		t.Errorf("no stored hash = %v, want ErrMismatch", err)
	}
	for _, weak := range []string{"short", strings.Repeat("a", 257)} {
		if _, err := auth.HashPassword(weak); !errors.Is(err, auth.ErrWeakPassword) {
			t.Errorf("HashPassword(len %d) = %v, want ErrWeakPassword", len(weak), err)
		}
	}
}

func TestLimitDelay(t *testing.T) {
	t.Parallel()
	l := auth.Limit{Free: 3, Base: time.Second, Max: 15 * time.Minute}
	for _, tc := range []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {2, 0}, {3, time.Second}, {4, 2 * time.Second}, {5, 4 * time.Second}, {12, 512 * time.Second},
		{13, 15 * time.Minute}, {100, 15 * time.Minute}, {1 << 30, 15 * time.Minute},
	} {
		if got := l.Delay(tc.failures); got != tc.want {
			t.Errorf("Delay(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
}

// counters is auth.Counters in memory, for the throttle's rules without a
// database (internal/pgadapter runs the same rules on PostgreSQL).
type counters struct {
	mu   sync.Mutex
	rows map[string]auth.Counter
}

func (m *counters) Update(_ context.Context, keys [3]auth.CounterKey, now time.Time, fn func(*[3]auth.Counter) bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var c [3]auth.Counter
	for i, k := range keys {
		row, ok := m.rows[string(k.Digest)]
		if !ok {
			row = auth.Counter{LastFailure: now}
		}
		c[i] = row
	}
	if fn(&c) {
		for i, k := range keys {
			old := m.rows[string(k.Digest)]
			c[i].LastFailure = maxTime(old.LastFailure, c[i].LastFailure)
			m.rows[string(k.Digest)] = c[i]
		}
	}
	return nil
}

func (m *counters) Forgive(_ context.Context, pair auth.CounterKey, others ...auth.CounterKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rows, string(pair.Digest))
	for _, k := range others {
		if row, ok := m.rows[string(k.Digest)]; ok && row.Failures > 0 {
			row.Failures--
			m.rows[string(k.Digest)] = row
		}
	}
	return nil
}

func (m *counters) Forget(context.Context, time.Time) error { return nil }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestThrottleRules: the pair's growing delay, to the millisecond, and a
// success that forgets it.
func TestThrottleRules(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	th := auth.NewLoginThrottle(&counters{rows: map[string]auth.Counter{}})
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	fail := func(name, addr string, at time.Time) time.Duration {
		t.Helper()
		wait, err := th.Attempt(ctx, name, addr, at)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}
	for i := range auth.PairLimit.Free {
		if w := fail("pair.user", "10.0.0.1", now); w != 0 {
			t.Fatalf("attempt %d refused for %v inside the free failures", i+1, w)
		}
	}
	at := now
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		if w := fail("pair.user", "10.0.0.1", at); w != want {
			t.Fatalf("refusal %d: wait %v, want %v", i+1, w, want)
		}
		if w := fail("pair.user", "10.0.0.1", at.Add(want-time.Millisecond)); w != time.Millisecond {
			t.Fatalf("a millisecond early: wait %v", w)
		}
		at = at.Add(want)
		if w := fail("pair.user", "10.0.0.1", at); w != 0 {
			t.Fatalf("after waiting %v: refused for %v", want, w)
		}
	}
	if err := th.Succeeded(ctx, "pair.user", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	for i := range auth.PairLimit.Free {
		if w := fail("pair.user", "10.0.0.1", at); w != 0 {
			t.Fatalf("after a success, attempt %d refused for %v", i+1, w)
		}
	}
	if w := fail("pair.user", "10.0.0.1", at.Add(auth.ForgetAfter)); w != 0 {
		t.Errorf("a day later: wait %v", w)
	}
}

// TestProductionPasswordCost: whatever cost tests choose for speed, the
// package functions and a Store given no Hasher hash at OWASP's minimum,
// and a hash is verified at its own cost, not the verifier's.
func TestProductionPasswordCost(t *testing.T) {
	t.Parallel()
	if got, want := auth.DefaultParams(), (auth.Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}); got != want {
		t.Errorf("DefaultParams() = %+v, want %+v", got, want)
	}
	const full = "$argon2id$v=19$m=19456,t=2,p=1$"
	h, err := auth.NewStore(nil, nil).HashPassword("mật khẩu đủ dài 123")
	if err != nil || !strings.HasPrefix(h, full) {
		t.Errorf("NewStore(…).HashPassword = %q, %v; want a hash with prefix %q", h, err, full)
	}
	cheap := auth.NewHasher(auth.Params{MemoryKiB: 64, Time: 1, Threads: 1})
	c, err := auth.NewStore(nil, nil).WithHasher(cheap).HashPassword("mật khẩu đủ dài 123")
	if err != nil || !strings.HasPrefix(c, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("WithHasher(cheap).HashPassword = %q, %v; want the cheap cost", c, err)
	}
	if err := auth.VerifyPassword(c, "mật khẩu đủ dài 123"); err != nil {
		t.Errorf("VerifyPassword(cheap hash) at the production cost = %v, want nil", err)
	}
	if err := cheap.Verify(h, "mật khẩu đủ dài 123"); err != nil {
		t.Errorf("cheap.Verify(full-cost hash) = %v, want nil", err)
	}
	if err := cheap.Verify("", "mật khẩu đủ dài 123"); !errors.Is(err, auth.ErrMismatch) {
		t.Errorf("cheap.Verify(no hash) = %v, want ErrMismatch", err)
	}
}

func TestNewHasherRefusesInvalidCost(t *testing.T) {
	t.Parallel()
	for _, p := range []auth.Params{{}, {MemoryKiB: 64, Time: 0, Threads: 1}, {MemoryKiB: 64, Time: 1}, {MemoryKiB: 15, Time: 1, Threads: 2}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewHasher(%+v) did not panic", p)
				}
			}()
			auth.NewHasher(p)
		}()
	}
}
