package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api/auth"
	"github.com/hoso-ledger/hoso/internal/pgtest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

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

// TestSessions runs with and without the token cache: revocations through
// the store and expiry on its clock must take effect at once either way.
func TestSessions(t *testing.T) {
	t.Parallel()
	for _, trust := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprintf("trust=%v", trust), func(t *testing.T) {
			t.Parallel()
			testSessions(t, trust)
		})
	}
}

// A revocation made by another process reaches a caching store once its
// trust has lapsed.
func TestRevocationElsewhere(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	const trust = 200 * time.Millisecond
	here, elsewhere := auth.NewStore(pool, nil).TrustFor(trust), auth.NewStore(pool, nil)
	account := uuid.Must(uuid.NewV7())
	token, _, err := here.StartSession(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := here.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()
	if err := elsewhere.Revoke(ctx, token, "logout elsewhere"); err != nil {
		t.Fatal(err)
	}
	for {
		_, err := here.Authenticate(ctx, token)
		if errors.Is(err, auth.ErrUnauthenticated) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(revoked) > trust+time.Second {
			t.Fatalf("still authenticated %v after another process revoked the token (trust %v)", time.Since(revoked), trust)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testSessions(t *testing.T, trust time.Duration) {
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)}
	s := auth.NewStore(pool, clk.now).TrustFor(trust)
	account := uuid.Must(uuid.NewV7())

	hash, err := auth.HashPassword("một mật khẩu rất dài")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, account, "hr.phutho", hash); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, uuid.Must(uuid.NewV7()), "hr.phutho", hash); !errors.Is(err, auth.ErrUsernameTaken) {
		t.Fatalf("second account with the same username: %v, want ErrUsernameTaken", err)
	}
	// Unknown user and wrong password are the same error.
	if _, err := s.Login(ctx, "nobody.here", "một mật khẩu rất dài"); !errors.Is(err, auth.ErrMismatch) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := s.Login(ctx, "hr.phutho", "sai mật khẩu rồi nhé"); !errors.Is(err, auth.ErrMismatch) {
		t.Errorf("wrong password: %v", err)
	}
	got, err := s.Login(ctx, "hr.phutho", "một mật khẩu rất dài")
	if err != nil || got != account {
		t.Fatalf("Login = %v, %v; want %v", got, err, account)
	}

	token, _, err := s.StartSession(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	var count int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM auth_tokens WHERE position($1 in encode(token_sha256, 'escape')) > 0`, token).Scan(&count); err != nil || count != 0 {
		t.Fatalf("the plain token must never be stored (found %d, %v)", count, err)
	}
	if sess, err := s.Authenticate(ctx, token); err != nil || sess.AccountID != account {
		t.Fatalf("Authenticate = %+v, %v", sess, err)
	}

	// Idle expiry: used every 20 minutes it lives on; 31 idle minutes end it.
	for range 3 {
		clk.advance(20 * time.Minute)
		if _, err := s.Authenticate(ctx, token); err != nil {
			t.Fatalf("active session expired early: %v", err)
		}
	}
	clk.advance(31 * time.Minute)
	if _, err := s.Authenticate(ctx, token); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("idle session: %v, want ErrUnauthenticated", err)
	}

	// Absolute expiry: even an active session ends 12 hours after login.
	token2, _, _ := s.StartSession(ctx, account)
	for elapsed := time.Duration(0); elapsed < auth.AbsoluteTimeout-20*time.Minute; elapsed += 20 * time.Minute {
		clk.advance(20 * time.Minute)
		if _, err := s.Authenticate(ctx, token2); err != nil {
			t.Fatalf("session ended after %v: %v", elapsed, err)
		}
	}
	clk.advance(40 * time.Minute)
	if _, err := s.Authenticate(ctx, token2); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Fatalf("session past absolute expiry: %v", err)
	}

	// Logout and account restriction.
	token3, _, _ := s.StartSession(ctx, account)
	token4, _, _ := s.StartSession(ctx, account)
	key, err := s.IssueAPIKey(ctx, account, "national sync")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, token3, "logout"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, token3); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("after logout: %v", err)
	}
	if _, err := s.Authenticate(ctx, token4); err != nil {
		t.Errorf("other session after one logout: %v", err)
	}
	if n, err := s.RevokeAccount(ctx, account, "account restricted"); err != nil || n != 2 {
		t.Errorf("RevokeAccount = %d, %v; want 2 (a session and a key)", n, err)
	}
	for _, secret := range []string{token4, key} {
		if _, err := s.Authenticate(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("after restriction: %v", err)
		}
	}
	for _, junk := range []string{"", "Bearer x", "hoso_s_short", strings.Repeat("z", 100)} {
		if _, err := s.Authenticate(ctx, junk); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("Authenticate(%q) = %v", junk, err)
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

// TestLoginThrottle runs the throttle on PostgreSQL with the production
// limits (no argon2 here: the API tests check the login route).
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	th := auth.NewLoginThrottle(pool)
	// fail makes one counted attempt and reports the throttle's wait.
	fail := func(name, addr string, at time.Time) time.Duration {
		t.Helper()
		wait, err := th.Attempt(ctx, name, addr, at)
		if err != nil {
			t.Fatal(err)
		}
		return wait
	}

	t.Run("pair", func(t *testing.T) {
		for i := range auth.PairLimit.Free {
			if w := fail("pair.user", "10.0.0.1", now); w != 0 {
				t.Fatalf("attempt %d refused for %v inside the free failures", i+1, w)
			}
		}
		at := now
		for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
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
		// The same name elsewhere, and another name here, are not slowed.
		if w := fail("pair.user", "10.0.0.2", at); w != 0 {
			t.Errorf("the name from another address: wait %v", w)
		}
		if w := fail("pair.other", "10.0.0.1", at); w != 0 {
			t.Errorf("another name from the address: wait %v", w)
		}
		// A success forgets the pair's failures.
		if err := th.Succeeded(ctx, "pair.user", "10.0.0.2"); err != nil {
			t.Fatal(err)
		}
		for i := range auth.PairLimit.Free {
			if w := fail("pair.user", "10.0.0.2", at); w != 0 {
				t.Fatalf("after a success, attempt %d refused for %v", i+1, w)
			}
		}
		// A day without failures and the counter starts again.
		if w := fail("pair.user", "10.0.0.1", at.Add(auth.ForgetAfter)); w != 0 {
			t.Errorf("a day later: wait %v", w)
		}
	})

	t.Run("address", func(t *testing.T) {
		// Rotating names does not escape the address's count.
		for i := range auth.AddrLimit.Free {
			if w := fail(fmt.Sprintf("rot.%02d", i), "10.0.1.1", now); w != 0 {
				t.Fatalf("name %d refused for %v inside the address's free failures", i+1, w)
			}
		}
		if w := fail("rot.next", "10.0.1.1", now); w != auth.AddrLimit.Base {
			t.Errorf("one name too many from the address: wait %v, want %v", w, auth.AddrLimit.Base)
		}
		if w := fail("rot.next", "10.0.1.2", now); w != 0 {
			t.Errorf("another address: wait %v", w)
		}
	})

	t.Run("name", func(t *testing.T) {
		// A run spread over many addresses, one guess each.
		for i := range auth.NameLimit.Free + 2 {
			if w := fail("spread.user", fmt.Sprintf("10.0.2.%d", i), now); w != 0 {
				t.Fatalf("first guess from address %d refused for %v", i, w)
			}
		}
		// An address that has failed on the name is slowed by the name's count…
		if w := fail("spread.user", "10.0.2.0", now); w != auth.NameLimit.Delay(auth.NameLimit.Free+2) {
			t.Errorf("an address that failed on the name: wait %v, want %v", w, auth.NameLimit.Delay(auth.NameLimit.Free+2))
		}
		// …the owner at an address without failures on it is not.
		if w := fail("spread.user", "10.0.3.1", now); w != 0 {
			t.Errorf("the owner at a clean address: wait %v", w)
		}
	})

	t.Run("parallel", func(t *testing.T) {
		// Parallel guesses are counted as they are let through, so no more
		// than the free ones pass at once.
		var wg sync.WaitGroup
		var mu sync.Mutex
		passed := 0
		for range 12 {
			wg.Go(func() {
				w, err := th.Attempt(ctx, "burst.user", "10.0.4.1", now)
				if err != nil {
					t.Error(err)
					return
				}
				if w == 0 {
					mu.Lock()
					passed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if passed != auth.PairLimit.Free {
			t.Errorf("%d of 12 parallel attempts let through, want %d", passed, auth.PairLimit.Free)
		}
	})

	t.Run("shared", func(t *testing.T) {
		// Another throttle on the same database (another process, or this
		// one restarted) sees the counts.
		for range auth.PairLimit.Free {
			fail("shared.user", "10.0.5.1", now)
		}
		w, err := auth.NewLoginThrottle(pool).Attempt(ctx, "shared.user", "10.0.5.1", now)
		if err != nil || w != auth.PairLimit.Base {
			t.Errorf("a second throttle: wait %v, %v; want %v", w, err, auth.PairLimit.Base)
		}
		var names int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM login_throttle WHERE position('shared.user' in encode(key_sha256, 'escape')) > 0`).Scan(&names); err != nil || names != 0 {
			t.Errorf("names in clear in login_throttle: %d (%v)", names, err)
		}
	})
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
