// Package nationalsync holds the events of the delivery of approved months
// to the national database of cadres, civil servants and public employees
// (Decree 27/2026/NĐ-CP; Circular 06/2023/TT-BNV; Tiền Giang art. 11.3, 12)
// and the fold that says where one package stands.
//
// One package covers one unit-month approved at both levels: a unit
// approval (level 1) covered by a department approval (level 2) or one of
// its supplements. Its stream is "sync-<package id>"; the id is a hash of
// what it covers (PackageID), so the same approval always yields the same
// package and a repeated delivery is recognised by the receiver.
//
// The package's body is not stored in any event: it is rebuilt from the
// ledger (the approvals and the events they list), so no personal data is
// copied out of the dossiers' own streams.
package nationalsync
