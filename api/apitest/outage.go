package apitest

import (
	"context"
	"time"

	"github.com/hoso-ledger/hoso/internal/service"
	"github.com/hoso-ledger/hoso/processes/outage"
)

// PastOutage makes function's outage of ago until now, noticed: a process
// reported it up at now-ago and then nothing, this service reports now,
// and a detector's check records the notice (after the fact, with its
// end). It returns what the check found, once the read models hold it.
func (e *Env) PastOutage(function string, ago time.Duration) []outage.Status {
	e.T.Helper()
	ctx := context.Background()
	then := time.Now().Add(-ago).UTC().Truncate(time.Second)
	old := &outage.Recorder{Pool: e.Svc.Pool, Instance: "old-host/1", Probes: map[string]outage.Probe{function: nil},
		Now: func() time.Time { return then }}
	if err := old.Report(ctx); err != nil {
		e.T.Fatal(err)
	}
	if err := e.Svc.Health.Report(ctx); err != nil {
		e.T.Fatal(err)
	}
	found, err := service.NewDetector(e.Svc.Pool, e.Svc.RawStore, service.OutageConfig{}, nil, nil).Check(ctx)
	if err != nil {
		e.T.Fatal(err)
	}
	e.WaitCaughtUp()
	return found
}
