// Package pgadapter implements, on PostgreSQL, the storage interfaces the
// HTTP layer declares (api.ReadModels, api.IdempotencyStore,
// api.AttachmentStore, api.TransferIndex, auth.Credentials, auth.Counters,
// readlog.Sink): the API runs no SQL of its own, so its handlers can be
// tested with fakes and another backend could stand in. One file per
// concern; each type takes the pool it works on, and the service's wiring
// (internal/service) builds them.
//
// Like WTF Dial's postgres package, this package translates the driver's
// errors into the kinds its callers test for (domain.ErrNotFound,
// auth.ErrUsernameTaken…) and makes no authorization decision.
package pgadapter
