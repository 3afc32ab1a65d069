// Package migrations holds hoso's PostgreSQL schema as SQL files embedded in
// the binary and applies them with goose.
//
// Every object is created unqualified, in the connection's current schema:
// production uses its configured search_path, and tests isolate themselves
// by putting search_path=<schema> in the database URL (see internal/pgtest).
//
// The service does not run as the owner of these objects. 00001_events.sql
// creates the NOLOGIN role hoso_app, which may read the events table and
// append to it but never update, delete or truncate it. The login role the
// service connects with is made a member of hoso_app by the operator
// (GRANT hoso_app TO <login>), and every pooled connection switches to it
// with SetAppRole as its pgxpool AfterConnect hook. Migrations themselves run
// as the owner.
package migrations
