package api_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
)

// testClock is a server clock that moves only when told, so throttle
// delays are checked without waiting and without timing anything.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestLoginThrottle: login failures slow down the (name, address) pair and
// the address that make them, growingly, without keeping the account's
// owner out from elsewhere; the counters live in PostgreSQL, and a refusal
// says nothing about whether the name exists. Every request comes from a
// loopback address of its own (Env.From); the steps run in order on one
// server and one clock.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Now().UTC().Truncate(time.Second)}
	e := apitest.Start(t, apitest.Options{Now: clk.Now})
	const ownerPassword = "Mat-Khau-Chu-2026"
	e.Account("chu.tk", ownerPassword, account.KindOrg, account.RoleHROfficer, e.Root)
	attacker, owner := e.From("127.0.0.2"), e.From("127.0.0.3")
	login := func(from *apitest.Env, username, password string) *apitest.Response {
		return from.Do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": username, "password": password})
	}
	retryAfter := func(t *testing.T, r *apitest.Response) time.Duration {
		t.Helper()
		if r.Status != http.StatusTooManyRequests || r.Problem().Code != "rate_limited" {
			t.Fatalf("%d %s, want 429 rate_limited", r.Status, r.Body)
		}
		s, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || s < 1 {
			t.Fatalf("Retry-After %q, want whole seconds ≥ 1", r.Header.Get("Retry-After"))
		}
		return time.Duration(s) * time.Second
	}

	t.Run("AttackerIsSlowedGrowingly", func(t *testing.T) {
		var waits []time.Duration
		through := 0 // wrong guesses that reached the password check since the last refusal
		for attempt := 0; len(waits) < 3; attempt++ {
			if attempt > 20 {
				t.Fatalf("never throttled: %d wrong passwords got through", attempt)
			}
			r := login(attacker, "chu.tk", "doan-sai-"+strconv.Itoa(attempt))
			if r.Status == http.StatusUnauthorized {
				through++
				continue
			}
			wait := retryAfter(t, r)
			if len(waits) > 0 && through != 1 {
				t.Errorf("%d guesses got through after waiting %v, want 1", through, waits[len(waits)-1])
			}
			waits, through = append(waits, wait), 0
			// One second short of the wait, still refused; then one guess.
			clk.Advance(wait - time.Second)
			if r := login(attacker, "chu.tk", "doan-sai-cho"); r.Status != http.StatusTooManyRequests {
				t.Fatalf("a second before the Retry-After %v: %d %s, want 429", wait, r.Status, r.Body)
			}
			clk.Advance(time.Second)
		}
		for i := 1; i < len(waits); i++ {
			if waits[i] <= waits[i-1] {
				t.Errorf("Retry-After did not grow: %v", waits)
			}
		}
		// Refused now, the right password too: the pair is what is slowed.
		login(attacker, "chu.tk", "doan-sai-cuoi")
		if r := login(attacker, "chu.tk", ownerPassword); r.Status != http.StatusTooManyRequests {
			t.Errorf("the right password from the throttled address: %d, want 429", r.Status)
		}
		// Another name from the same address still logs in.
		attacker.Login("quantri", "QuanTri@Test2026")
	})

	t.Run("OwnerLogsInFromAnotherAddress", func(t *testing.T) {
		if r := login(owner, "chu.tk", ownerPassword); r.Status != http.StatusOK {
			t.Errorf("the owner from another address while the attacker is throttled: %d %s, want 200", r.Status, r.Body)
		}
	})

	t.Run("CountersSurviveRestart", func(t *testing.T) {
		second := e.Second(apitest.Options{Now: clk.Now}).From("127.0.0.2")
		r := login(second, "chu.tk", "doan-sai-khac")
		retryAfter(t, r)
	})

	t.Run("NoEnumeration", func(t *testing.T) {
		// The same wrong guesses at a name that exists and one that does
		// not, each from an address of its own: the same answers.
		known, unknown := e.From("127.0.0.4"), e.From("127.0.0.5")
		for i := 0; ; i++ {
			a, b := login(known, "chu.tk", "doan-sai-liet-ke"), login(unknown, "khong.ton.tai", "doan-sai-liet-ke")
			if a.Status != b.Status || amProblemBody(t, a) != amProblemBody(t, b) || a.Header.Get("Retry-After") != b.Header.Get("Retry-After") {
				t.Fatalf("attempt %d: existing name %d %s (Retry-After %q), unknown name %d %s (Retry-After %q)",
					i+1, a.Status, a.Body, a.Header.Get("Retry-After"), b.Status, b.Body, b.Header.Get("Retry-After"))
			}
			if a.Status == http.StatusTooManyRequests {
				break
			}
			if i > 10 {
				t.Fatal("never throttled")
			}
		}
	})
}
