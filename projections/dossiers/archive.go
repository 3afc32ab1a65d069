package dossiers

import (
	"context"
	"fmt"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/vntext"
	pagecursor "github.com/hoso-ledger/hoso/internal/cursor"
)

// ArchiveSort orders an archive listing.
type ArchiveSort int

const (
	// ArchiveByDeparture (the zero value) lists the latest departures
	// first: by the date the departure took effect, descending, then id.
	ArchiveByDeparture ArchiveSort = iota
	// ArchiveByName lists by folded name, then id.
	ArchiveByName
)

// ArchiveQuery lists the permanent archive: the dossiers that left service
// (retired, resigned, deceased, downsized, contract ended, transferred out
// of the province) and were not brought back. Archived dossiers are never
// deleted. Every filter is optional and they combine with AND; Scope is not
// optional.
type ArchiveQuery struct {
	// Scope and IncludeRevoked are as in Query: an archived dossier is
	// visible through its managing org, or its employing unit unless
	// management was revoked; with IncludeRevoked also through the org that
	// lost management when the dossier was transferred out of the province
	// (the archive of handed-over dossiers, for those entitled to it). An
	// empty Scope finds nothing.
	Scope          []domain.OrgID
	IncludeRevoked bool

	// Text matches the name as in Query.Text (word prefixes, then typos).
	Text string
	// Statuses keeps the dossiers that left with one of these statuses.
	Statuses []dossier.Status
	// LeftFrom and LeftTo bound the date the departure took effect
	// (its effective date), inclusive; zero is open.
	LeftFrom, LeftTo domain.Date
	Classes          []dossier.Class
	ManagingOrgs     []domain.OrgID
	EmployingUnits   []domain.OrgID
	Sexes            []dossier.Gender
	// BornFrom and BornTo bound the birth date, inclusive; zero is open.
	BornFrom, BornTo domain.Date
	CivilServantNo   string
	// PersonalIDNumber finds the dossier by number through its digest.
	PersonalIDNumber string
	pidDigest        string // see Query.pidDigest

	Sort ArchiveSort
	// Limit is the page size, 1..MaxLimit; zero means DefaultLimit.
	Limit int
	// Cursor is ArchivePage.Next of the previous page, or "" for the first.
	Cursor string
}

// ArchivedDossier is an archived dossier's summary (Status is how it left)
// and its departure.
type ArchivedDossier struct {
	Summary
	// DepartureEventID is the event that took the dossier out of service
	// (a status change, or the receipt of a transfer out of the province).
	DepartureEventID uuid.UUID
	// LeftOn is the date the departure took effect; LeftRecordedAt when the
	// ledger recorded it.
	LeftOn         domain.Date
	LeftRecordedAt time.Time
}

// ArchivePage is one page of an archive listing.
type ArchivePage struct {
	Items []ArchivedDossier
	// Next is the cursor of the following page, "" on the last one.
	Next string
}

// archiveCursor is the last row of an archive page in its sort's keys
// (keyset paging, as cursor).
type archiveCursor struct {
	Sort  ArchiveSort `json:"s"`
	Fuzzy bool        `json:"f,omitempty"`
	Name  string      `json:"n,omitempty"`
	Left  string      `json:"l,omitempty"`
	ID    uuid.UUID   `json:"i"`
}

// archiveList names archive cursors, apart from search ones (see
// internal/cursor).
const archiveList = "dossiers.archive"

func (c archiveCursor) encode() string {
	return pagecursor.Encode(archiveList, c)
}

func decodeArchiveCursor(s string, sort ArchiveSort) (archiveCursor, error) {
	var c archiveCursor
	if err := pagecursor.Decode(s, archiveList, &c); err != nil || c.ID == uuid.Nil {
		return archiveCursor{}, fmt.Errorf("%w: malformed archive cursor", ErrInvalid)
	}
	if c.Sort != sort {
		return archiveCursor{}, fmt.Errorf("%w: the cursor belongs to another sort order", ErrInvalid)
	}
	if sort == ArchiveByDeparture {
		if _, err := domain.ParseDate(c.Left); err != nil {
			return archiveCursor{}, fmt.Errorf("%w: malformed archive cursor", ErrInvalid)
		}
	}
	return c, nil
}

// Archive returns one page of the permanent archive that q selects, in
// q.Sort order: each archived dossier once, with the departure that took it
// out of service. A reactivating correction brings a dossier back to active
// service, and it leaves the listing (its departure stays in the register,
// marked reactivated). It returns an error wrapping ErrInvalid
// (domain.ErrInvalid) for a page size outside 1..MaxLimit, an unknown sort,
// a cursor that is not from an archive listing with the same sort, or a
// Text that CheckText refuses.
//
// Text behaves as in Search: word prefixes first, and only when the first
// page finds nobody, the typo-forgiving match, remembered by the cursor.
func Archive(ctx context.Context, db Querier, q ArchiveQuery) (ArchivePage, error) {
	return ArchiveWith(ctx, db, seal.Privacy{}, q)
}

// ArchiveWith is Archive on a read model built WithPrivacy(pv) (see
// SearchWith).
func ArchiveWith(ctx context.Context, db Querier, pv seal.Privacy, q ArchiveQuery) (ArchivePage, error) {
	if q.PersonalIDNumber != "" && pv.TokenKey != nil {
		q.pidDigest = personalIDDigest(pv, strings.TrimSpace(q.PersonalIDNumber))
	}
	page, err := archivePages(ctx, db, q)
	for i := range page.Items {
		openSummary(pv, &page.Items[i].Summary)
	}
	return page, err
}

