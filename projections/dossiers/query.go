package dossiers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/vntext"
	pagecursor "github.com/hoso-ledger/hoso/internal/cursor"
)

// Querier is what the query functions need: a *pgxpool.Pool, a *pgx.Conn or
// a pgx.Tx whose search_path sees the views.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// ErrNotFound: no dossier has that id in the read model. It wraps
// domain.ErrNotFound.
var ErrNotFound = fmt.Errorf("dossiers: %w", domain.ErrNotFound)

// ErrInvalid: a malformed query (page size out of range, a cursor that is
// not one of ours or belongs to another sort). It wraps domain.ErrInvalid.
var ErrInvalid = fmt.Errorf("dossiers: %w", domain.ErrInvalid)

// Summary is a dossier's key columns: what a result list shows and filters on.
type Summary struct {
	ID      domain.DossierID
	Version uint64
	Status  dossier.Status
	// Archived: the dossier left active service and is in the permanent archive.
	Archived bool
	Class    dossier.Class
	// ManagingOrg is nil once management was revoked (transfer out of the
	// province); ManagementRevoked then says so.
	ManagingOrg        *domain.OrgID
	ManagementRevoked  bool
	EmployingUnit      domain.OrgID
	FullName           string
	BirthDate          domain.Date
	Sex                dossier.Gender
	Ethnicity          string
	Religion           string
	Rank               string
	Title              string
	JobPosition        string
	Qualification      string
	PoliticalTheory    string
	StateManagement    string
	ITLevel            string
	Languages          []string
	LanguageLevels     []string // same order as Languages
	PartyMember        bool
	CivilServantNumber string
	// PersonalIDDigest is dossier.PersonalIDDigest of the number; the read
	// model never holds the number itself.
	PersonalIDDigest  string
	CreatedAt         time.Time // recorded_at of the creation
	UpdatedAt         time.Time // recorded_at of the last change to the document
	LastRecordedAt    time.Time // recorded_at of the last event of the dossier
	LastEffectiveDate domain.Date
}

// Dossier is a summary with the full document. Document.Header's
// PersonalIDNumber is always empty: the number is read from the ledger by
// those entitled to it.
type Dossier struct {
	Summary
	Document dossier.Document
}

const summaryColumns = `dossier_id, version, status, archived, class, managing_org, management_revoked,
    employing_unit, full_name, birth_date, sex, ethnicity, religion, rank, title, job_position, qualification,
    political_theory, state_management, it_level, languages, language_levels, party_member,
    civil_servant_number, personal_id_digest, created_at, updated_at, last_recorded_at, last_effective_date`

// scanSummary reads summaryColumns, then extra.
func scanSummary(row pgx.Row, extra ...any) (Summary, error) {
	var (
		s                    Summary
		id, unit             uuid.UUID
		managing             *uuid.UUID
		ver                  int64
		status, class, sex   string
		birth                *time.Time
		lastEff              time.Time
		langs, levels        []string
		dest                 []any
		classErr, statusErr  error
		birthDate, effective domain.Date
	)
	dest = append(dest, &id, &ver, &status, &s.Archived, &class, &managing, &s.ManagementRevoked,
		&unit, &s.FullName, &birth, &sex, &s.Ethnicity, &s.Religion, &s.Rank, &s.Title, &s.JobPosition,
		&s.Qualification, &s.PoliticalTheory, &s.StateManagement, &s.ITLevel, &langs, &levels, &s.PartyMember,
		&s.CivilServantNumber, &s.PersonalIDDigest, &s.CreatedAt, &s.UpdatedAt, &s.LastRecordedAt, &lastEff)
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return Summary{}, err
	}
	s.ID, s.Version, s.EmployingUnit = domain.DossierID(id), uint64(ver), domain.OrgID(unit)
	if managing != nil {
		org := domain.OrgID(*managing)
		s.ManagingOrg = &org
	}
	s.Status, statusErr = dossier.ParseStatus(status)
	s.Class, classErr = dossier.ParseClass(class)
	if err := errors.Join(statusErr, classErr); err != nil {
		return Summary{}, fmt.Errorf("dossiers: stored row of %s: %w", id, err)
	}
	if birth != nil {
		birthDate, _ = domain.NewDate(birth.Year(), birth.Month(), birth.Day())
	}
	effective, _ = domain.NewDate(lastEff.Year(), lastEff.Month(), lastEff.Day())
	s.BirthDate, s.LastEffectiveDate, s.Sex = birthDate, effective, dossier.Gender(sex)
	s.Languages, s.LanguageLevels = langs, levels
	return s, nil
}

