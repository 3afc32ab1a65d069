package auth_test

import (
	"errors"
	"strings"
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
