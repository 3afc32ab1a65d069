package nationalsync

import (
	"context"
	"crypto/hpke"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/cenkalti/backoff/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/note"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/nationalsync"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/ledger"
)

// Worker delivers the packages the relay published: rebuild, seal, send
// with retries, and record each attempt and the answer as events.
type Worker struct {
	Source Source
	Key    note.Signer // the province's sync key
	Sender Sender
	// Retry is the backoff between attempts within one delivery of a
	// message (default: exponential from 200 ms to 30 s); Tries bounds them
	// (default 5). After the last, the message is refused to the broker,
	// which delivers it again later.
	Retry func() backoff.BackOff
	Tries uint
	// Concurrency is how many packages one worker delivers at once (1
	// when zero): JetStream hands each to one of them.
	Concurrency int
	Now         func() time.Time
	Logger      *slog.Logger
	// ReleaseTo, when set, is the national receiver's key: each package
	// carries its dossiers' data keys (from Keys) wrapped to it.
	ReleaseTo hpke.PublicKey
	Keys      KeyExporter

	recorder recorder // the packages' writes, grouped
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func (w *Worker) ledger() ledger.Ledger { return ledger.Ledger{Store: w.Source.Store} }

// Handle delivers the package a message names. It returns nil once the
// receiver answered (acknowledged or rejected, now or before), and an
// error to have the broker redeliver.
func (w *Worker) Handle(msg *message.Message) error {
	var q nationalsync.Queued
	if err := json.Unmarshal(msg.Payload, &q); err != nil || q.Package == uuid.Nil {
		// Nothing the relay publishes looks like this: redelivery cannot help.
		if w.Logger != nil {
			w.Logger.Error("national sync: dropping a malformed message", "message", msg.UUID)
		}
		return nil
	}
	_, err := w.deliver(msg.Context(), q.Package)
	return err
}

// Deliver sends package id (queued in the ledger) unless the receiver has
// answered already, and returns where it stands.
func (w *Worker) Deliver(ctx context.Context, id uuid.UUID) (nationalsync.Package, error) {
	p, err := w.deliver(ctx, id)
	if err != nil || p.Done() {
		return p, err
	}
	h, err := w.ledger().Load(ctx, nationalsync.StreamID(id), nationalsync.Decode)
	if err != nil {
		return p, err
	}
	return nationalsync.Replay(h.Events)
}

// deliver is Deliver without reading the stream back after the answer
// (the broker's handler needs only the error): it returns the package as
// it stood before this delivery, or done.
func (w *Worker) deliver(ctx context.Context, id uuid.UUID) (nationalsync.Package, error) {
	stream := nationalsync.StreamID(id)
	h, err := w.ledger().Load(ctx, stream, nationalsync.Decode)
	if err != nil {
		return nationalsync.Package{}, err
	}
	p, err := nationalsync.Replay(h.Events)
	if err != nil || p.Done() {
		return p, err
	}
	src := w.Source
	src.Departments = src.departments() // one for the package and its department approval
	pkg, err := Build(ctx, src, p.Queued)
	if err != nil {
		return p, err
	}
	dept, err := src.Departments.delivery(ctx, src, p.Queued, w.Key)
	if err != nil {
		return p, err
	}
	if w.ReleaseTo != nil {
		if err := ReleaseKeys(ctx, &pkg, w.Keys, w.ReleaseTo); err != nil {
			return p, err
		}
	}
	env, digest, keep, err := w.envelope(ctx, pkg, p)
	if err != nil {
		return p, err
	}
	attempt := p.Attempts
	tries := w.Tries
	if tries == 0 {
		tries = 5
	}
	bo := w.Retry
	if bo == nil {
		bo = func() backoff.BackOff {
			return &backoff.ExponentialBackOff{InitialInterval: 200 * time.Millisecond, RandomizationFactor: 0.2, Multiplier: 2, MaxInterval: 30 * time.Second}
		}
	}
	cause := p.Queued.DepartmentApproval
	receipt, err := backoff.Retry(ctx, func() ([]byte, error) {
		attempt++
		// The first attempt keeps a new seal's envelope, committed before
		// the sync.sent that announces its digest; the next ones reuse it.
		if err := w.appendGrouped(ctx, stream, cause, id, nationalsync.Sent{Package: id, Digest: digest, Endpoint: w.Sender.Endpoint(), Attempt: attempt}, keep, uuid.Nil); err != nil {
			return nil, backoff.Permanent(err)
		}
		keep = nil
		r, err := w.send(ctx, dept, env)
		if _, rejected := IsRejected(err); rejected {
			return nil, backoff.Permanent(err)
		}
		if err != nil && w.Logger != nil {
			w.Logger.Warn("national sync: delivery failed; retrying", "package", id, "attempt", attempt, "error", err.Error())
		}
		return r, err
	}, backoff.WithBackOff(bo()), backoff.WithMaxTries(tries), backoff.WithMaxElapsedTime(0))
	var answer domain.Event
	if rej, ok := IsRejected(err); ok {
		answer = nationalsync.Rejected{Package: id, Digest: digest, Status: rej.Status, Reasons: rej.Reasons}
	} else if err != nil {
		return p, err
	} else {
		answer = nationalsync.Acknowledged{Package: id, Digest: digest, Receipt: receipt, Arrivals: Arrivals(pkg)}
	}
	// Answered for good: never sent again, so its kept bytes are dropped.
	if err := w.appendGrouped(ctx, stream, cause, id, answer, nil, id); err != nil {
		return p, err
	}
	return p, nil
}

// sweepEnvelopes drops the kept envelopes of packages already answered.
// An answer's drop commits without waiting for the disk, so a crash can
// leave a few behind; nothing would read them again, but kept bytes of a
// delivered package are personal data held for no purpose. The table
// holds only packages in flight and those few, so one look per start is
// cheap. A failure is only logged: the rows are harmless until the next
// start.
func (w *Worker) sweepEnvelopes(ctx context.Context) {
	if w.Source.Pool == nil {
		return
	}
	answered, err := w.answeredEnvelopes(ctx)
	if err == nil && len(answered) > 0 {
		_, err = w.Source.Pool.Exec(ctx, `DELETE FROM sync_envelopes WHERE package_id = ANY($1)`, answered)
	}
	if err != nil && w.Logger != nil {
		w.Logger.Warn("national sync: the kept envelopes of answered packages not swept", "error", err.Error())
	}
	if err == nil && len(answered) > 0 && w.Logger != nil {
		w.Logger.Info("national sync: swept the kept envelopes of answered packages", "packages", len(answered))
	}
}

// answeredEnvelopes lists the packages with a kept envelope whose stream
// holds an answer (acknowledged or rejected).
func (w *Worker) answeredEnvelopes(ctx context.Context) ([]uuid.UUID, error) {
	rows, err := w.Source.Pool.Query(ctx, `SELECT package_id FROM sync_envelopes`)
	if err != nil {
		return nil, err
	}
	kept, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return nil, err
	}
	var answered []uuid.UUID
	for _, id := range kept {
		events, err := w.Source.Store.ReadStream(ctx, nationalsync.StreamID(id), eventstore.ReadOptions{})
		if err != nil && !errors.Is(err, eventstore.ErrNotFound) {
			return nil, err
		}
		if slices.ContainsFunc(events, func(e eventstore.Event) bool {
			return e.Type == nationalsync.TypeAcknowledged || e.Type == nationalsync.TypeRejected
		}) {
			answered = append(answered, id)
		}
	}
	return answered, nil
}