// Get returns the dossier with the given id, archived or not, or an error
// wrapping ErrNotFound (and so domain.ErrNotFound). It does not check
// access: the caller decides with the returned orgs.
func Get(ctx context.Context, db Querier, id domain.DossierID) (Dossier, error) {
	return GetWith(ctx, db, seal.Privacy{}, id)
}

// GetWith is Get from a read model built WithPrivacy(pv): the document is
// opened, and the summary's sensitive columns are read from it.
func GetWith(ctx context.Context, db Querier, pv seal.Privacy, id domain.DossierID) (Dossier, error) {
	var doc []byte
	row := db.QueryRow(ctx, `SELECT `+summaryColumns+`, document FROM `+ViewDossiers+` WHERE dossier_id = $1`, uuid.UUID(id))
	s, err := scanSummary(row, &doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return Dossier{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Dossier{}, fmt.Errorf("dossiers: get %s: %w", id, err)
	}
	d := Dossier{Summary: s}
	if doc, err = pv.Open(ctx, id.StreamID(), DocumentPurpose, doc); err != nil {
		return Dossier{}, fmt.Errorf("dossiers: stored document of %s: %w", id, err)
	}
	if err := json.Unmarshal(doc, &d.Document); err != nil {
		return Dossier{}, fmt.Errorf("dossiers: stored document of %s: %w", id, err)
	}
	d.Ethnicity, d.Religion = d.Document.Identity.Ethnicity, d.Document.Identity.Religion
	return d, nil
}

// ArchiveFilter picks active dossiers, archived ones or both.
type ArchiveFilter int

const (
	// ActiveOnly (the zero value) keeps dossiers in active service.
	ActiveOnly ArchiveFilter = iota
	// ArchivedOnly keeps the permanent archive: dossiers that left service.
	ArchivedOnly
	// ActiveAndArchived keeps both.
	ActiveAndArchived
)

// Sort orders a search.
type Sort int

const (
	// SortName (the zero value) orders by folded name, then id.
	SortName Sort = iota
	// SortUpdatedAt orders by the last change to the document, newest first.
	SortUpdatedAt
)

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Query is a search. Every filter is optional; slices match any of their
// values; filters combine with AND. Scope is not optional.
type Query struct {
	// Scope lists the orgs whose dossiers the caller may see, subtrees
	// already expanded by the caller. A dossier is in scope when its
	// managing org or (unless management was revoked) its employing unit is
	// listed. An empty Scope finds nothing.
	Scope []domain.OrgID
	// IncludeRevoked also finds dossiers whose management was revoked
	// (transferred out of the province) when the org that lost it is in
	// Scope; for those entitled to read the archive of handed-over dossiers.
	IncludeRevoked bool

	// Text matches the full name ignoring case and diacritics ("đ" is "d"):
	// every word of Text must begin a word of the name ("nguyen an" finds
	// "Nguyễn Văn An", "ngu" finds every Nguyễn). When no name matches so,
	// typos are forgiven: the whole Text must be similar to the name
	// (trigrams) and every word within a small edit distance of one of its
	// words ("ngyuen van an" finds "Nguyễn Văn An").
	Text string

	Archive        ArchiveFilter
	IDs            []domain.DossierID
	Statuses       []dossier.Status
	Classes        []dossier.Class
	ManagingOrgs   []domain.OrgID
	EmployingUnits []domain.OrgID
	Sexes          []dossier.Gender
	// BornFrom and BornTo bound the birth date, inclusive; zero is open.
	BornFrom, BornTo  domain.Date
	Ethnicities       []string
	Religions         []string
	Ranks             []string
	Titles            []string
	JobPositions      []string
	JobPositionGroup  []string // the codes of one job position group (the API expands job_position_group=); narrows JobPositions
	Qualifications    []string
	PoliticalTheories []string
	StateManagements  []string
	ITLevels          []string
	Languages         []string // any of the person's languages
	LanguageLevels    []string // any of the person's language levels
	PartyMember       *bool
	CivilServantNo    string
	// PersonalIDNumber finds the dossier by number through its digest.
	PersonalIDNumber string
	// pidDigest is the number's digest when SearchWith keyed it.
	pidDigest string
	// UpdatedFrom and UpdatedTo bound UpdatedAt (from inclusive, to exclusive).
	UpdatedFrom, UpdatedTo time.Time

	Sort Sort
	// Limit is the page size, 1..MaxLimit; zero means DefaultLimit.
	Limit int
	// Cursor is Page.Next of the previous page, or "" for the first.
	Cursor string
}

// Page is one page of results.
type Page struct {
	Items []Summary
	// Next is the cursor of the following page, "" on the last one.
	Next string
}

// cursor is the last row of a page, in the sort's keys. It is keyset
// paging: the next page starts strictly after this key, so rows inserted
// meanwhile neither shift nor repeat what follows (a row whose sort key
// itself changes between pages may be seen twice or not at all).
type cursor struct {
	Sort    Sort      `json:"s"`
	Fuzzy   bool      `json:"f,omitempty"` // the pages are of the typo-forgiving match
	Near    bool      `json:"r,omitempty"` // … narrowed to all words but one (mode.near)
	Name    string    `json:"n,omitempty"`
	Updated time.Time `json:"u,omitzero"`
	ID      uuid.UUID `json:"i"`
}

// searchList names search cursors (see internal/cursor).
const searchList = "dossiers.search"

func (c cursor) encode() string {
	return pagecursor.Encode(searchList, c)
}

func decodeCursor(s string, sort Sort) (cursor, error) {
	var c cursor
	if err := pagecursor.Decode(s, searchList, &c); err != nil || c.ID == uuid.Nil {
		return cursor{}, fmt.Errorf("%w: malformed cursor", ErrInvalid)
	}
	if c.Sort != sort {
		return cursor{}, fmt.Errorf("%w: the cursor belongs to another sort order", ErrInvalid)
	}
	return c, nil
}

// builder accumulates a WHERE clause and its arguments.
type builder struct {
	where []string
	args  []any
	// textOutside leaves the text out of filter: searchSQL applies it
	// around the window.
	textOutside bool
	// near narrows a fuzzy text condition (mode.near).
	near bool
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	return "$" + strconv.Itoa(len(b.args))
}

func (b *builder) add(cond string) { b.where = append(b.where, cond) }

func (b *builder) anyOf(column string, values []string) {
	if len(values) > 0 {
		b.add(column + " = ANY(" + b.arg(values) + "::text[])")
	}
}

func (b *builder) anyUUID(column string, values []uuid.UUID) {
	if len(values) > 0 {
		b.add(column + " = ANY(" + b.arg(values) + "::uuid[])")
	}
}

func orgUUIDs(ids []domain.OrgID) []uuid.UUID {
	out := make([]uuid.UUID, len(ids))
	for i, id := range ids {
		out[i] = uuid.UUID(id)
	}
	return out
}

func stringsOf[T interface{ String() string }](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.String()
	}
	return out
}

