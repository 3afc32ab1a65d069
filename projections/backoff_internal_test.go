package projections

import (
	"testing"
	"time"
)

// TestWaits pins the runner's waits between tries: InitialBackoff doubling
// up to MaxBackoff, without jitter, and back to the start after a Reset.
func TestWaits(t *testing.T) {
	r := &Runner{cfg: Config{}.withDefaults()}
	b := r.waits()
	want := []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond,
		3200 * time.Millisecond, 6400 * time.Millisecond, 10 * time.Second, 10 * time.Second}
	for i, w := range want {
		if got := b.NextBackOff(); got != w {
			t.Errorf("wait %d = %v, want %v", i+1, got, w)
		}
	}
	b.Reset()
	if got := b.NextBackOff(); got != 200*time.Millisecond {
		t.Errorf("wait after Reset = %v, want 200ms", got)
	}
}
