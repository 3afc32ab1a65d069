package imports

import (
	"errors"
	"strings"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/internal/importfile"
)

// reasons are the Vietnamese reasons of the domain's rule names.
var reasons = map[string]string{
	"required":        "bắt buộc, chưa điền",
	"format":          "sai định dạng",
	"catalogue":       "mã không có trong danh mục dùng chung",
	"range":           "giá trị ngoài khoảng cho phép",
	"enum":            "giá trị không thuộc danh sách cho phép",
	"mismatch":        "số định danh không khớp giới tính hoặc năm sinh",
	"before_1945":     "ngày hiệu lực trước 02/09/1945: có lẽ gõ nhầm năm",
	"imported_future": "ngày hiệu lực sau ngày nhập: dữ liệu nhập là lịch sử",
	"too_long":        "quá dài",
	"utf8":            "không phải văn bản UTF-8 hợp lệ",
	"control":         "chứa ký tự điều khiển",
	"multiline":       "phải nằm trên một dòng",
}

// limitRules are the rules whose domain detail states a limit ("between
// 1 and 20"), never the cell's value; other details may quote the value
// ("\"99x\" is not in the ethnicity catalogue") and are left out, because
// problems are stored with an import's status and values may be
// sensitive personal data.
var limitRules = map[string]bool{"range": true, "too_long": true, "mismatch": true}

// reason is the Vietnamese reason of a domain problem, with the English
// detail in brackets when it states a limit.
func reason(rule, detail string) string {
	r, ok := reasons[rule]
	if !ok {
		r = "không hợp lệ (" + rule + ")"
	}
	if detail != "" && limitRules[rule] {
		r += " [" + detail + "]"
	}
	return r
}

// aliases maps the domain's field names onto columns where the two differ.
var aliases = map[string]map[string]string{
	"identity":    {"effective_on": "salary_effective_on", "current": "position"},
	"career":      {"effective_date": "from", "imported_from": "from"},
	"training":    {"effective_date": "to", "imported_from": "to", "number": "decision_number", "date": "decision_date", "issuer": "decision_issuer"},
	"salary":      {"effective_date": "from", "imported_from": "from", "number": "decision_number", "date": "decision_date", "issuer": "decision_issuer"},
	"evaluations": {"effective_date": "year", "imported_from": "year"},
	"rewards":     {"effective_date": "decision_date", "imported_from": "decision_date", "number": "decision_number", "date": "decision_date", "issuer": "decision_issuer", "deciding_body": "decision_issuer"},
	"discipline":  {"effective_date": "from", "imported_from": "from", "number": "decision_number", "date": "decision_date", "issuer": "decision_issuer", "deciding_body": "decision_issuer"},
}

// column finds the column a domain problem's path ("row/work_history/from",
// "identity/place_of_birth/place") is about: its last segment, else the one
// before, by key or alias; "" when none fits (the whole row).
func column(s importfile.Sheet, path string) string {
	segs := strings.Split(path, "/")
	for i := len(segs) - 1; i >= 0 && i >= len(segs)-2; i-- {
		seg := segs[i]
		if a, ok := aliases[s.Key][seg]; ok && s.Index(a) >= 0 {
			return a
		}
		if s.Index(seg) >= 0 {
			return seg
		}
	}
	return ""
}

// domainProblems turns what the domain refused into problems of the row,
// each under its column; format problems the parser already reported for a
// column are not repeated.
func (c *cells) domainProblems(err error) {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		var se *domain.StateError
		if errors.As(err, &se) {
			c.add("", se.Rule, reason(se.Rule, se.Detail))
			return
		}
		c.add("", "invalid", reason("invalid", ""))
		return
	}
	for _, p := range ve.Problems {
		col := column(c.sheet, p.Field)
		if col != "" && c.reported(col) {
			continue
		}
		c.add(col, p.Rule, reason(p.Rule, p.Detail))
	}
}

func (c *cells) reported(col string) bool {
	for _, p := range c.problems {
		if p.Column == col {
			return true
		}
	}
	return false
}
