package service

import (
	"context"
	"crypto/hpke"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/mod/sumdb/note"

	"github.com/hoso-ledger/hoso/app/nationalsync"
	"github.com/hoso-ledger/hoso/domain/calendar"
	"github.com/hoso-ledger/hoso/domain/policy"
	"github.com/hoso-ledger/hoso/eventstore/treelog"
	"github.com/hoso-ledger/hoso/internal/config"
	"github.com/hoso-ledger/hoso/ledger/seal"
)

// DefaultSyncWorkers is how many packages the delivery worker sends at
// once: each spends most of its time waiting (a dozen PostgreSQL round
// trips, two durable commits, the receiver's fsyncs), so many more than the
// cores. 16 was slower than 4 while each package carried its department
// approval (CPU-bound); since it travels once, 16 delivers 2 – 2.5 times
// as fast as 4 on the two-core machine (docs/benchmarks.md, "Delivery at
// 200 packages/s").
const DefaultSyncWorkers = 16

// syncNodeCache is how many Merkle node hashes the delivery keeps (about
// 100 bytes each in memory): the upper nodes of a few hundred thousand
// leaves' proofs.
const syncNodeCache = 1 << 16

// SyncConfig turns on the delivery to the national database: the relay
// from the log to JetStream and the delivery worker (app/nationalsync).
type SyncConfig struct {
	NATSURL string
	Topic   string // nationalsync.DefaultTopic when empty; tests use their own
	// RelayName keys the relay's publish checkpoint (nationalsync.RelayName
	// when empty).
	RelayName string
	Sender    nationalsync.Sender
	Key       note.Signer // the province's sync key
	// Poll is the relay's idle wait (the service's PollInterval when zero).
	Poll time.Duration
	// AckWait is how long a worker may hold a package before JetStream
	// hands it to another (10 minutes when zero); Redelay how long a
	// package whose delivery failed waits for the next (1 minute).
	AckWait, Redelay time.Duration
	// Retry and Tries: the backoff between attempts of one delivery
	// (nationalsync.Worker's defaults when zero).
	Retry func() backoff.BackOff
	Tries uint
	// Workers is how many packages are delivered at once (DefaultSyncWorkers when zero).
	Workers int
	// Now is the clock of the sync events (the service's when nil): a
	// test moves it past a package's due date without moving the rest.
	Now func() time.Time
	// ReleaseTo is the national receiver's key-release key
	// (HOSO_NATIONAL_KEY): each package carries its dossiers' data keys
	// wrapped to it. Nil sends the sensitive members sealed, with no key
	// (cmd/hoso refuses to start so; docs/sync.md, "Key release").
	ReleaseTo hpke.PublicKey
}

// SyncFrom is the delivery's configuration from the environment's
// (nil when HOSO_NATIONAL_URL is unset). key is the sync key (HOSO_SYNC_KEY
// or cmd/hoso's development key).
func SyncFrom(c config.Sync, key note.Signer) *SyncConfig {
	if !c.Enabled() {
		return nil
	}
	return &SyncConfig{NATSURL: c.NATSURL, Key: key, ReleaseTo: c.ReleaseTo,
		Sender: nationalsync.NewHTTPSender(c.NationalURL, c.NationalToken, c.TLS, 2*time.Minute)}
}

// openSync connects the broker and builds the relay and the worker. The
// checkpoint key is required: a package carries a signed checkpoint.
func (s *Service) openSync(ctx context.Context, pol policy.Policy) error {
	sc := s.cfg.Sync
	if sc == nil {
		return nil
	}
	if s.cfg.CheckpointKey == nil || sc.Key == nil || sc.Sender == nil {
		return errors.New("national sync: it needs the checkpoint key, the sync key and a sender")
	}
	if sc.AckWait == 0 {
		sc.AckWait = 10 * time.Minute
	}
	if sc.Redelay == 0 {
		sc.Redelay = time.Minute
	}
	if sc.Poll == 0 {
		sc.Poll = s.cfg.PollInterval
	}
	if sc.Workers == 0 {
		sc.Workers = DefaultSyncWorkers
	}
	if sc.Now == nil {
		sc.Now = s.cfg.Now
	}
	b, err := nationalsync.OpenJetStream(ctx, sc.NATSURL, sc.Topic, sc.AckWait, sc.Redelay, s.cfg.Logger)
	if err != nil {
		return fmt.Errorf("national sync: %w", err)
	}
	s.closers = append(s.closers, b.Close)
	s.broker = b
	s.Relay = &nationalsync.Relay{Pool: s.Pool, Store: s.Store, Publisher: b.Publisher, Topic: b.Topic, Name: sc.RelayName,
		Now: sc.Now, Poll: sc.Poll, Logger: s.cfg.Logger, Deadline: nationalsync.Deadline(pol, calendar.Official())}
	s.SyncWorker = &nationalsync.Worker{
		// The package carries the events as stored, so the receiver can
		// check every proof; their sensitive members are sealed under the
		// dossiers' data keys (docs/privacy.md), which travel wrapped to the
		// receiver's key when there is one (docs/sync.md, "Key release").
		//
		// Its own view of the Merkle log, with a node cache: every package
		// proves its unit approval and the checkpoint in the same few upper
		// nodes of the tree (docs/sync.md, "Throughput").
		Source: nationalsync.Source{Pool: s.Pool, Store: s.RawStore, Tree: treelog.New(s.Pool, nil, treelog.Options{NodeCache: syncNodeCache}), CheckpointKey: s.cfg.CheckpointKey.VerifierKey,
			Departments: nationalsync.NewDepartments(0)},
		Key: sc.Key, Sender: sc.Sender, Retry: sc.Retry, Tries: sc.Tries, Concurrency: sc.Workers, Now: sc.Now, Logger: s.cfg.Logger,
	}
	if sc.ReleaseTo != nil {
		sealed, ok := s.Store.(*seal.Store)
		if !ok {
			return errors.New("national sync: releasing data keys needs the sealing store")
		}
		s.SyncWorker.ReleaseTo, s.SyncWorker.Keys = sc.ReleaseTo, sealed.Keys()
	} else if s.cfg.Logger != nil {
		s.cfg.Logger.Warn("national sync: no receiver key (HOSO_NATIONAL_KEY): packages carry the dossiers' sensitive data sealed, without their keys")
	}
	return nil
}

// runSync is what Run starts when the delivery is on.
func (s *Service) runSync(ctx context.Context) []func() error {
	if s.Relay == nil {
		return nil
	}
	return []func() error{
		func() error { return ignoreCancel(s.Relay.Run(ctx)) },
		func() error { return ignoreCancel(s.SyncWorker.Run(ctx, s.broker.Subscriber, s.broker.Topic)) },
	}
}