// escapeLike quotes LIKE's wildcards (the default escape is backslash).
func escapeLike(s string) string { return likeEscaper.Replace(s) }

// likeEscaper is built once: building a Replacer was most of what a
// search's text conditions allocated.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// The bounds of Query.Text. A full Vietnamese name is under 100
// characters, of a few words (ethnic-minority and compound family names
// included) none longer than 7 letters; these leave room for a name typed
// twice, words run together or a foreign name, and keep the typo search's
// work (about 54 one-edit variants a letter for a one-word search, each as
// long as the word) to a few hundred kilobytes and a few thousand index
// lookups. A 1,000-letter word once cost half a gigabyte and the request's
// whole timeout.
const (
	MaxTextRunes = 200 // characters (Unicode code points) of the whole text
	MaxTextWords = 10  // words
	MaxWordRunes = 40  // letters of one word, diacritics removed
)

// TextError is CheckText's refusal: Rule is "length", "word_count" or
// "word_length". It wraps ErrInvalid.
type TextError struct {
	Rule, Detail string
}

func (e *TextError) Error() string { return "dossiers: search text: " + e.Detail }

func (e *TextError) Unwrap() error { return ErrInvalid }

// CheckText returns a *TextError when text exceeds the bounds of a name
// search (MaxTextRunes, MaxTextWords, MaxWordRunes), nil otherwise. Its
// cost is linear in len(text); the whole length is checked first, so a
// hostile text is refused after one count.
func CheckText(text string) error {
	if n := utf8.RuneCountInString(text); n > MaxTextRunes {
		return &TextError{Rule: "length", Detail: fmt.Sprintf("at most %d characters (a name is far shorter); this has %d", MaxTextRunes, n)}
	}
	words := strings.Fields(vntext.Fold(text))
	if len(words) > MaxTextWords {
		return &TextError{Rule: "word_count", Detail: fmt.Sprintf("at most %d words; this has %d", MaxTextWords, len(words))}
	}
	for _, w := range words {
		if n := utf8.RuneCountInString(w); n > MaxWordRunes {
			return &TextError{Rule: "word_length", Detail: fmt.Sprintf("at most %d letters a word; one has %d", MaxWordRunes, n)}
		}
	}
	return nil
}

