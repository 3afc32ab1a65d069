package stats

import (
	"context"
	"fmt"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/ledger/seal"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hoso-ledger/hoso/domain"
)

// Querier is what the query functions read through: a *pgxpool.Pool, a
// *pgx.Conn or a pgx.Tx whose search_path holds the views.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ErrInvalid: a malformed query (no orgs, no as-of date, an unknown or
// repeated dimension). It wraps domain.ErrInvalid.
var ErrInvalid = fmt.Errorf("stats: %w", domain.ErrInvalid)

// Dimension is what a headcount can be grouped by. The set is closed: the
// zero Dimension is invalid and no other value can be made outside this
// package, so a Dimension always names a known SQL expression.
type Dimension struct{ name string }

// Dimensions. Values are the stored codes (catalogue codes, org ids) or,
// for the derived ones, the values documented here; "" is "not recorded".
// Booleans are "true" or "false".
var (
	ByOrg             = Dimension{"org"}                // managing org id
	ByUnit            = Dimension{"unit"}               // employing unit id
	ByClass           = Dimension{"class"}              // can_bo, cong_chuc, vien_chuc, nguoi_lao_dong
	ByRank            = Dimension{"rank"}               // rank code (ngạch)
	ByRankGroup       = Dimension{"rank_group"}         // chuyen_vien_cao_cap, chuyen_vien_chinh, chuyen_vien, can_su, nhan_vien
	ByTitle           = Dimension{"title"}              // professional title code
	ByTitleGrade      = Dimension{"title_grade"}        // I, II, III, IV
	ByJobPosition     = Dimension{"job_position"}       // job position code (Law 80/2025: the primary classification)
	ByJobPosGroup     = Dimension{"job_position_group"} // lanh_dao_quan_ly, chuyen_mon_nghiep_vu, chuyen_mon_dung_chung, ho_tro_phuc_vu
	BySex             = Dimension{"sex"}                // male, female
	ByAgeBand         = Dimension{"age_band"}           // le_30, 31_40, 41_50, 51_60, over_60 (age on the as-of date)
	ByAboveRetirement = Dimension{"above_retirement"}   // reached RetirementDate by the as-of date
	ByEthnicity       = Dimension{"ethnicity"}          // ethnicity code
	ByMinority        = Dimension{"minority"}           // ethnicity recorded and not Kinh
	ByReligion        = Dimension{"religion"}           // religion code
	ByReligious       = Dimension{"religious"}          // religion recorded and not "none"
	ByPartyMember     = Dimension{"party_member"}       // admitted to the party on or before the as-of date
	ByQualification   = Dimension{"qualification"}      // highest professional qualification code
	ByPoliticalTheory = Dimension{"political_theory"}   // cu_nhan, cao_cap, trung_cap, so_cap
	ByStateManagement = Dimension{"state_management"}   // chuyen_vien_cao_cap, chuyen_vien_chinh, chuyen_vien, can_su
	ByITLevel         = Dimension{"it_level"}           // IT level code
	ByForeignLanguage = Dimension{"foreign_language"}   // highest step held: bac_1 … bac_6
	ByEthnicLanguage  = Dimension{"ethnic_language"}    // holds a minority-language certificate
)

// Ages on the as-of date are compared through birth dates: "at most 30 on
// D" is "born after D minus 31 years", with $3…$6 the as-of date minus 31,
// 41, 51 and 61 years (ageParams). Date comparisons cost a fraction of
// age() per row, which dominated a province-wide report.
const (
	bornAfter31 = `birth_date > $3::date`
	bornAfter41 = `birth_date > $4::date`
	bornAfter51 = `birth_date > $5::date`
	bornAfter61 = `birth_date > $6::date`
)

// ageParams are $3…$6: asOf minus 31, 41, 51 and 61 years. A 29 February
// minus whole years is the 28th in a common year, as in PostgreSQL's date
// arithmetic and in age(): someone born on 1 March is not yet 31 on the 29
// February of their 31st year.
func ageParams(asOf domain.Date) []any {
	out := make([]any, 0, 4)
	for _, n := range []int{31, 41, 51, 61} {
		y, m, d := asOf.Year()-n, asOf.Month(), asOf.Day()
		if m == time.February && d == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
			d = 28
		}
		// Not a domain.Date: 61 years before 1950 is outside its range.
		out = append(out, fmt.Sprintf("%04d-%02d-%02d", y, m, d))
	}
	return out
}

