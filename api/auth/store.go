package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hoso-ledger/hoso/internal/trustcache"
)

// ErrUnauthenticated: the secret is unknown, expired or revoked. Callers
// answer 401 without saying which.
var ErrUnauthenticated = errors.New("auth: not authenticated")

// ErrUsernameTaken: another account holds the username.
var ErrUsernameTaken = errors.New("auth: username taken")

// Sessions expire after IdleTimeout without use and AbsoluteTimeout after
// login, whichever comes first.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	// touchEvery limits last-seen writes to one per token per minute, so an
	// active client does not turn every read into a write.
	touchEvery = time.Minute
)

// Store keeps credentials and tokens in PostgreSQL.
type Store struct {
	db       *pgxpool.Pool
	now      func() time.Time
	password *Hasher

	// Every request authenticates, and a token's row changes only when it
	// is revoked (or touched, which changes no answer): a row read less
	// than the trust ago answers again without a query, expiry re-checked
	// on the clock. Revocations through this store clear the cache at once;
	// one made by another process is seen up to the trust late.
	tokens *trustcache.Cache[[32]byte, tokenRow]
}

// tokenRow is what Authenticate read of a token, and when.
type tokenRow struct {
	sess     Session
	lastSeen time.Time
	idle     *time.Duration
	absolute *time.Time
}

// maxCachedTokens bounds the token cache; it is emptied when full.
const maxCachedTokens = 10_000

// NewStore returns a store on db with clock now (time.Now when nil).
func NewStore(db *pgxpool.Pool, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: db, now: now, password: defaultHasher(), tokens: trustcache.New[[32]byte, tokenRow](0, maxCachedTokens)}
}

// WithHasher makes s hash new passwords, and spend on unknown accounts, at
// h's cost instead of DefaultParams' (tests use a cheap one). It returns s.
func (s *Store) WithHasher(h *Hasher) *Store {
	s.password = h
	return s
}

// HashPassword returns the hash of password at s's cost (see WithHasher),
// or ErrWeakPassword, for SetPassword.
func (s *Store) HashPassword(password string) (string, error) {
	return s.password.Hash(password)
}

// TrustFor lets Authenticate answer from a token row read less than d ago
// (0, the default: always query). It returns s.
func (s *Store) TrustFor(d time.Duration) *Store {
	s.tokens.SetTrust(d)
	return s
}

// Session is an authenticated bearer secret.
type Session struct {
	AccountID uuid.UUID
	Kind      string // "session" or "api_key"
	CreatedAt time.Time
	ExpiresAt time.Time // zero for API keys
}

// SetPassword stores (or replaces) an account's username and password hash.
// A username held by another account is ErrUsernameTaken.
func (s *Store) SetPassword(ctx context.Context, account uuid.UUID, username, hash string) error {
	_, err := s.db.Exec(ctx, `
		INSERT INTO auth_credentials (account_id, username, password_hash, updated_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id) DO UPDATE SET username = EXCLUDED.username, password_hash = EXCLUDED.password_hash, updated_at = EXCLUDED.updated_at`,
		account, username, hash, s.now())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation {
		return ErrUsernameTaken
	}
	return err
}

// Login checks a username and password. Unknown users and wrong passwords
// both return ErrMismatch after the same work.
func (s *Store) Login(ctx context.Context, username, password string) (uuid.UUID, error) {
	var account uuid.UUID
	var hash string
	err := s.db.QueryRow(ctx, `SELECT account_id, password_hash FROM auth_credentials WHERE username = $1`, username).Scan(&account, &hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, err
	}
	if verr := s.password.Verify(hash, password); verr != nil {
		if errors.Is(verr, ErrMismatch) {
			return uuid.Nil, ErrMismatch
		}
		return uuid.Nil, verr
	}
	return account, nil
}

