package main

import (
	"fmt"
	"strings"
	"testing"
)

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string // the parsed networks, or the error's text
	}{
		{"", "[]"},
		{"10.0.0.0/8", "[10.0.0.0/8]"},
		{" 10.0.0.0/8, 192.168.1.7 2001:db8::/32,::1 ", "[10.0.0.0/8 192.168.1.7/32 2001:db8::/32 ::1/128]"},
		{"10.0.0.1/8", "[10.0.0.0/8]"},
		{"10.0.0.0/33,proxy.local,10.0.0.0/8", `HOSO_TRUSTED_PROXIES: "10.0.0.0/33", "proxy.local": want CIDRs`},
	}
	for _, tc := range tests {
		nets, err := trustedProxies(tc.in)
		got := fmt.Sprint(nets)
		if err != nil {
			got = err.Error()
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("trustedProxies(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