// maxEdits is how many edits a typed word of n letters may be from the
// name's word and still match: none for one or two letters (they would match
// nearly everyone), one up to five, two beyond.
func maxEdits(n int) int {
	switch {
	case n <= 2:
		return 0
	case n <= 5:
		return 1
	}
	return 2
}

// Search returns one page of the dossiers that q selects, in q.Sort order.
// It returns an error wrapping ErrInvalid (domain.ErrInvalid) for a page size
// outside 1..MaxLimit, a cursor that is not from a search with the same
// sort, or a Text that CheckText refuses (a *TextError).
//
// Text is matched by word prefixes first; only when that finds nobody (on
// the first page) is the typo-forgiving match tried, and the cursor keeps
// the mode for the following pages. Exact hits are thus never buried under
// look-alikes, and the costlier similarity match runs only when needed.
func Search(ctx context.Context, db Querier, q Query) (Page, error) {
	return searchIn(ctx, db, q, nameWindow)
}

// SearchWith is Search on a read model built WithPrivacy(pv): the
// sensitive filters are turned into its tokens, and the tokens of the
// results back into catalogue codes.
func SearchWith(ctx context.Context, db Querier, pv seal.Privacy, q Query) (Page, error) {
	q = privateQuery(pv, q)
	page, err := searchIn(ctx, db, q, nameWindow)
	for i := range page.Items {
		openSummary(pv, &page.Items[i])
	}
	return page, err
}

func privateQuery(pv seal.Privacy, q Query) Query {
	if pv.TokenKey == nil {
		return q
	}
	q.Ethnicities, q.Religions = pv.Tokens("ethnicity", q.Ethnicities), pv.Tokens("religion", q.Religions)
	if q.PersonalIDNumber != "" {
		q.pidDigest = personalIDDigest(pv, strings.TrimSpace(q.PersonalIDNumber))
	}
	return q
}

// openSummary turns the tokens of a summary back into catalogue codes
// (catalog.Default()'s ethnicities and religions); a value outside the
// catalogue reads as empty.
func openSummary(pv seal.Privacy, s *Summary) {
	if pv.TokenKey == nil {
		return
	}
	s.Ethnicity = pv.Reverse("ethnicity", s.Ethnicity, catalogCodes(catalog.KindEthnicity))
	s.Religion = pv.Reverse("religion", s.Religion, catalogCodes(catalog.KindReligion))
}

func catalogCodes(kind string) func() []string {
	return func() []string {
		var out []string
		for _, e := range catalog.Default().Entries(kind) {
			out = append(out, e.Code)
		}
		return out
	}
}

// searchIn is Search with the name windows of window rows (0: none, the
// indexed searches alone).
func searchIn(ctx context.Context, db Querier, q Query, window int) (Page, error) {
	if err := CheckText(q.Text); err != nil {
		return Page{}, err
	}
	var m mode
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return Page{}, err
		}
		m = mode{fuzzy: c.Fuzzy, near: c.Near}
	}
	page, err := searchWith(ctx, db, q, m, window)
	folded := vntext.Fold(q.Text)
	if err != nil || m.fuzzy || q.Cursor != "" || len(page.Items) > 0 || folded == "" {
		return page, err
	}
	if nearApplies(folded) {
		page, err := searchWith(ctx, db, q, mode{fuzzy: true, near: true}, window)
		if err != nil || len(page.Items) > 0 {
			return page, err
		}
	}
	return searchWith(ctx, db, q, mode{fuzzy: true}, window)
}

// mode is how the text matches: by word prefixes, or forgiving typos
// (fuzzy); near narrows the typo-forgiving match to names where all but
// one of the typed words begin a word of the name (see textCondition).
type mode struct{ fuzzy, near bool }

func searchWith(ctx context.Context, db Querier, q Query, m mode, window int) (Page, error) {
	if window > 0 && q.Sort == SortName && len(strings.Fields(vntext.Fold(q.Text))) == 1 {
		var page Page
		var done bool
		var err error
		switch {
		case !m.fuzzy:
			page, done, err = searchWindow(ctx, db, q, window)
		case m.near:
			page, done, err = searchNearOneWord(ctx, db, q, window)
		}
		if err != nil || done {
			return page, err
		}
	}
	return searchPage(ctx, db, q, m, 0)
}

