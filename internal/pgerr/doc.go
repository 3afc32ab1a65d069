// Package pgerr classifies PostgreSQL errors for the code that must tell a
// database outage from a fault of its own: the projection runner (which must
// not blame an event for a lost server) and the API (503, not 500).
// It decides by error type and SQLSTATE, never by message text.
package pgerr
