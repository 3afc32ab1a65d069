// Package catalog holds the reference catalogues that catalogued dossier
// fields must draw from — civil-service ranks, professional titles, job
// positions, ethnicities, religions, qualification levels, places… — as
// versioned data, not code.
//
// Free text does not sync to the national database, and the catalogues are
// kept centrally by the Department of Home Affairs (Phú Thọ art. 14.2), so
// every catalogue is a JSON file in data/ with its own version, embedded in
// the binary and loaded once into an immutable *Catalog (Default). A
// province may override whole catalogues with a file of the same shape
// (Parse); the result is a new *Catalog, and Default is never changed.
//
// # Codes that change
//
// Codes are never reused for something else and never removed: a dossier
// written in 2010 must still validate. A retired entry keeps its code and
// may name a Successor in the same catalogue; Resolve follows the chain to
// the entry in force. The 2025 reform is the main case: the 63 provinces
// before 1 July 2025 are kept under codes "pre2025-NN" (many old codes are
// now the code of a different, merged province: 82 was Tiền Giang and is now
// Đồng Tháp) and each resolves to one of the 34 provinces after it.
//
// # Places by date
//
// People write official codes, not "pre2025-" keys, so the place catalogue
// is also read by date (place.go): PlaceOn("82", d) is Tiền Giang for a d
// before 1 July 2025 and Đồng Tháp after; Successor(code, recorded) follows
// the lineage to the unit in force today, and SuccessorsOn answers for an
// old ward split between several new ones. The commune and ward list after
// the reform is not embedded (no official file could be verified when this
// was written); LoadPlaces parses the official CSV and WithPlaces adds it
// to a Catalog, linking each new unit to the old ones it was formed from.
// See docs/catalog.md for the sources and the reading of the dates.
//
// # Which codes are official
//
// Ranks, professional titles, ethnicities and provinces carry the official
// codes (see each file's "source"). Job positions, religions and the level
// catalogues have no single national code list that we could confirm; their
// codes are hoso's own stable identifiers, documented in their files.
//
// # File shape
//
//	{"kind": "rank", "version": "2025.07.01", "source": "…",
//	 "entries": [{"code": "01.003", "name": "Chuyên viên", "group": "chuyen_vien",
//	              "parent": "", "successor": "", "valid_from": "", "valid_until": "", "note": ""}]}
//
// Names are stored in Unicode NFC. Unknown fields are refused, so a typo in
// an override file is an error rather than a silently ignored setting.
package catalog
