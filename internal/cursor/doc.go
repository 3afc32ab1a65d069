// Package cursor is the one format of the paging cursors that hoso's lists
// return as next_cursor and take back as ?cursor=: the base64url (no
// padding) of a small JSON document
//
//	{"v":1,"k":"<list>","p":<the list's key of the last row>}
//
// Clients treat it as opaque. The version lets the format change without
// misreading older cursors, and the list's name keeps a cursor of one list
// (or of one sort order, when a list names its sorts apart) from being
// accepted by another. Cursors are not signed: a client that forges one
// only pages through what its filters and scope already allow.
package cursor
