//go:build race

package projections_test

// raceEnabled: the race detector slows Go code several times over, so the
// throughput floor is only asserted without it.
const raceEnabled = true
