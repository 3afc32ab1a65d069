package seal

import (
	"context"
	"fmt"
	"sync"
)

// MemKeyStore is a KeyStore in memory, for the in-memory event store and
// the tests that run on it. Its keys die with the process.
type MemKeyStore struct {
	mu   sync.Mutex
	keys map[string]Wrapped
}

// NewMemKeyStore returns an empty key store.
func NewMemKeyStore() *MemKeyStore { return &MemKeyStore{keys: map[string]Wrapped{}} }

// Get implements KeyStore.
func (m *MemKeyStore) Get(_ context.Context, scope string) (Wrapped, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, ok := m.keys[scope]
	if !ok {
		return Wrapped{Scope: scope}, fmt.Errorf("%w: %s", ErrNoKey, scope)
	}
	return w, nil
}

// Create implements KeyStore.
func (m *MemKeyStore) Create(_ context.Context, w Wrapped) (Wrapped, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.keys[w.Scope]; ok {
		return old, nil
	}
	m.keys[w.Scope] = w
	return w, nil
}
