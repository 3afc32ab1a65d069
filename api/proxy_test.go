package api_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/api/apitest"
	"github.com/hoso-ledger/hoso/domain/account"
	"github.com/hoso-ledger/hoso/internal/service"
)

// TestForwardedForTrust: X-Forwarded-For names the client only when the
// TCP peer is a configured proxy. From anyone else it is a claim the
// client makes about itself: the read log records the peer, and login
// throttling counts the peer, whatever the header says. (The tests' peer
// is 127.0.0.1.)
func TestForwardedForTrust(t *testing.T) {
	t.Parallel()
	cidrs := func(ss ...string) []*net.IPNet {
		var out []*net.IPNet
		for _, s := range ss {
			_, n, err := net.ParseCIDR(s)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
		return out
	}
	tests := []struct {
		name    string
		trusted []*net.IPNet
		// wantAddr is the read log's remote_addr for a read sent with
		// X-Forwarded-For: 203.0.113.9.
		wantAddr string
		// throttled: after 30 failed logins (each to another name, so that only
		// the address counter adds up), each with another forged
		// address, a 31st from yet another is refused by the address limit.
		// Checked when throttle is set: each check costs six argon2 hashes.
		throttle, throttled bool
	}{
		{"no proxy configured", nil, "127.0.0.1", true, true},
		{"the peer is a trusted proxy", cidrs("127.0.0.0/8"), "203.0.113.9", true, false},
		// Echo trusts loopback and private ranges unless told not to: the
		// list configured must be the whole list.
		{"another proxy configured", cidrs("10.1.0.0/16", "2001:db8::/32"), "127.0.0.1", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A stopped clock: the login throttle refills with time, and
			// argon2 under -race takes long enough to refill a few.
			now := time.Now()
			env := apitest.Start(t, apitest.Options{Now: func() time.Time { return now },
				Config: service.Config{TrustedProxies: tc.trusted}})
			org := env.Org("Sở Y tế", "000.00.02.T01", env.Root)
			hr := env.Session(env.Account("tccb.soyte", "", account.KindOrg, account.RoleHROfficer, org))
			id := env.Dossier(org, "Trần Văn Nam")

			r := env.Do(http.MethodGet, "/api/v1/dossiers/"+id.String(), hr, nil, "X-Forwarded-For", "203.0.113.9", "X-Real-IP", "203.0.113.10")
			if r.Status != http.StatusOK {
				t.Fatalf("GET dossier: %d %s", r.Status, r.Body)
			}
			var addr string
			if err := env.Svc.Pool.QueryRow(context.Background(), `SELECT remote_addr FROM dossier_reads WHERE request_id = $1`,
				r.Header.Get("X-Request-Id")).Scan(&addr); err != nil {
				t.Fatalf("the read's record: %v", err)
			}
			if addr != tc.wantAddr {
				t.Errorf("read log remote_addr = %q, want %q", addr, tc.wantAddr)
			}
			if !tc.throttle {
				return
			}
			for i := range 30 {
				r := env.Do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": fmt.Sprintf("ai.do.%02d", i), "password": fmt.Sprintf("sai-%02d", i)},
					"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1))
				if r.Status != http.StatusUnauthorized && r.Status != http.StatusTooManyRequests {
					t.Fatalf("login attempt %d: %d %s", i, r.Status, r.Body)
				}
			}
			r = env.Do(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "nguoi.khac", "password": "sai-mat-khau"},
				"X-Forwarded-For", "192.0.2.77")
			if got := r.Status == http.StatusTooManyRequests; got != tc.throttled {
				t.Errorf("31st login from a 31st forwarded address: %d %s, want throttled = %v", r.Status, r.Body, tc.throttled)
			}
		})
	}
}