// envelope is the bytes to deliver package pkg as: those of its last
// attempt (p.Digest) when they are kept, else a new seal, returned with
// keep, which the first attempt's record stores (in the same group,
// committed before the sync.sent that announces its digest). A package's
// seal is not reproducible (the data keys' HPKE wrapping is fresh each
// time), and a receiver that holds the bytes of an attempt whose answer
// was lost answers the same bytes with its receipt but other bytes under
// the same id with 409 package_id_reused: a crash between the send and
// the recording of the answer must not turn a delivered package into a
// rejected one.
func (w *Worker) envelope(ctx context.Context, pkg Package, p nationalsync.Package) (env []byte, digest string, keep *keptEnvelope, err error) {
	if w.Source.Pool == nil { // a worker without a database of its own (tests of the sender)
		env, digest, err = Seal(pkg, w.Key)
		return env, digest, nil, err
	}
	if p.Attempts > 0 {
		var kept []byte
		var keptDigest string
		err := w.Source.Pool.QueryRow(ctx, `SELECT envelope, digest FROM sync_envelopes WHERE package_id = $1`, pkg.ID).Scan(&kept, &keptDigest)
		if err == nil && keptDigest == p.Digest {
			return kept, keptDigest, nil, nil
		}
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, "", nil, fmt.Errorf("nationalsync: reading the kept envelope of %s: %w", pkg.ID, err)
		}
	}
	if env, digest, err = Seal(pkg, w.Key); err != nil {
		return nil, "", nil, err
	}
	return env, digest, &keptEnvelope{pkg: pkg.ID, digest: digest, envelope: env, at: w.now().UTC()}, nil
}