func archivePages(ctx context.Context, db Querier, q ArchiveQuery) (ArchivePage, error) {
	if err := CheckText(q.Text); err != nil {
		return ArchivePage{}, err
	}
	fuzzy := false
	if q.Cursor != "" {
		c, err := decodeArchiveCursor(q.Cursor, q.Sort)
		if err != nil {
			return ArchivePage{}, err
		}
		fuzzy = c.Fuzzy
	}
	page, err := archive(ctx, db, q, fuzzy)
	if err == nil && !fuzzy && q.Cursor == "" && len(page.Items) == 0 && vntext.Fold(q.Text) != "" {
		return archive(ctx, db, q, true)
	}
	return page, err
}

func archive(ctx context.Context, db Querier, q ArchiveQuery, fuzzy bool) (ArchivePage, error) {
	sql, args, limit, err := archiveSQL(q, fuzzy)
	if err != nil || sql == "" {
		return ArchivePage{}, err
	}
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return ArchivePage{}, fmt.Errorf("dossiers: archive: %w", err)
	}
	defer rows.Close()
	var page ArchivePage
	var lastName string
	for rows.Next() {
		var (
			folded string
			a      ArchivedDossier
			left   time.Time
		)
		s, err := scanSummary(rows, &folded, &a.DepartureEventID, &left, &a.LeftRecordedAt)
		if err != nil {
			return ArchivePage{}, fmt.Errorf("dossiers: archive: %w", err)
		}
		if len(page.Items) == limit {
			last := page.Items[limit-1]
			page.Next = archiveCursor{Sort: q.Sort, Fuzzy: fuzzy, Name: lastName, Left: last.LeftOn.String(), ID: uuid.UUID(last.ID)}.encode()
			break
		}
		a.Summary = s
		a.LeftOn, _ = domain.NewDate(left.Year(), left.Month(), left.Day())
		page.Items = append(page.Items, a)
		lastName = folded
	}
	if err := rows.Err(); err != nil {
		return ArchivePage{}, fmt.Errorf("dossiers: archive: %w", err)
	}
	return page, nil
}

// archiveSQL builds Archive's statement; "" when nothing can match.
//
// It joins each archived dossier with its open departure: the register
// entry not undone by a reactivation. A dossier has at most one (it can
// leave service only from active service, and comes back only by a
// correction that marks the departure reactivated), so the join neither
// drops nor repeats archived dossiers; TestCountsAgree checks the counts on
// a demo province.
func archiveSQL(q ArchiveQuery, fuzzy bool) (sql string, args []any, limit int, err error) {
	limit, err = pageSize(q.Limit)
	if err != nil {
		return "", nil, 0, err
	}
	if q.Sort != ArchiveByDeparture && q.Sort != ArchiveByName {
		return "", nil, 0, fmt.Errorf("%w: unknown archive sort %d", ErrInvalid, q.Sort)
	}
	var b builder
	ok, err := filter(&b, Query{
		Scope: q.Scope, IncludeRevoked: q.IncludeRevoked, Text: q.Text, Archive: ArchivedOnly,
		Statuses: q.Statuses, Classes: q.Classes, ManagingOrgs: q.ManagingOrgs, EmployingUnits: q.EmployingUnits,
		Sexes: q.Sexes, BornFrom: q.BornFrom, BornTo: q.BornTo, CivilServantNo: q.CivilServantNo,
		PersonalIDNumber: q.PersonalIDNumber, pidDigest: q.pidDigest,
	}, fuzzy)
	if err != nil || !ok {
		return "", nil, 0, err
	}
	if !q.LeftFrom.IsZero() {
		b.add("a.left_on >= " + b.arg(q.LeftFrom.String()) + "::date")
	}
	if !q.LeftTo.IsZero() {
		b.add("a.left_on <= " + b.arg(q.LeftTo.String()) + "::date")
	}
	if q.Cursor != "" {
		c, err := decodeArchiveCursor(q.Cursor, q.Sort)
		if err != nil {
			return "", nil, 0, err
		}
		switch q.Sort {
		case ArchiveByDeparture:
			b.add("(a.left_on, d.dossier_id) < (" + b.arg(c.Left) + "::date, " + b.arg(c.ID) + "::uuid)")
		case ArchiveByName:
			b.add("(d.name_folded, d.dossier_id) > (" + b.arg(c.Name) + "::text COLLATE \"C\", " + b.arg(c.ID) + "::uuid)")
		}
	}
	order := "a.left_on DESC, d.dossier_id DESC"
	if q.Sort == ArchiveByName {
		order = "d.name_folded, d.dossier_id"
	}
	sql = `SELECT ` + prefixed(summaryColumns) + `, d.name_folded, a.event_id, a.left_on, a.recorded_at
  FROM ` + ViewDossiers + ` AS d
  JOIN ` + ViewArchive + ` AS a ON a.dossier_id = d.dossier_id AND a.reactivated_by IS NULL
 WHERE ` + strings.Join(b.where, "\n  AND ") + "\nORDER BY " + order + " LIMIT " + strconv.Itoa(limit+1)
	return sql, b.args, limit, nil
}
