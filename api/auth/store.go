package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

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

// ErrNoCredentials: the account or username has no password on record.
var ErrNoCredentials = errors.New("auth: no credentials")

// Token is a bearer secret's row: only its SHA-256 is kept, never the
// secret.
type Token struct {
	Digest    []byte
	AccountID uuid.UUID
	Kind      string // "session" or "api_key"
	Label     string // an API key's label; empty for sessions
	CreatedAt time.Time
	LastSeen  time.Time
	// Idle and Absolute are a session's limits; nil for API keys.
	Idle      *time.Duration
	Absolute  *time.Time
	RevokedAt *time.Time // set once revoked
}

// Credentials is where a Store keeps passwords and tokens (on PostgreSQL,
// internal/pgadapter.Credentials). Times are the Store's clock.
type Credentials interface {
	// SetPassword stores (or replaces) an account's username and password
	// hash: ErrUsernameTaken when another account holds username.
	SetPassword(ctx context.Context, account uuid.UUID, username, hash string, at time.Time) error
	// PasswordByUsername returns the account holding username and its
	// hash: ErrNoCredentials when none does.
	PasswordByUsername(ctx context.Context, username string) (uuid.UUID, string, error)
	// PasswordOf returns an account's hash: ErrNoCredentials when it has none.
	PasswordOf(ctx context.Context, account uuid.UUID) (string, error)
	// InsertToken records a new token.
	InsertToken(ctx context.Context, t Token) error
	// Token returns the token whose digest is digest: ErrUnauthenticated
	// when there is none.
	Token(ctx context.Context, digest []byte) (Token, error)
	// TouchToken moves the token's last use forward to at (never back).
	TouchToken(ctx context.Context, digest []byte, at time.Time) error
	// RevokeToken revokes one token unless revoked already; an unknown
	// digest is not an error.
	RevokeToken(ctx context.Context, digest []byte, at time.Time, reason string) error
	// RevokeAccount revokes every unrevoked token of account, expired
	// ones too, and returns how many of them still worked at at.
	RevokeAccount(ctx context.Context, account uuid.UUID, at time.Time, reason string) (int64, error)
	// RevokeOthers revokes every unrevoked token of account but keep's,
	// returning how many.
	RevokeOthers(ctx context.Context, account uuid.UUID, keep []byte, at time.Time, reason string) (int64, error)
	// RevokeSessions revokes every unrevoked session (not API key) of
	// account, returning how many.
	RevokeSessions(ctx context.Context, account uuid.UUID, at time.Time, reason string) (int64, error)
	// RevokeAPIKey revokes account's unrevoked API key labelled label,
	// reporting whether there was one.
	RevokeAPIKey(ctx context.Context, account uuid.UUID, label string, at time.Time, reason string) (bool, error)
}

// Store authenticates with the credentials and tokens kept in db, and
// keeps recently read tokens.
type Store struct {
	db       Credentials
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

// maxCachedTokens bounds the token cache; the least recently used go first.
const maxCachedTokens = 10_000

// NewStore returns a store on db with clock now (time.Now when nil).
func NewStore(db Credentials, now func() time.Time) *Store {
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
	return s.db.SetPassword(ctx, account, username, hash, s.now())
}

// Login checks a username and password. Unknown users and wrong passwords
// both return ErrMismatch after the same work.
func (s *Store) Login(ctx context.Context, username, password string) (uuid.UUID, error) {
	account, hash, err := s.db.PasswordByUsername(ctx, username)
	if err != nil && !errors.Is(err, ErrNoCredentials) {
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
	hash, err := s.db.PasswordOf(ctx, account)
	if err != nil && !errors.Is(err, ErrNoCredentials) {
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
	idle, absolute := IdleTimeout, sess.ExpiresAt
	err = s.db.InsertToken(ctx, Token{Digest: digest, AccountID: account, Kind: "session", CreatedAt: now, LastSeen: now,
		Idle: &idle, Absolute: &absolute})
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
	err = s.db.InsertToken(ctx, Token{Digest: digest, AccountID: account, Kind: "api_key", Label: label, CreatedAt: now, LastSeen: now})
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
		tok, err := s.db.Token(ctx, digest[:])
		if err != nil {
			return Session{}, err
		}
		if tok.RevokedAt != nil {
			return Session{}, ErrUnauthenticated
		}
		row = tokenRow{sess: Session{AccountID: tok.AccountID, Kind: tok.Kind, CreatedAt: tok.CreatedAt},
			lastSeen: tok.LastSeen, idle: tok.Idle, absolute: tok.Absolute}
		if row.absolute != nil {
			row.sess.ExpiresAt = *row.absolute
		}
		if row.expired(now) {
			return Session{}, ErrUnauthenticated
		}
		if now.Sub(row.lastSeen) >= touchEvery {
			if err := s.db.TouchToken(ctx, digest[:], now); err != nil {
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
	return s.db.RevokeToken(ctx, digestOf(secret), s.now().UTC(), reason)
}

// RevokeAccount ends every live secret of an account: called when the
// account is restricted or closed, so an open session cannot outlive the
// decision. It returns how many were ended.
func (s *Store) RevokeAccount(ctx context.Context, account uuid.UUID, reason string) (int64, error) {
	s.tokens.Forget()
	defer s.tokens.Forget() // and the lookups that overlapped the revocation
	// Expired tokens are revoked too, so the row says why it can never come
	// back, but only the ones that still worked are counted as killed.
	return s.db.RevokeAccount(ctx, account, s.now().UTC(), reason)
}

// RevokeOthers ends every live secret of an account but keep (the one the
// request came with): after a password change, whoever held the old
// password is out everywhere else. It returns how many rows it revoked.
func (s *Store) RevokeOthers(ctx context.Context, account uuid.UUID, keep, reason string) (int64, error) {
	s.tokens.Forget()
	defer s.tokens.Forget() // and the lookups that overlapped the revocation
	return s.db.RevokeOthers(ctx, account, digestOf(keep), s.now().UTC(), reason)
}

// RevokeAPIKey ends the API key of account issued with label (the key id
// the ledger records). Revoking an unknown or already revoked key is not an
// error; it reports whether a live key was ended.
func (s *Store) RevokeAPIKey(ctx context.Context, account uuid.UUID, label, reason string) (bool, error) {
	s.tokens.Forget()
	defer s.tokens.Forget() // and the lookups that overlapped the revocation
	return s.db.RevokeAPIKey(ctx, account, label, s.now().UTC(), reason)
}

// RevokeSessions ends every live login session of an account but not its
// API keys (a password reset). It returns how many it revoked.
func (s *Store) RevokeSessions(ctx context.Context, account uuid.UUID, reason string) (int64, error) {
	s.tokens.Forget()
	defer s.tokens.Forget() // and the lookups that overlapped the revocation
	return s.db.RevokeSessions(ctx, account, s.now().UTC(), reason)
}
