package api

import "time"

// unavailableRetryAfter is the Retry-After of a 503 unavailable: long
// enough for a restarting PostgreSQL (crash recovery, a failover) to come
// back, short enough that a client's retry is not a user's long wait.
// Which errors mean "unavailable" is internal/pgerr's one decision, shared
// with the projection runner.
const unavailableRetryAfter = 5 * time.Second