// nameWindow is how many dossiers, in name order, searchWindow looks at.
const nameWindow = 2000

// searchWindow answers a one-word search by name w from two parts: the
// matches among the names that sort before w (they match through a later
// word: few, found with the word index), and the matches among the first
// window (nameWindow) dossiers from w on in name order, read from the name
// index, where the names that begin with w are. Every match outside both
// sorts after the last dossier the window read, so when the two hold a
// page and one more, the page is exactly the indexed search's. A word as
// common as "ngu" (a third of a province) otherwise made PostgreSQL fetch
// and sort every match to return fifty. full is false when they held
// fewer: the caller then runs the indexed search.
func searchWindow(ctx context.Context, db Querier, q Query, window int) (page Page, full bool, err error) {
	page, err = searchPage(ctx, db, q, mode{}, window)
	if err != nil {
		return Page{}, false, err
	}
	return page, page.Next != "", nil
}

func searchPage(ctx context.Context, db Querier, q Query, m mode, window int) (Page, error) {
	sql, args, limit, err := searchSQL(q, m, window)
	if err != nil || sql == "" {
		return Page{}, err
	}
	if window > 0 {
		// Planned for this word every time: a cached statement's generic
		// plan cannot see where the word falls in the name order, and
		// after five runs PostgreSQL keeps the generic plan, which fetched
		// every match again (50 ms for "ngu" against 12).
		args = append([]any{pgx.QueryExecModeDescribeExec}, args...)
	}
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return Page{}, fmt.Errorf("dossiers: search: %w", err)
	}
	defer rows.Close()
	var page Page
	var lastName string
	for rows.Next() {
		var folded string
		s, err := scanSummary(rows, &folded)
		if err != nil {
			return Page{}, fmt.Errorf("dossiers: search: %w", err)
		}
		if len(page.Items) == limit {
			last := page.Items[limit-1]
			page.Next = cursor{Sort: q.Sort, Fuzzy: m.fuzzy, Near: m.near, Name: lastName, Updated: last.UpdatedAt, ID: uuid.UUID(last.ID)}.encode()
			break
		}
		page.Items = append(page.Items, s)
		lastName = folded
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("dossiers: search: %w", err)
	}
	return page, nil
}

