package checkpoint

import "time"

// SetRetry shortens RunDaily's first wait after a failure, for tests.
func (l *Log) SetRetry(d time.Duration) { l.retry = d }