// CheckPassword checks an account's password: ErrMismatch when it is wrong
// or the account has none, after the same work either way.
func (s *Store) CheckPassword(ctx context.Context, account uuid.UUID, password string) error {
	var hash string
	err := s.db.QueryRow(ctx, `SELECT password_hash FROM auth_credentials WHERE account_id = $1`, account).Scan(&hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	return s.password.Verify(hash, password)
}

// StartSession issues a session token for account.
func (s *Store) StartSession(ctx context.Context, account uuid.UUID) (string, Session, error) {
	secret, digest, err := newSecret(sessionPrefix)
	if err != nil {
		return "", Session{}, err
	}
	now := s.now().UTC()
	sess := Session{AccountID: account, Kind: "session", CreatedAt: now, ExpiresAt: now.Add(AbsoluteTimeout)}
	_, err = s.db.Exec(ctx, `
		INSERT INTO auth_tokens (token_sha256, kind, account_id, created_at, last_seen_at, idle_timeout, absolute_expires_at)
		VALUES ($1, 'session', $2, $3, $3, $4, $5)`, digest, account, now, IdleTimeout, sess.ExpiresAt)
	if err != nil {
		return "", Session{}, fmt.Errorf("auth: starting session: %w", err)
	}
	return secret, sess, nil
}

// IssueAPIKey issues a long-lived key for a service account; label says what
// integration holds it.
func (s *Store) IssueAPIKey(ctx context.Context, account uuid.UUID, label string) (string, error) {
	secret, digest, err := newSecret(apiKeyPrefix)
	if err != nil {
		return "", err
	}
	now := s.now().UTC()
	_, err = s.db.Exec(ctx, `
		INSERT INTO auth_tokens (token_sha256, kind, account_id, label, created_at, last_seen_at)
		VALUES ($1, 'api_key', $2, $3, $4, $4)`, digest, account, label, now)
	return secret, err
}

// Authenticate resolves a bearer secret. Unknown, malformed, revoked and
// expired secrets are all ErrUnauthenticated.
func (s *Store) Authenticate(ctx context.Context, secret string) (Session, error) {
	if _, ok := kindOf(secret); !ok {
		return Session{}, ErrUnauthenticated
	}
	now := s.now().UTC()
	digest := sha256.Sum256([]byte(secret)) // as digestOf
	row, hit := s.tokens.Get(digest)
	if hit && now.Sub(row.lastSeen) >= touchEvery {
		hit = false // the touch must reach the table, or an active session would idle out
	}
	if !hit {
		generation := s.tokens.Generation()
		row = tokenRow{}
		var revoked *time.Time
		err := s.db.QueryRow(ctx, `
		SELECT account_id, kind, created_at, last_seen_at, idle_timeout, absolute_expires_at, revoked_at
		FROM auth_tokens WHERE token_sha256 = $1`, digest[:]).
			Scan(&row.sess.AccountID, &row.sess.Kind, &row.sess.CreatedAt, &row.lastSeen, &row.idle, &row.absolute, &revoked)
		if errors.Is(err, pgx.ErrNoRows) {
			return Session{}, ErrUnauthenticated
		}
		if err != nil {
			return Session{}, err
		}
		if revoked != nil {
			return Session{}, ErrUnauthenticated
		}
		if row.absolute != nil {
			row.sess.ExpiresAt = *row.absolute
		}
		if row.expired(now) {
			return Session{}, ErrUnauthenticated
		}
		if now.Sub(row.lastSeen) >= touchEvery {
			if _, err := s.db.Exec(ctx, `UPDATE auth_tokens SET last_seen_at = $2 WHERE token_sha256 = $1 AND last_seen_at < $2`, digest[:], now); err != nil {
				return Session{}, err
			}
			row.lastSeen = now
		}
		s.tokens.Put(digest, row, generation)
	}
	if row.expired(now) {
		return Session{}, ErrUnauthenticated
	}
	return row.sess, nil
}

// expired says whether the token has outlived its absolute or idle limit.
func (row tokenRow) expired(now time.Time) bool {
	return (row.absolute != nil && !now.Before(*row.absolute)) || (row.idle != nil && !now.Before(row.lastSeen.Add(*row.idle)))
}

// Revoke ends one secret (logout). Revoking an unknown secret is not an error.
func (s *Store) Revoke(ctx context.Context, secret, reason string) error {
	s.tokens.Forget()
	defer s.tokens.Forget() // and the lookups that overlapped the revocation
	_, err := s.db.Exec(ctx, `UPDATE auth_tokens SET revoked_at = $2, revoked_reason = $3 WHERE token_sha256 = $1 AND revoked_at IS NULL`,
		digestOf(secret), s.now().UTC(), reason)
	return err
}

// RevokeAccount ends every live secret of an account: called when the
// account is restricted or closed, so an open session cannot outlive the
// decision. It returns how many were ended.
func (s *Store) RevokeAccount(ctx context.Context, account uuid.UUID, reason string) (int64, error) {
	s.tokens.Forget()
	defer s.tokens.Forget() // and the lookups that overlapped the revocation
	// Expired tokens are revoked too, so the row says why it can never come
	// back, but only the ones that still worked are counted as killed.
	var live int64
	err := s.db.QueryRow(ctx, `
		WITH killed AS (
			UPDATE auth_tokens SET revoked_at = $2, revoked_reason = $3
			WHERE account_id = $1 AND revoked_at IS NULL
			RETURNING absolute_expires_at, last_seen_at, idle_timeout)
		SELECT count(*) FROM killed
		WHERE (absolute_expires_at IS NULL OR absolute_expires_at > $2)
		  AND (idle_timeout IS NULL OR last_seen_at + idle_timeout > $2)`,
		account, s.now().UTC(), reason).Scan(&live)
	return live, err
}

// RevokeOthers ends every live secret of an account but keep (the one the
// request came with): after a password change, whoever held the old
// password is out everywhere else. It returns how many rows it revoked.
func (s *Store) RevokeOthers(ctx context.Context, account uuid.UUID, keep, reason string) (int64, error) {
	s.tokens.Forget()
	defer s.tokens.Forget() // and the lookups that overlapped the revocation
	tag, err := s.db.Exec(ctx, `UPDATE auth_tokens SET revoked_at = $3, revoked_reason = $4
		WHERE account_id = $1 AND token_sha256 <> $2 AND revoked_at IS NULL`,
		account, digestOf(keep), s.now().UTC(), reason)
	return tag.RowsAffected(), err
}

// RevokeAPIKey ends the API key of account issued with label (the key id
// the ledger records). Revoking an unknown or already revoked key is not an
// error; it reports whether a live key was ended.
func (s *Store) RevokeAPIKey(ctx context.Context, account uuid.UUID, label, reason string) (bool, error) {
	s.tokens.Forget()
	defer s.tokens.Forget() // and the lookups that overlapped the revocation
	tag, err := s.db.Exec(ctx, `UPDATE auth_tokens SET revoked_at = $3, revoked_reason = $4
		WHERE account_id = $1 AND kind = 'api_key' AND label = $2 AND revoked_at IS NULL`,
		account, label, s.now().UTC(), reason)
	return tag.RowsAffected() > 0, err
}
