package demo

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/internal/importfile"
)

// ImportConfig says which people an import file holds.
type ImportConfig struct {
	Seed   int64
	People int
	// Offset shifts the personal ID numbers, so two files of one seed can
	// hold different people.
	Offset int
}

// ImportRows generates the rows of an import file: the demo's people
// (names, ethnicities, birth provinces, personal ID numbers, careers on
// the real rank and title codes and pay scales) as an HR system would
// export them, person by person. fn receives each row as its sheet's
// values in Sheet.Columns order, sheets interleaved person by person. About
// twenty events per person: creation, first sections, three to five
// career periods, a salary step every two or three years, one or two
// trainings, three or four relatives, the last two years' evaluations, a
// reward for some, a discipline for a few, a scan, and party data for
// some.
func ImportRows(cfg ImportConfig, fn func(sheet string, values []string) error) error {
	g := newGen(Config{Seed: cfg.Seed, Dossiers: 1})
	for i := range cfg.People {
		if err := importPerson(g, cfg, i, fn); err != nil {
			return err
		}
	}
	return nil
}

func importPerson(g *gen, cfg ImportConfig, i int, fn func(string, []string) error) error {
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(i)+1<<40))
	p := newPerson(r, i, g.seedOffset+cfg.Offset)
	grp := groups.pick(r)
	jb := map[group]weighted[job]{groupAdmin: jobsAdmin, groupHealth: jobsHealth, groupEducation: jobsEducation}[grp].pick(r)
	adult := p.born.AddDays(22*365 + 6)
	recruit := adult.AddDays(r.IntN(6 * 365))
	if recruit.After(asOf) {
		recruit = asOf.AddDays(-30)
	}
	vals := func(sheet string, kv map[string]string) error {
		s, _ := importfile.SheetByKey(sheet)
		out := make([]string, len(s.Columns))
		for k, v := range kv {
			out[s.Index(k)] = v
		}
		return fn(sheet, out)
	}
	dmy := func(d domain.Date) string { return d.Vietnamese() }
	my := func(d domain.Date) string { return fmt.Sprintf("%02d/%d", d.Month(), d.Year()) }
	gender := "Nam"
	if p.gender == dossier.GenderFemale {
		gender = "Nữ"
	}
	// Salary steps every scale.years years since recruitment.
	type raise struct {
		on   domain.Date
		step int
	}
	var raises []raise
	for s, on := 1, recruit; s <= jb.scale.steps && !on.After(asOf); s, on = s+1, on.AddDays(jb.scale.years*365+1) {
		raises = append(raises, raise{on, s})
	}
	last := raises[len(raises)-1]
	id := map[string]string{
		importfile.ColPersonalID: p.personalID, "birth_name": p.name, "gender": gender, "date_of_birth": dmy(p.born),
		"class": jb.class.String(), "place_of_birth": p.birthplace.place, "home_town": p.birthplace.place,
		"ethnicity": p.ethnicity, "religion": p.religion, "phone": fmt.Sprintf("09%08d", r.IntN(100_000_000)),
		"first_recruited_on": dmy(recruit), "first_recruiting_org": "Ủy ban nhân dân tỉnh Phú Thọ", "joined_current_org_on": dmy(recruit),
		"step": strconv.Itoa(last.step), "coefficient": jb.scale.coefficient(last.step).String(), "salary_effective_on": dmy(last.on),
		"job_position": jb.position, "position": jb.positionVN, "highest_qualification": jb.degree, "major": jb.major,
	}
	if jb.isTitle {
		id["title"] = jb.code
	} else {
		id["rank"] = jb.code
	}
	if err := vals("identity", id); err != nil {
		return err
	}
	// Career: periods of a few years in the org's units.
	units := []string{"Văn phòng", "Phòng Tổ chức cán bộ", "Phòng Kế hoạch - Tài chính", "Phòng Nghiệp vụ", "Trung tâm Dịch vụ công"}
	from := recruit
	periods := 3 + r.IntN(3)
	for k := range periods {
		to := from.AddDays(365 * (2 + r.IntN(5)))
		row := map[string]string{importfile.ColPersonalID: p.personalID, "from": my(from), "org": pick(r, units) + ", tỉnh Phú Thọ", "title": jb.positionVN}
		if k < periods-1 && to.Before(asOf) {
			row["to"] = my(to)
		}
		if err := vals("career", row); err != nil {
			return err
		}
		if !to.Before(asOf) {
			break
		}
		from = to.AddDays(31)
	}
	// Training: the degree, and political theory for some.
	grad := recruit.AddDays(-30 - r.IntN(700))
	if err := vals("training", map[string]string{importfile.ColPersonalID: p.personalID, "kind": "professional_degree",
		"from": my(grad.AddDays(-4 * 365)), "to": my(grad), "institution": jb.institution, "major": jb.major, "mode": "Chính quy",
		"qualification": jb.degree, "decision_number": fmt.Sprintf("B%07d", r.IntN(10_000_000)), "decision_date": dmy(grad), "decision_issuer": jb.institution}); err != nil {
		return err
	}
	if r.IntN(3) == 0 {
		on := recruit.AddDays(365 * (1 + r.IntN(4)))
		if on.Before(asOf) {
			if err := vals("training", map[string]string{importfile.ColPersonalID: p.personalID, "kind": "political_theory",
				"from": my(on.AddDays(-180)), "to": my(on), "institution": "Trường Chính trị tỉnh Phú Thọ", "mode": "Tập trung", "qualification": "trung_cap"}); err != nil {
				return err
			}
		}
	}
	for k, rs := range raises {
		row := map[string]string{importfile.ColPersonalID: p.personalID, "from": my(rs.on), "code": jb.code, "step": strconv.Itoa(rs.step),
			"coefficient":     jb.scale.coefficient(rs.step).String(),
			"decision_number": fmt.Sprintf("%d/QĐ-UBND", 1+r.IntN(2400)), "decision_date": dmy(rs.on.AddDays(-r.IntN(20))), "decision_issuer": "Ủy ban nhân dân tỉnh Phú Thọ"}
		if k+1 < len(raises) {
			row["to"] = my(raises[k+1].on.AddDays(-28))
		}
		if err := vals("salary", row); err != nil {
			return err
		}
	}
	relatives := []struct{ side, relation, middle string }{{"Bản thân", "Bố", pick(r, middleMale)}, {"Bản thân", "Mẹ", "Thị"}, {"Bên vợ/chồng", "Bố", pick(r, middleMale)}}
	if r.IntN(2) == 0 {
		relatives = append(relatives, struct{ side, relation, middle string }{"Bản thân", "Con", pick(r, middleFemale)})
	}
	for k, rel := range relatives {
		year := p.born.Year() - 25 - r.IntN(8)
		if rel.relation == "Con" {
			year = min(p.born.Year()+25+r.IntN(8), asOf.Year())
		}
		fam := p.family
		if k == 1 || rel.side != "Bản thân" {
			fam = kinhFamilies.pick(r)
		}
		if err := vals("family", map[string]string{importfile.ColPersonalID: p.personalID, "side": rel.side, "relation": rel.relation,
			"name": fam + " " + rel.middle + " " + pick(r, append(givenMale, givenFemale...)), "birth_year": strconv.Itoa(year), "details": "Nông dân, tỉnh Phú Thọ"}); err != nil {
			return err
		}
	}
	if r.IntN(10) < 3 {
		adm := recruit.AddDays(365 * (2 + r.IntN(5)))
		if adm.AddDays(366).Before(asOf) {
			if err := vals("party", map[string]string{importfile.ColPersonalID: p.personalID, "party_admitted_on": dmy(adm),
				"party_confirmed_on": dmy(adm.AddDays(366)), "party_cell": "Chi bộ " + pick(r, units), "trade_union_joined_on": dmy(recruit)}); err != nil {
				return err
			}
		}
	}
	// The last two years' evaluations, a certificate of merit for some,
	// a reprimand for a few.
	for y := asOf.Year() - 2; y < asOf.Year(); y++ {
		if recruit.Year() >= y {
			continue
		}
		row := map[string]string{importfile.ColPersonalID: p.personalID, "year": strconv.Itoa(y), "rating": importfile.Ratings[weightedRating(r)]}
		if row["rating"] == importfile.Ratings[0] {
			row["emulation_title"] = "Chiến sĩ thi đua cơ sở"
		} else if row["rating"] == importfile.Ratings[1] {
			row["emulation_title"] = "Lao động tiên tiến"
		}
		if err := vals("evaluations", row); err != nil {
			return err
		}
		if r.IntN(3) == 0 {
			if err := vals("rewards", map[string]string{importfile.ColPersonalID: p.personalID, "year": strconv.Itoa(y), "form": "Giấy khen",
				"title":           "Đã có thành tích xuất sắc trong thực hiện nhiệm vụ năm " + strconv.Itoa(y),
				"decision_number": fmt.Sprintf("%d/QĐ-UBND", 1+r.IntN(2400)), "decision_date": dmy(domain.MustDate(y, 12, 20)), "decision_issuer": "Ủy ban nhân dân tỉnh Phú Thọ"}); err != nil {
				return err
			}
		}
	}
	if r.IntN(50) == 0 && recruit.Year() < asOf.Year()-1 {
		on := domain.MustDate(asOf.Year()-1, 3, 1+r.IntN(28))
		if err := vals("discipline", map[string]string{importfile.ColPersonalID: p.personalID, "kind": importfile.Disciplines[1], "from": dmy(on),
			"to": dmy(on.AddDays(365)), "form": "Khiển trách", "act": "Vi phạm quy định về thời gian làm việc",
			"decision_number": fmt.Sprintf("%d/QĐ-UBND", 1+r.IntN(2400)), "decision_date": dmy(on), "decision_issuer": "Ủy ban nhân dân tỉnh Phú Thọ"}); err != nil {
			return err
		}
	}
	sum := fmt.Sprintf("%064x", uint64(cfg.Seed)<<32|uint64(i+cfg.Offset))
	return vals("attachments", map[string]string{importfile.ColPersonalID: p.personalID, "kind": "decision",
		"number": fmt.Sprintf("%d/QĐ-UBND", 1+r.IntN(2400)), "date": dmy(recruit), "issuer": "Ủy ban nhân dân tỉnh Phú Thọ",
		"sha256": sum, "title": "Quyết định tuyển dụng (bản chụp)"})
}

