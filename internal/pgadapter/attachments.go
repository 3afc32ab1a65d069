package pgadapter

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/api"
	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/projections/attachments"
)

// Attachments is api.AttachmentStore: the bytes in the attachments table,
// which dossiers cite them in the attachments projection.
type Attachments struct {
	pool   *pgxpool.Pool
	caught CaughtUp
}

// NewAttachments returns the store on pool, whose search_path holds the
// projection's view. caught (nil: never wait) tells when the projection
// has applied the whole log.
func NewAttachments(pool *pgxpool.Pool, caught CaughtUp) *Attachments {
	return &Attachments{pool: pool, caught: caught}
}

// PutAttachment implements api.AttachmentStore.
func (a *Attachments) PutAttachment(ctx context.Context, at api.Attachment) error {
	_, err := a.pool.Exec(ctx, `INSERT INTO attachments (sha256, media_type, size, content, uploaded_at, uploaded_by)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING`,
		at.SHA256, at.MediaType, len(at.Content), at.Content, at.UploadedAt, uuid.UUID(at.UploadedBy))
	if err != nil {
		return fmt.Errorf("pgadapter: storing attachment: %w", err)
	}
	return nil
}

// AttachmentDossiers implements api.AttachmentStore. Only a scan whose
// bytes are stored waits for the projection: for any other digest no
// event can name it through this API, and the empty answer stands.
func (a *Attachments) AttachmentDossiers(ctx context.Context, sha256 string) ([]domain.DossierID, error) {
	ids, err := a.dossiers(ctx, sha256)
	if err != nil || len(ids) > 0 {
		return ids, err
	}
	var stored bool
	if err := a.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM attachments WHERE sha256 = $1)`, sha256).Scan(&stored); err != nil {
		return nil, fmt.Errorf("pgadapter: attachment: %w", err)
	}
	if !stored {
		return nil, nil
	}
	if ok, err := waitCaughtUp(ctx, a.caught, attachments.Name); err != nil || !ok {
		return nil, err
	}
	return a.dossiers(ctx, sha256)
}

func (a *Attachments) dossiers(ctx context.Context, sha256 string) ([]domain.DossierID, error) {
	ids, err := attachments.Dossiers(ctx, a.pool, sha256)
	if notBuilt(err) {
		return nil, nil
	}
	return ids, err
}

// Attachment implements api.AttachmentStore.
func (a *Attachments) Attachment(ctx context.Context, sha256 string) (string, []byte, error) {
	var media string
	var content []byte
	err := a.pool.QueryRow(ctx, `SELECT media_type, content FROM attachments WHERE sha256 = $1`, sha256).Scan(&media, &content)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil, fmt.Errorf("pgadapter: attachment %s: %w", sha256, domain.ErrNotFound)
	}
	if err != nil {
		return "", nil, fmt.Errorf("pgadapter: attachment %s: %w", sha256, err)
	}
	return media, content, nil
}
