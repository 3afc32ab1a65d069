package stats

import (
	"strings"
	"time"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/catalog"
	"github.com/hoso-ledger/hoso/domain/dossier"
	"github.com/hoso-ledger/hoso/domain/vntext"
)

// KinhEthnicity is the ethnicity code of the Kinh majority; every other
// known code is an ethnic minority in the reports.
const KinhEthnicity = "01"

// NoReligion is the religion code "Không".
const NoReligion = "none"

// groups derives the report groupings from the catalogues, which carry
// them: a rank's group (chuyen_vien_cao_cap, chuyen_vien_chinh,
// chuyen_vien, can_su, nhan_vien), a professional title's grade (I–IV), a
// job position's group and a language level's framework step (bac_1 …
// bac_6). A retired code that carries no group of its own takes its
// successor's.
type groups struct {
	cat *catalog.Catalog
	// ethnicLanguages are the folded names of the minorities' languages
	// ("tay", "khmer", "mong"…), from the ethnicity catalogue.
	ethnicLanguages map[string]bool
}

func newGroups(cat *catalog.Catalog) groups {
	g := groups{cat: cat, ethnicLanguages: map[string]bool{}}
	for _, e := range cat.Entries(catalog.KindEthnicity) {
		switch e.Code {
		case KinhEthnicity:
			continue
		}
		name := vntext.Fold(e.Name)
		// Chinese and Lao are the languages of neighbouring states: a
		// certificate in them is a foreign-language one in the reports,
		// although the Hoa and Lào are minorities of Vietnam.
		if name == "hoa" || name == "lao" {
			continue
		}
		g.ethnicLanguages[name] = true
	}
	return g
}

func (g groups) group(kind, code string) string {
	if code == "" {
		return ""
	}
	e, ok := g.cat.Lookup(kind, code)
	if ok && e.Group == "" {
		e, ok = g.cat.Resolve(kind, code)
	}
	if !ok {
		return ""
	}
	return e.Group
}

// rankGroup is the BM02 rank group of a civil-service rank code.
func (g groups) rankGroup(code string) string { return g.group(catalog.KindRank, code) }

// titleGrade is the grade (I–IV) of a professional title code.
func (g groups) titleGrade(code string) string { return g.group(catalog.KindTitle, code) }

// jobPositionGroup is the group of a job position code (Decree 62/2020 and
// 106/2020: lanh_dao_quan_ly, chuyen_mon_nghiep_vu, chuyen_mon_dung_chung,
// ho_tro_phuc_vu), the coarse level of the primary classification under
// Law 80/2025.
func (g groups) jobPositionGroup(code string) string { return g.group(catalog.KindPosition, code) }

// isEthnicLanguage reports whether a language, as typed on the CV form
// ("Tiếng Khmer", "Khmer"), is the language of a Vietnamese minority.
func (g groups) isEthnicLanguage(lang string) bool {
	f := strings.TrimPrefix(vntext.Fold(lang), "tieng ")
	return g.ethnicLanguages[f]
}

// languages returns the highest foreign-language step held (bac_1 …
// bac_6, "" for none) and whether an ethnic-language certificate is held.
func (g groups) languages(ls []dossier.LanguageLevel) (foreign string, ethnic bool) {
	for _, l := range ls {
		if g.isEthnicLanguage(l.Language) {
			ethnic = true
			continue
		}
		// "bac_N" compares correctly as a string for N = 1…6.
		if s := g.group(catalog.KindLanguageLevel, l.Level); s > foreign {
			foreign = s
		}
	}
	return foreign, ethnic
}

// RetirementDate is the day a person born on dob reaches the normal
// retirement age of the Labour Code 2019 (art. 169) and Decree 135/2020:
// 60 years for men and 55 for women until 2020, then rising each year by 3
// months for men (to 62 in 2028) and 4 months for women (to 60 in 2035).
// Equivalently, by birth month: men born from January 1961 retire at 60
// years 3 months, the age rising 3 months for every 9 months of later
// births, capped at 62 (born from April 1966); women born from January
// 1966 at 55 years 4 months, rising 4 months every 8 months of births,
// capped at 60 (born from May 1975). The zero Date for an unknown birth
// date or sex. Reduced ages (hard or remote work, disability) are not
// recorded in the dossier and are not applied.
func RetirementDate(sex dossier.Gender, dob domain.Date) domain.Date {
	if dob.IsZero() {
		return domain.Date{}
	}
	var baseYears, first, window, step, capMonths int
	switch sex {
	case dossier.GenderMale:
		baseYears, first, window, step, capMonths = 60, 1961*12, 9, 3, 24
	case dossier.GenderFemale:
		baseYears, first, window, step, capMonths = 55, 1966*12, 8, 4, 60
	default:
		return domain.Date{}
	}
	born := dob.Year()*12 + int(dob.Month()) - 1
	extra := 0
	if born >= first {
		extra = min(step*((born-first)/window+1), capMonths)
	}
	t := time.Date(dob.Year(), dob.Month(), dob.Day(), 0, 0, 0, 0, time.UTC).AddDate(baseYears, extra, 0)
	d, err := domain.NewDate(t.Year(), t.Month(), t.Day())
	if err != nil {
		return domain.Date{}
	}
	return d
}