// WriteImportWorkbook writes ImportRows as a workbook of the import
// template's shape, streaming (no sheet is held whole).
func WriteImportWorkbook(w io.Writer, cfg ImportConfig) error {
	f := excelize.NewFile()
	defer f.Close()
	writers := map[string]*excelize.StreamWriter{}
	next := map[string]int{}
	for i, s := range importfile.Sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(s.Name)
		if err != nil {
			return err
		}
		hdr := make([]any, len(s.Columns))
		for j, c := range s.Columns {
			hdr[j] = c.Header
		}
		if err := sw.SetRow("A1", hdr); err != nil {
			return err
		}
		writers[s.Key], next[s.Key] = sw, 2
	}
	err := ImportRows(cfg, func(sheet string, values []string) error {
		row := make([]any, len(values))
		for j, v := range values {
			row[j] = v
		}
		n := next[sheet]
		next[sheet] = n + 1
		return writers[sheet].SetRow(fmt.Sprintf("A%d", n), row)
	})
	if err != nil {
		return err
	}
	for _, s := range importfile.Sheets {
		if err := writers[s.Key].Flush(); err != nil {
			return err
		}
	}
	_, err = f.WriteTo(w)
	return err
}

// WriteImportCSV writes ImportRows as CSV files, one per sheet, in dir.
func WriteImportCSV(dir string, cfg ImportConfig) error {
	writers := map[string]*csv.Writer{}
	for _, s := range importfile.Sheets {
		f, err := os.Create(filepath.Join(dir, s.Key+".csv"))
		if err != nil {
			return err
		}
		defer f.Close()
		cw := csv.NewWriter(f)
		hdr := make([]string, len(s.Columns))
		for j, c := range s.Columns {
			hdr[j] = c.Header
		}
		if err := cw.Write(hdr); err != nil {
			return err
		}
		writers[s.Key] = cw
	}
	if err := ImportRows(cfg, func(sheet string, values []string) error { return writers[sheet].Write(values) }); err != nil {
		return err
	}
	for _, s := range importfile.Sheets {
		writers[s.Key].Flush()
		if err := writers[s.Key].Error(); err != nil {
			return err
		}
	}
	return nil
}

// weightedRating picks an evaluation level as HR departments report them:
// most "good", some "excellent", a few "completed", rarely "not completed".
func weightedRating(r *rand.Rand) int {
	switch n := r.IntN(100); {
	case n < 15:
		return 0
	case n < 85:
		return 1
	case n < 98:
		return 2
	}
	return 3
}