// send hands the package's envelope to the receiver, the department
// approval's first if this process has not delivered it yet, and again
// when the receiver answers that it does not hold it (424
// department_approval_missing: a receiver that lost it, or was given it
// by nobody since it restarted empty): one attempt, whatever it took.
func (w *Worker) send(ctx context.Context, dept *departmentEntry, env []byte) ([]byte, error) {
	if err := w.sendDepartment(ctx, dept, false); err != nil {
		return nil, err
	}
	r, err := w.Sender.Send(ctx, env)
	if rej, ok := IsRejected(err); ok && rej.Code == CodeDepartmentMissing {
		if err := w.sendDepartment(ctx, dept, true); err != nil {
			return nil, err
		}
		r, err = w.Sender.Send(ctx, env)
	}
	return r, err
}

// sendDepartment delivers dept's envelope unless it was (again: even so).
// A refusal is the package's refusal too, its reasons naming the
// department approval.
func (w *Worker) sendDepartment(ctx context.Context, dept *departmentEntry, again bool) error {
	dept.send.Lock()
	defer dept.send.Unlock()
	if dept.sent && !again {
		return nil
	}
	_, err := w.Sender.Send(ctx, dept.envelope)
	if rej, ok := IsRejected(err); ok {
		reasons := make([]string, len(rej.Reasons))
		for i, r := range rej.Reasons {
			reasons[i] = "department approval: " + r
		}
		return &RejectedError{Status: rej.Status, Code: rej.Code, Reasons: reasons}
	}
	if err != nil {
		return err
	}
	dept.sent = true
	return nil
}

// Run consumes topic from sub through a watermill Router until ctx ends;
// a panic fails its message only.
func (w *Worker) Run(ctx context.Context, sub message.Subscriber, topic string) error {
	var lg watermill.LoggerAdapter = watermill.NopLogger{}
	if w.Logger != nil {
		lg = watermill.NewSlogLogger(w.Logger)
	}
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, lg)
	if err != nil {
		return err
	}
	handle := func(msg *message.Message) (err error) {
		// A panic is one message's failure (redelivered later), not the process's.
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("nationalsync: panic delivering %s: %v", msg.UUID, p)
			}
		}()
		return w.Handle(msg)
	}
	w.sweepEnvelopes(ctx)
	for i := range max(1, w.Concurrency) {
		r.AddConsumerHandler(fmt.Sprintf("national_sync_delivery_%d", i), topic, sub, handle)
	}
	err = r.Run(ctx)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("nationalsync: worker: %w", err)
	}
	return nil
}

// Arrivals lists the dossiers of the package's unit approval that arrived
// from outside the province (TG 10.1a): reactivated after a transfer out,
// or created marked as an arrival.
func Arrivals(p Package) []domain.DossierID {
	var out []domain.DossierID
	seen := map[string]bool{}
	for _, e := range p.Unit.Events {
		if e.Missing || (e.Type != dossier.TypeReactivated && e.Type != dossier.TypeCreated) || seen[e.Stream] {
			continue
		}
		de, err := dossier.Decode(e.Type, e.Data)
		if err != nil {
			continue
		}
		arrived := false
		switch v := de.(type) {
		case dossier.Reactivated:
			arrived = v.FromStatus == dossier.StatusTransferredOut
		case dossier.Created:
			arrived = v.ArrivedFromOutsideProvince
		}
		id, err := uuid.Parse(strings.TrimPrefix(e.Stream, "dossier-"))
		if arrived && err == nil {
			seen[e.Stream] = true
			out = append(out, domain.DossierID(id))
		}
	}
	return out
}
