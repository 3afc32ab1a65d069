package pgadapter_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/eventstore"
	"github.com/hoso-ledger/hoso/eventstore/memstore"
	"github.com/hoso-ledger/hoso/internal/pgadapter"
	"github.com/hoso-ledger/hoso/internal/pgtest"
	"github.com/hoso-ledger/hoso/projections"
	"github.com/hoso-ledger/hoso/projections/attachments"
	"github.com/hoso-ledger/hoso/projections/transfers"
)

func appendEvent(t *testing.T, store eventstore.Store, d domain.DossierID, typ string, e any) {
	t.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), d.StreamID(), eventstore.Any, eventstore.EventData{Type: typ, Data: data}); err != nil {
		t.Fatal(err)
	}
}

// TestSideIndexesReadTheirWrites: a transfer or an attachment appended a
// moment ago is found though the projections have not applied it yet (the
// lookup waits for them); what the log does not hold is not found; and
// without a runner to wait for, a miss is answered at once.
func TestSideIndexesReadTheirWrites(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.New(t)
	ctx := context.Background()
	store := memstore.New(nil)
	// No runner runs: the projections apply the log only when a lookup
	// asks whether they have caught up, so a lookup finds an event just
	// appended only by waiting for them, and waits counts that it did.
	r := projections.NewRunner(pool, store, projections.Config{PollInterval: 50 * time.Millisecond})
	byName := map[string]projections.Projection{transfers.Name: transfers.New(), attachments.Name: attachments.New()}
	waits := 0
	caught := func(ctx context.Context, name string) (bool, error) {
		waits++
		if ok, err := r.CaughtUp(ctx, name); err != nil || ok {
			return ok, err
		}
		if err := r.Rebuild(ctx, byName[name], projections.RebuildOptions{}); err != nil {
			return false, err
		}
		return r.CaughtUp(ctx, name)
	}
	index := pgadapter.NewTransfers(pool, caught)
	files := pgadapter.NewAttachments(pool, caught)
	d := domain.DossierID(uuid.Must(uuid.NewV7()))
	for i := range 3 {
		tid := uuid.Must(uuid.NewV7())
		appendEvent(t, store, d, dossier.TypeTransferInitiated, dossier.TransferInitiated{TransferID: tid, Kind: dossier.TransferBetweenOrgs})
		if got, err := index.TransferDossier(ctx, tid); err != nil || got != d {
			t.Errorf("transfer %d right after its append: %s, %v; want %s", i, got, err, d)
		}

		content := []byte{byte(i), 'x'}
		sha := randomSHA()
		if err := files.PutAttachment(ctx, api.Attachment{SHA256: sha, MediaType: "application/pdf", Content: content,
			UploadedAt: time.Now(), UploadedBy: domain.AccountID(uuid.New())}); err != nil {
			t.Fatal(err)
		}
		appendEvent(t, store, d, dossier.TypeDocumentAttached, dossier.DocumentAttached{Attachment: dossier.Attachment{
			Document: domain.SourceDocument{Kind: "decision", SHA256: sha}}})
		if got, err := files.AttachmentDossiers(ctx, sha); err != nil || len(got) != 1 || got[0] != d {
			t.Errorf("attachment %d right after its append: %v, %v; want [%s]", i, got, err, d)
		}
		if media, got, err := files.Attachment(ctx, sha); err != nil || media != "application/pdf" || string(got) != string(content) {
			t.Errorf("attachment %d's bytes: %q %q, %v", i, media, got, err)
		}
	}

	if waits < 6 {
		t.Errorf("the lookups waited %d times for their projection, want at least 6 (each found its event by waiting)", waits)
	}
	if _, err := index.TransferDossier(ctx, uuid.New()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("an unknown transfer: %v, want domain.ErrNotFound", err)
	}
	orphan := randomSHA()
	if err := files.PutAttachment(ctx, api.Attachment{SHA256: orphan, MediaType: "image/png", Content: []byte("png"), UploadedAt: time.Now(),
		UploadedBy: domain.AccountID(uuid.New())}); err != nil {
		t.Fatal(err)
	}
	if got, err := files.AttachmentDossiers(ctx, orphan); err != nil || len(got) != 0 {
		t.Errorf("bytes no event names: %v, %v; want none", got, err)
	}
	if _, _, err := files.Attachment(ctx, randomSHA()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("unknown bytes: %v, want domain.ErrNotFound", err)
	}

	// No runner to wait for: the miss is the answer.
	if _, err := pgadapter.NewTransfers(pool, nil).TransferDossier(ctx, uuid.New()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("an unknown transfer without waiting: %v, want domain.ErrNotFound", err)
	}
}

func randomSHA() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