// from is the rows in force on $1 for the orgs $2.
const from = ViewIntervals + ` WHERE ` + current

// dimensionSQL is each dimension's expression over the intervals view; $1
// is the as-of date, $3…$6 the ageParams. Rows are grouped on these raw
// values (a uuid or a boolean hashes faster than its text) and cast to text
// once per group. These constants are the only SQL a Query splices in.
var dimensionSQL = map[Dimension]string{
	ByOrg:         `org_id`,
	ByUnit:        `unit_id`,
	ByClass:       `class`,
	ByRank:        `rank`,
	ByRankGroup:   `rank_group`,
	ByTitle:       `title`,
	ByTitleGrade:  `title_grade`,
	ByJobPosition: `job_position`,
	ByJobPosGroup: `job_position_group`,
	BySex:         `sex`,
	ByAgeBand: `CASE WHEN birth_date IS NULL THEN ''
      WHEN ` + bornAfter31 + ` THEN 'le_30' WHEN ` + bornAfter41 + ` THEN '31_40'
      WHEN ` + bornAfter51 + ` THEN '41_50' WHEN ` + bornAfter61 + ` THEN '51_60' ELSE 'over_60' END`,
	ByAboveRetirement: `coalesce(retires_on <= $1::date, false)`,
	ByEthnicity:       `ethnicity`,
	ByMinority:        `minority`,
	ByReligion:        `religion`,
	ByReligious:       `religious`,
	ByPartyMember:     `coalesce(party_admitted_on <= $1::date, false)`,
	ByQualification:   `qualification`,
	ByPoliticalTheory: `political_theory`,
	ByStateManagement: `state_management`,
	ByITLevel:         `it_level`,
	ByForeignLanguage: `foreign_language`,
	ByEthnicLanguage:  `ethnic_language`,
}

var allDimensions = []Dimension{ByOrg, ByUnit, ByClass, ByRank, ByRankGroup, ByTitle, ByTitleGrade, ByJobPosition, ByJobPosGroup,
	BySex, ByAgeBand, ByAboveRetirement, ByEthnicity, ByMinority, ByReligion, ByReligious, ByPartyMember,
	ByQualification, ByPoliticalTheory, ByStateManagement, ByITLevel, ByForeignLanguage, ByEthnicLanguage}

// AllDimensions lists every dimension.
func AllDimensions() []Dimension { return append([]Dimension{}, allDimensions...) }

// ParseDimension returns the dimension named s; an unknown name gives an
// error wrapping ErrInvalid.
func ParseDimension(s string) (Dimension, error) {
	for _, d := range allDimensions {
		if d.name == s {
			return d, nil
		}
	}
	return Dimension{}, fmt.Errorf("%w: unknown dimension %q", ErrInvalid, s)
}

// String is the dimension's stable name ("rank_group").
func (d Dimension) String() string { return d.name }

// MarshalText writes the stable name.
func (d Dimension) MarshalText() ([]byte, error) { return []byte(d.name), nil }