// textCondition matches the folded name against folded text. The prefix
// match wants every word to begin a word of the name; the plain LIKE on the
// column lets the trigram index narrow the rows before the word-boundary
// recheck. The fuzzy match wants the whole text similar to the name (pg_trgm
// `%`, indexed) and every word within a small edit distance of a word of the
// name (fuzzystrmatch), so "Nguyễn Văn Bình" stays out of a search for
// "nguyen van an" although the two names share most of their trigrams.
func textCondition(b *builder, folded string, fuzzy bool) string {
	words := strings.Fields(folded)
	conds := make([]string, 0, 2*len(words)+2)
	if fuzzy && b.near {
		q, _ := nearQuery(words)
		conds = append(conds, "to_tsvector('simple', d.name_folded) @@ to_tsquery('simple', "+b.arg(q)+")")
	} else if fuzzy {
		conds = append(conds, "d.name_folded % "+b.arg(folded))
	} else if q, ok := prefixQuery(words); ok {
		// Indexed prefilter: every word begins a token of the name. The
		// LIKE conditions below stay the definition of a match.
		conds = append(conds, "to_tsvector('simple', d.name_folded) @@ to_tsquery('simple', "+b.arg(q)+")")
	}
	for _, w := range words {
		if fuzzy {
			conds = append(conds, fuzzyWordCondition(b, w))
			continue
		}
		conds = append(conds, "d.name_folded LIKE "+b.arg("%"+escapeLike(w)+"%"))
	}
	if !fuzzy {
		conds = append(conds, wordsCondition(b, folded))
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}

// fuzzyWordCondition is the definition of a typo-forgiving match of one
// typed word w: some word of the name begins with w, is within maxEdits of
// it, or is w with two neighbouring letters swapped.
func fuzzyWordCondition(b *builder, w string) string {
	return "EXISTS (SELECT 1 FROM unnest(string_to_array(d.name_folded, ' ')) AS n(w) WHERE " + nearWord(b, "n.w", w) + ")"
}

// nearWord is the condition that the name word in column col matches the
// typed word w forgivingly (see fuzzyWordCondition).
func nearWord(b *builder, col, w string) string {
	return fmt.Sprintf("starts_with(%[1]s, %[2]s) OR levenshtein_less_equal(%[1]s, %[2]s, %[3]d) <= %[3]d OR %[1]s = ANY(%[4]s::text[])",
		col, b.arg(w), maxEdits(utf8.RuneCountInString(w)), b.arg(transpositions(w)))
}

// transpositions are w with two neighbouring letters swapped, for words of
// three letters or more: the commonest typo, which edit distance counts as
// two edits ("trna" is two from "tran", over the one a four-letter word is
// allowed).
func transpositions(w string) []string {
	r := []rune(w)
	out := []string{}
	if len(r) < 3 {
		return out
	}
	for i := 0; i+1 < len(r); i++ {
		if r[i] == r[i+1] {
			continue
		}
		r[i], r[i+1] = r[i+1], r[i]
		out = append(out, string(r))
		r[i], r[i+1] = r[i+1], r[i]
	}
	return out
}

// wordsCondition is the definition of a prefix match (see textCondition)
// without the indexed prefilter: every word of folded begins a word of the
// name.
func wordsCondition(b *builder, folded string) string {
	var conds []string
	for _, w := range strings.Fields(folded) {
		conds = append(conds, "(' ' || d.name_folded) LIKE "+b.arg("% "+escapeLike(w)+"%"))
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}

// nearApplies says whether folded can be searched in mode.near, as
// nearQuery's ok, without building the query.
func nearApplies(folded string) bool {
	words := strings.Fields(folded)
	switch {
	case len(words) == 1:
		_, ok := prefixQuery(words)
		return ok && maxEdits(len(words[0])) > 0
	case len(words) < 2:
		return false
	}
	_, ok := prefixQuery(words)
	return ok
}

// oneEditAway is the tsquery of every word one edit (a letter deleted,
// replaced or added, or two neighbours swapped) from w, each as a prefix:
// the word index then finds the names a one-word search with a typo means
// ("ngyuen" → nguyen:*), which the similarity of the whole name, one word
// of three, does not reach. About 350 terms for a six-letter word, each a
// lookup in the index. ok is false for words prefixQuery cannot take or
// shorter than three letters (they allow no edit).
func oneEditAway(w string) (string, bool) {
	variants, ok := oneEditVariants(w)
	if !ok {
		return "", false
	}
	// A variant that begins with another adds no name to the other's
	// prefix match.
	prefixes := prefixMinimal(variants)
	var q strings.Builder
	q.Grow(len(prefixes) * (len(w) + 4))
	for i, v := range prefixes {
		if i > 0 {
			q.WriteString(" | ")
		}
		q.WriteString(v)
		q.WriteString(":*")
	}
	return q.String(), true
}

// oneEditVariants are w and every word one edit from it (see oneEditAway),
// each once, in byte order. There are about 54 per letter of w, each about
// as long as w: their bytes grow with the square of w's length, which
// CheckText bounds (MaxWordRunes). They are written into one arena and
// sorted, so a call allocates a few times rather than once per candidate
// (a 1,000-letter word once took half a gigabyte here).
func oneEditVariants(w string) ([]string, bool) {
	if _, ok := prefixQuery([]string{w}); !ok || maxEdits(len(w)) == 0 {
		return nil, false
	}
	const letters = "abcdefghijklmnopqrstuvwxyz"
	n := len(w) // ASCII: prefixQuery took it
	candidates := 1 + (n+1)*len(letters) + n + n*len(letters) + n
	arena := make([]byte, 0, candidates*(n+1))
	ends := make([]int, 0, candidates)
	add := func(b []byte) {
		arena = b
		ends = append(ends, len(arena))
	}
	add(append(arena, w...))
	for i := range n + 1 {
		for c := range len(letters) {
			add(append(append(append(arena, w[:i]...), letters[c]), w[i:]...)) // insertion
		}
		if i == n {
			break
		}
		if n > 1 {
			add(append(append(arena, w[:i]...), w[i+1:]...)) // deletion
		}
		for c := range len(letters) {
			add(append(append(append(arena, w[:i]...), letters[c]), w[i+1:]...)) // substitution
		}
		if i+1 < n {
			add(append(append(append(arena, w[:i]...), w[i+1], w[i]), w[i+2:]...)) // transposition
		}
	}
	all := string(arena) // one copy; every variant is a slice of it
	out := make([]string, len(ends))
	start := 0
	for i, end := range ends {
		out[i], start = all[start:end], end
	}
	slices.Sort(out)
	return slices.Compact(out), true
}

// nearQuery is the tsquery "names where all words but one begin a word":
// for "a b c", (b:* & c:*) | (a:* & c:*) | (a:* & b:*). A typo mostly
// spoils one word of a name; this finds its candidates in the word index
// (a few hundred names for "ngyuen thi huong" in a 50,000-dossier
// province, against 20,000 that share a third of its trigrams), and the
// edit-distance conditions still decide. When it finds nobody, the
// trigram match runs.
//
// A single word has no other word to lean on: its query is oneEditAway's.
func nearQuery(words []string) (string, bool) {
	if len(words) == 1 {
		return oneEditAway(words[0])
	}
	if len(words) < 2 {
		return "", false
	}
	alts := make([]string, len(words))
	for i := range words {
		rest := slices.Concat(words[:i:i], words[i+1:])
		q, ok := prefixQuery(rest)
		if !ok {
			return "", false
		}
		alts[i] = "(" + q + ")"
	}
	return strings.Join(alts, " | "), true
}

// prefixQuery is the tsquery "w1:* & w2:* …" for words made of ASCII
// letters and digits only, which the simple parser keeps as they are (so
// a name word that begins with w has a token that begins with w, and the
// query finds at least what the LIKE conditions find); ok is false for any
// other word, and the search goes without the prefilter.
func prefixQuery(words []string) (string, bool) {
	parts := make([]string, len(words))
	for i, w := range words {
		for _, r := range w {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
				return "", false
			}
		}
		parts[i] = w + ":*"
	}
	return strings.Join(parts, " & "), len(parts) > 0
}

// prefixed qualifies a column list with the alias d.
func prefixed(cols string) string {
	parts := strings.Split(cols, ",")
	for i, p := range parts {
		parts[i] = "d." + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// searchSQL builds Search's statement; it returns "" when the query can
// match nothing (an empty scope).
//
// With window > 0 the filters other than the text select the first window
// dossiers in q.Sort order, and the text is matched among those only (see
// searchWindow).
func searchSQL(q Query, m mode, window int) (sql string, args []any, limit int, err error) {
	limit, err = pageSize(q.Limit)
	if err != nil {
		return "", nil, 0, err
	}
	if q.Sort != SortName && q.Sort != SortUpdatedAt {
		return "", nil, 0, fmt.Errorf("%w: unknown sort %d", ErrInvalid, q.Sort)
	}
	b := builder{textOutside: window > 0, near: m.near}
	if ok, err := filter(&b, q, m.fuzzy); err != nil || !ok {
		return "", nil, 0, err
	}
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, q.Sort)
		if err != nil {
			return "", nil, 0, err
		}
		switch q.Sort {
		case SortName:
			b.add(nameAfter(&b, c))
		case SortUpdatedAt:
			b.add("(d.updated_at, d.dossier_id) < (" + b.arg(c.Updated) + "::timestamptz, " + b.arg(c.ID) + "::uuid)")
		}
	}
	order := "d.name_folded, d.dossier_id"
	if q.Sort == SortUpdatedAt {
		order = "d.updated_at DESC, d.dossier_id DESC"
	}
	sql = `SELECT ` + prefixed(summaryColumns) + `, d.name_folded FROM ` + ViewDossiers + ` AS d WHERE ` +
		strings.Join(b.where, "\n  AND ") + "\nORDER BY " + order + " LIMIT " + strconv.Itoa(limit+1)
	if window > 0 {
		// Names before the word in name order match only through a later
		// word (few; the word index finds them); from the word on, the
		// window is read in name order.
		folded := vntext.Fold(q.Text)
		word := b.arg(folded)
		where := strings.Join(b.where, "\n  AND ")
		lim := " LIMIT " + strconv.Itoa(limit+1)
		sql = `SELECT * FROM ((SELECT ` + prefixed(summaryColumns) + `, d.name_folded FROM ` + ViewDossiers + ` AS d WHERE ` + where +
			"\n  AND d.name_folded < " + word + " AND " + textCondition(&b, folded, false) + "\nORDER BY " + order + lim + `)
UNION ALL
(SELECT ` + prefixed(summaryColumns) + `, d.name_folded FROM (SELECT ` + summaryColumns + `, name_folded FROM ` + ViewDossiers + ` AS d WHERE ` + where +
			"\n  AND d.name_folded >= " + word + "\nORDER BY " + order + " LIMIT " + strconv.Itoa(window) + `) AS d
WHERE ` + wordsCondition(&b, folded) + "\nORDER BY " + order + lim + `)) AS d
ORDER BY ` + order + lim
	}
	return sql, b.args, limit, nil
}

// pageSize checks a requested page size; zero is DefaultLimit.
func pageSize(n int) (int, error) {
	if n == 0 {
		n = DefaultLimit
	}
	if n < 1 || n > MaxLimit {
		return 0, fmt.Errorf("%w: limit %d is outside 1..%d", ErrInvalid, n, MaxLimit)
	}
	return n, nil
}

// filter adds q's scope and filters (not its cursor or order) on the
// dossiers view aliased d. It reports false when the query can match
// nothing (an empty scope).
func filter(b *builder, q Query, fuzzy bool) (bool, error) {
	if len(q.Scope) == 0 {
		return false, nil // nothing is in an empty scope
	}
	scope := b.arg(orgUUIDs(q.Scope))
	visible := "d.managing_org = ANY(" + scope + "::uuid[]) OR (NOT d.management_revoked AND d.employing_unit = ANY(" + scope + "::uuid[]))"
	if q.IncludeRevoked {
		visible += " OR (d.management_revoked AND d.revoked_org = ANY(" + scope + "::uuid[]))"
	}
	b.add("(" + visible + ")")
	switch q.Archive {
	case ActiveOnly:
		b.add("NOT d.archived")
	case ArchivedOnly:
		b.add("d.archived")
	case ActiveAndArchived:
	default:
		return false, fmt.Errorf("%w: unknown archive filter %d", ErrInvalid, q.Archive)
	}
	if len(q.IDs) > 0 {
		ids := make([]uuid.UUID, len(q.IDs))
		for i, id := range q.IDs {
			ids[i] = uuid.UUID(id)
		}
		b.anyUUID("d.dossier_id", ids)
	}
	b.anyOf("d.status", stringsOf(q.Statuses))
	b.anyOf("d.class", stringsOf(q.Classes))
	b.anyUUID("d.managing_org", orgUUIDs(q.ManagingOrgs))
	b.anyUUID("d.employing_unit", orgUUIDs(q.EmployingUnits))
	sexes := make([]string, len(q.Sexes))
	for i, s := range q.Sexes {
		sexes[i] = string(s)
	}
	b.anyOf("d.sex", sexes)
	if !q.BornFrom.IsZero() {
		b.add("d.birth_date >= " + b.arg(q.BornFrom.String()) + "::date")
	}
	if !q.BornTo.IsZero() {
		b.add("d.birth_date <= " + b.arg(q.BornTo.String()) + "::date")
	}
	b.anyOf("d.ethnicity", q.Ethnicities)
	b.anyOf("d.religion", q.Religions)
	b.anyOf("d.rank", q.Ranks)
	b.anyOf("d.title", q.Titles)
	b.anyOf("d.job_position", q.JobPositions)
	b.anyOf("d.job_position", q.JobPositionGroup)
	b.anyOf("d.qualification", q.Qualifications)
	b.anyOf("d.political_theory", q.PoliticalTheories)
	b.anyOf("d.state_management", q.StateManagements)
	b.anyOf("d.it_level", q.ITLevels)
	if len(q.Languages) > 0 {
		b.add("d.languages && " + b.arg(q.Languages) + "::text[]")
	}
	if len(q.LanguageLevels) > 0 {
		b.add("d.language_levels && " + b.arg(q.LanguageLevels) + "::text[]")
	}
	if q.PartyMember != nil {
		b.add("d.party_member = " + b.arg(*q.PartyMember))
	}
	if q.CivilServantNo != "" {
		b.add("d.civil_servant_number = " + b.arg(strings.TrimSpace(q.CivilServantNo)))
	}
	if q.PersonalIDNumber != "" {
		d := q.pidDigest
		if d == "" {
			d = dossier.PersonalIDDigest(strings.TrimSpace(q.PersonalIDNumber))
		}
		b.add("d.personal_id_digest = " + b.arg(d))
	}
	if !q.UpdatedFrom.IsZero() {
		b.add("d.updated_at >= " + b.arg(q.UpdatedFrom))
	}
	if !q.UpdatedTo.IsZero() {
		b.add("d.updated_at < " + b.arg(q.UpdatedTo))
	}
	if folded := vntext.Fold(q.Text); folded != "" && !b.textOutside {
		b.add(textCondition(b, folded, fuzzy))
	}
	return true, nil
}
