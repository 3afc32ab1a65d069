package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRunRefusesAtStart: bad flags and bad configuration are all named at
// once, with status 2, before the service starts; -h is an answer.
func TestRunRefusesAtStart(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string {
		return map[string]string{"HOSO_TRUSTED_PROXIES": "bad", "HOSO_READ_LOG": "sometimes"}[k]
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--clients", "0", "--phases", "read,dance"}, getenv, &stdout, &stderr)
	for _, want := range []string{"--clients must be between", `unknown phase "dance"`, `HOSO_TRUSTED_PROXIES: "bad"`, `HOSO_READ_LOG is "sometimes"`} {
		if !strings.Contains(stderr.String(), "hoso-loadgen: "+want) {
			t.Errorf("stderr does not name %q:\n%s", want, stderr.String())
		}
	}
	if code != 2 || stdout.Len() != 0 {
		t.Errorf("run = %d, stdout %q; want 2 and nothing", code, stdout.String())
	}

	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"-h"}, func(string) string { return "" }, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "-clients") || stderr.Len() != 0 {
		t.Errorf("run -h = %d, stdout %q, stderr %q; want 0 and the flags on stdout", code, stdout.String(), stderr.String())
	}
}