// UnmarshalText reads a stable name; errors wrap ErrInvalid.
func (d *Dimension) UnmarshalText(b []byte) error {
	v, err := ParseDimension(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Query is a headcount request.
type Query struct {
	// AsOf is the date on the effective axis (required): who was in
	// service, where and with what, on that day, as everything recorded
	// says.
	AsOf domain.Date
	// Orgs is required: people managed by one of them or employed in one
	// of them (the caller expands an org subtree into its ids). Each person
	// counts once however many of the ids match.
	Orgs []domain.OrgID
	// GroupBy lists the dimensions, each at most once; empty gives the
	// total as one row.
	GroupBy []Dimension
}

// Row is one group and its headcount.
type Row struct {
	Values map[Dimension]string // one value per Query.GroupBy dimension
	Count  int
}

// Headcount counts the people in service on q.AsOf in q.Orgs, grouped by
// q.GroupBy, ordered by the group values. It is one aggregate over the
// intervals that contain the date (GiST index on the period). It returns
// ErrInvalid for a zero AsOf, empty Orgs, or a zero or repeated dimension.
func Headcount(ctx context.Context, db Querier, q Query) ([]Row, error) {
	if q.AsOf.IsZero() {
		return nil, fmt.Errorf("%w: as-of date required", ErrInvalid)
	}
	if len(q.Orgs) == 0 {
		return nil, fmt.Errorf("%w: orgs: at least one", ErrInvalid)
	}
	exprs := make([]string, len(q.GroupBy))
	seen := map[Dimension]bool{}
	for i, d := range q.GroupBy {
		e, ok := dimensionSQL[d]
		if !ok {
			return nil, fmt.Errorf("%w: dimension %d is not set", ErrInvalid, i)
		}
		if seen[d] {
			return nil, fmt.Errorf("%w: dimension %s given twice", ErrInvalid, d)
		}
		seen[d] = true
		exprs[i] = e
	}
	sql := `SELECT count(*) FROM ` + from
	if len(exprs) > 0 {
		inner, outer, nums := make([]string, len(exprs)), make([]string, len(exprs)), make([]string, len(exprs))
		for i, e := range exprs {
			inner[i] = e + fmt.Sprintf(" AS k%d", i)
			outer[i] = fmt.Sprintf("k%d::text", i)
			nums[i] = fmt.Sprint(i + 1)
		}
		sql = `SELECT ` + strings.Join(outer, ", ") + `, n FROM (SELECT ` + strings.Join(inner, ", ") + `, count(*) AS n FROM ` +
			from + ` GROUP BY ` + strings.Join(nums, ", ") + `) g ORDER BY ` + strings.Join(nums, ", ")
	}
	args := []any{q.AsOf.String(), orgIDs(q.Orgs)}
	if strings.Contains(sql, "$3") { // PostgreSQL refuses parameters a statement does not use
		args = append(args, ageParams(q.AsOf)...)
	}
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("stats: headcount: %w", err)
	}
	defer rows.Close()
	var out []Row
	for rows.Next() {
		vals := make([]string, len(exprs))
		dest := make([]any, 0, len(exprs)+1)
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		var n int
		dest = append(dest, &n)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("stats: headcount: %w", err)
		}
		r := Row{Values: make(map[Dimension]string, len(vals)), Count: n}
		for i, v := range vals {
			r.Values[q.GroupBy[i]] = v
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// HeadcountWith is Headcount on a model built WithPrivacy(pv): the tokens
// of the ethnicity and religion groups are turned back into catalogue
// codes (cat's; a value outside it reads as ""), groups that meet are
// merged, and the rows sorted by their values again.
func HeadcountWith(ctx context.Context, db Querier, pv seal.Privacy, cat *catalog.Catalog, q Query) ([]Row, error) {
	rows, err := Headcount(ctx, db, q)
	if err != nil || pv.TokenKey == nil || !(slices.Contains(q.GroupBy, ByEthnicity) || slices.Contains(q.GroupBy, ByReligion)) {
		return rows, err
	}
	if cat == nil {
		cat = catalog.Default()
	}
	codes := func(kind string) func() []string {
		return func() []string {
			var out []string
			for _, e := range cat.Entries(kind) {
				out = append(out, e.Code)
			}
			return out
		}
	}
	merged := map[string]*Row{}
	var out []*Row
	for _, r := range rows {
		if v, ok := r.Values[ByEthnicity]; ok {
			r.Values[ByEthnicity] = pv.Reverse("ethnicity", v, codes(catalog.KindEthnicity))
		}
		if v, ok := r.Values[ByReligion]; ok {
			r.Values[ByReligion] = pv.Reverse("religion", v, codes(catalog.KindReligion))
		}
		key := ""
		for _, d := range q.GroupBy {
			key += r.Values[d] + "\x00"
		}
		if m, ok := merged[key]; ok {
			m.Count += r.Count
			continue
		}
		r := r
		merged[key] = &r
		out = append(out, &r)
	}
	slices.SortStableFunc(out, func(a, b *Row) int {
		for _, d := range q.GroupBy {
			if c := strings.Compare(a.Values[d], b.Values[d]); c != 0 {
				return c
			}
		}
		return 0
	})
	res := make([]Row, len(out))
	for i, r := range out {
		res[i] = *r
	}
	return res, nil
}

// current selects the intervals in force on $1 for the orgs $2. period @>
// D is "valid_from <= D AND (valid_to IS NULL OR valid_to > D)" in the form
// the GiST index answers.
const current = `period @> $1::date AND (org_id = ANY($2) OR unit_id = ANY($2))`

// SexCount splits a count by sex.
type SexCount struct{ Men, Women int }

// Total is men plus women (people whose sex is not recorded are in neither).
func (s SexCount) Total() int { return s.Men + s.Women }

// BM02 is the headcount-and-quality form (Circular 11/2012 BM02; Circular
// 07/2019 BM01 for public employees) for a set of orgs on a date.
type BM02 struct {
	AsOf domain.Date
	// Total and every count below are of the officials, civil servants
	// and public employees the form is about: the labour-contract workers
	// (class nguoi_lao_dong) are counted apart, in ContractWorkers, never
	// in the form's columns (TG 5.1b gives them their own form; TG 16.8
	// reports "CBCCVC, người lao động" side by side).
	ContractWorkers int
	Total           int
	// Of which.
	PartyMembers, Women, EthnicMinorities, Religious int
	// Civil-service rank groups (ngạch).
	RankSeniorPrincipal, RankPrincipal, RankSpecialist, RankOfficer, RankStaff int
	// Professional-title grades of public employees.
	GradeI, GradeII, GradeIII, GradeIV int
	// Professional level. Doctorate counts doctors of science and level-II
	// medical specialists, Master level-I specialists: the post-graduate
	// degrees of the same standing.
	Doctorate, Master, Bachelor, College, Intermediate, Elementary int
	// Political theory.
	PoliticalBachelor, PoliticalAdvanced, PoliticalIntermediate, PoliticalElementary int
	// State management.
	StateMgmtSeniorPrincipal, StateMgmtPrincipal, StateMgmtSpecialist int
	// IT: any level recorded; Advanced is "ứng dụng CNTT nâng cao".
	IT, ITAdvanced int
	// Foreign language: any step held, and B1 (bậc 3) or above.
	ForeignLanguage, ForeignLanguageB1Plus int
	EthnicLanguage                         int
	// Age on AsOf, by sex.
	AgeUpTo30, Age31To40, Age41To50, Age51To60 SexCount
	AboveRetirementAge                         SexCount
}

// Report computes the BM02 columns for the people in service on asOf in
// orgs (as in Query.Orgs), in one pass over the intervals in force. It
// returns ErrInvalid for a zero asOf or empty orgs.
func Report(ctx context.Context, db Querier, orgs []domain.OrgID, asOf domain.Date) (BM02, error) {
	if asOf.IsZero() {
		return BM02{}, fmt.Errorf("%w: as-of date required", ErrInvalid)
	}
	if len(orgs) == 0 {
		return BM02{}, fmt.Errorf("%w: orgs: at least one", ErrInvalid)
	}
	r := BM02{AsOf: asOf}
	sql, dest := reportQuery(&r)
	rows, err := db.Query(ctx, sql, append([]any{asOf.String(), orgIDs(orgs)}, ageParams(asOf)...)...)
	if err != nil {
		return BM02{}, fmt.Errorf("stats: report: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return BM02{}, fmt.Errorf("stats: report: %w", err)
		}
		return BM02{}, fmt.Errorf("stats: report: no row")
	}
	if err := rows.Scan(dest...); err != nil {
		return BM02{}, fmt.Errorf("stats: report: %w", err)
	}
	rows.Close()
	return r, rows.Err()
}

// notContract keeps the labour-contract workers out of the BM02 columns.
const notContract = `class <> 'nguoi_lao_dong'`

// reportQuery is the one statement of Report and the fields of r its
// columns scan into, in order.
func reportQuery(r *BM02) (string, []any) {
	type col struct {
		filter string
		dest   *int
	}
	cols := []col{
		{`true`, &r.Total},
		{`party_admitted_on <= $1::date`, &r.PartyMembers},
		{`sex = 'female'`, &r.Women},
		{`minority`, &r.EthnicMinorities},
		{`religious`, &r.Religious},
		{`rank_group = 'chuyen_vien_cao_cap'`, &r.RankSeniorPrincipal},
		{`rank_group = 'chuyen_vien_chinh'`, &r.RankPrincipal},
		{`rank_group = 'chuyen_vien'`, &r.RankSpecialist},
		{`rank_group = 'can_su'`, &r.RankOfficer},
		{`rank_group = 'nhan_vien'`, &r.RankStaff},
		{`title_grade = 'I'`, &r.GradeI},
		{`title_grade = 'II'`, &r.GradeII},
		{`title_grade = 'III'`, &r.GradeIII},
		{`title_grade = 'IV'`, &r.GradeIV},
		{`qualification IN ('doctor_of_science', 'doctorate', 'specialist_2')`, &r.Doctorate},
		{`qualification IN ('master', 'specialist_1')`, &r.Master},
		{`qualification = 'bachelor'`, &r.Bachelor},
		{`qualification = 'college'`, &r.College},
		{`qualification = 'intermediate'`, &r.Intermediate},
		{`qualification = 'elementary'`, &r.Elementary},
		{`political_theory = 'cu_nhan'`, &r.PoliticalBachelor},
		{`political_theory = 'cao_cap'`, &r.PoliticalAdvanced},
		{`political_theory = 'trung_cap'`, &r.PoliticalIntermediate},
		{`political_theory = 'so_cap'`, &r.PoliticalElementary},
		{`state_management = 'chuyen_vien_cao_cap'`, &r.StateMgmtSeniorPrincipal},
		{`state_management = 'chuyen_vien_chinh'`, &r.StateMgmtPrincipal},
		{`state_management = 'chuyen_vien'`, &r.StateMgmtSpecialist},
		{`it_level <> ''`, &r.IT},
		{`it_level = 'nang_cao'`, &r.ITAdvanced},
		{`foreign_language <> ''`, &r.ForeignLanguage},
		{`foreign_language >= 'bac_3'`, &r.ForeignLanguageB1Plus},
		{`ethnic_language`, &r.EthnicLanguage},
	}
	for _, b := range []struct {
		cond string
		dest *SexCount
	}{
		{bornAfter31, &r.AgeUpTo30},
		{`NOT ` + bornAfter31 + ` AND ` + bornAfter41, &r.Age31To40},
		{`NOT ` + bornAfter41 + ` AND ` + bornAfter51, &r.Age41To50},
		{`NOT ` + bornAfter51 + ` AND ` + bornAfter61, &r.Age51To60},
		{`retires_on <= $1::date`, &r.AboveRetirementAge},
	} {
		cols = append(cols, col{`sex = 'male' AND ` + b.cond, &b.dest.Men}, col{`sex = 'female' AND ` + b.cond, &b.dest.Women})
	}
	exprs := make([]string, len(cols), len(cols)+1)
	dest := make([]any, len(cols), len(cols)+1)
	for i, c := range cols {
		exprs[i] = `count(*) FILTER (WHERE ` + notContract + ` AND (` + c.filter + `))`
		dest[i] = c.dest
	}
	exprs = append(exprs, `count(*) FILTER (WHERE NOT `+notContract+`)`)
	dest = append(dest, &r.ContractWorkers)
	return `SELECT ` + strings.Join(exprs, ", ") + ` FROM ` + from, dest
}

func orgIDs(orgs []domain.OrgID) []uuid.UUID {
	out := make([]uuid.UUID, len(orgs))
	for i, o := range orgs {
		out[i] = uuid.UUID(o)
	}
	return out
}

// OrgBM02 is one org's line of the BM02 form.
type OrgBM02 struct {
	Org domain.OrgID
	BM02
}

// ReportByOrg computes the BM02 columns as Report does, one line per org
// of orgs that has people in service on asOf: a person counts under their
// managing org when it is in orgs, else under their employing unit, so the
// lines add up to Report's totals. Lines come in org id order; orgs with
// nobody are left out. It returns ErrInvalid as Report does.
func ReportByOrg(ctx context.Context, db Querier, orgs []domain.OrgID, asOf domain.Date) ([]OrgBM02, error) {
	if asOf.IsZero() {
		return nil, fmt.Errorf("%w: as-of date required", ErrInvalid)
	}
	if len(orgs) == 0 {
		return nil, fmt.Errorf("%w: orgs: at least one", ErrInvalid)
	}
	var line OrgBM02
	sql, dest := reportQuery(&line.BM02)
	sql = `SELECT CASE WHEN org_id = ANY($2) THEN org_id ELSE unit_id END, ` + strings.TrimPrefix(sql, `SELECT `) + ` GROUP BY 1 ORDER BY 1`
	var org uuid.UUID
	dest = append([]any{&org}, dest...)
	rows, err := db.Query(ctx, sql, append([]any{asOf.String(), orgIDs(orgs)}, ageParams(asOf)...)...)
	if err != nil {
		return nil, fmt.Errorf("stats: report by org: %w", err)
	}
	defer rows.Close()
	var out []OrgBM02
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("stats: report by org: %w", err)
		}
		line.Org, line.AsOf = domain.OrgID(org), asOf
		out = append(out, line)
	}
	return out, rows.Err()
}
