package dossier

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hoso-ledger/hoso/domain"
)

// Class is the legal class of the person a dossier belongs to. Its zero value
// is "unset" and every constructor refuses anything outside the four classes,
// so a Class held by a dossier is always one of them.
type Class struct{ s string }

// The four classes of the glossary.
var (
	ClassCanBo        = Class{"can_bo"}
	ClassCongChuc     = Class{"cong_chuc"}
	ClassVienChuc     = Class{"vien_chuc"}
	ClassNguoiLaoDong = Class{"nguoi_lao_dong"}
	classes           = []Class{ClassCanBo, ClassCongChuc, ClassVienChuc, ClassNguoiLaoDong}
)

// ParseClass returns the class with the stored name s, or an error wrapping
// domain.ErrInvalid.
func ParseClass(s string) (Class, error) {
	for _, c := range classes {
		if c.s == s {
			return c, nil
		}
	}
	return Class{}, domain.Invalid("class", "enum", fmt.Sprintf("%q is not one of can_bo, cong_chuc, vien_chuc, nguoi_lao_dong", s))
}

// String is the stored name ("cong_chuc"); "" for the zero Class.
func (c Class) String() string { return c.s }

// IsZero reports whether the class is unset.
func (c Class) IsZero() bool { return c.s == "" }

// MarshalText encodes the stored name.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.s), nil }

// UnmarshalText refuses anything but the four stored names or "" (unset).
func (c *Class) UnmarshalText(b []byte) error {
	if len(b) == 0 { // the zero value ("unset") round-trips
		*c = Class{}
		return nil
	}
	v, err := ParseClass(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Status is where a dossier stands: active, or one of the reasons it left
// active service and joined the permanent archive. The zero value is unset.
type Status struct{ s string }

// Statuses. Every status but StatusActive archives the dossier.
var (
	StatusActive         = Status{"active"}
	StatusRetired        = Status{"retired"}
	StatusResigned       = Status{"resigned"}
	StatusDeceased       = Status{"deceased"}
	StatusDownsized      = Status{"downsized"}
	StatusContractEnded  = Status{"contract_ended"}
	StatusTransferredOut = Status{"transferred_out"}
	statuses             = []Status{StatusActive, StatusRetired, StatusResigned, StatusDeceased, StatusDownsized, StatusContractEnded, StatusTransferredOut}
)

// ParseStatus returns the status with the stored name s, or an error wrapping
// domain.ErrInvalid.
func ParseStatus(s string) (Status, error) {
	for _, v := range statuses {
		if v.s == s {
			return v, nil
		}
	}
	return Status{}, domain.Invalid("status", "enum", fmt.Sprintf("%q is not a dossier status", s))
}

// String is the stored name; "" for the zero Status.
func (s Status) String() string { return s.s }

// IsZero reports whether the status is unset.
func (s Status) IsZero() bool { return s.s == "" }

// Archived reports whether the status takes the dossier out of active service.
func (s Status) Archived() bool { return !s.IsZero() && s != StatusActive }

// MarshalText encodes the stored name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.s), nil }

// UnmarshalText refuses anything but a known status or "" (unset).
func (s *Status) UnmarshalText(b []byte) error {
	if len(b) == 0 { // the zero value ("unset") round-trips
		*s = Status{}
		return nil
	}
	v, err := ParseStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// TransferKind is the kind of a transfer decision. The zero value is unset.
type TransferKind struct{ s string }

// Transfer kinds (domain.md, Transfers).
var (
	// TransferInternal moves the person between units of the managing org:
	// the employing unit changes, the managing org does not.
	TransferInternal = TransferKind{"internal"}
	// TransferBetweenOrgs hands the dossier to another org of the province.
	TransferBetweenOrgs = TransferKind{"between_orgs"}
	// TransferOutOfProvince hands the data over outside the ledger; on
	// completion the old org's management is revoked and the dossier archived.
	TransferOutOfProvince = TransferKind{"out_of_province"}
	transferKinds         = []TransferKind{TransferInternal, TransferBetweenOrgs, TransferOutOfProvince}
)

// ParseTransferKind returns the kind with the stored name s, or an error
// wrapping domain.ErrInvalid.
func ParseTransferKind(s string) (TransferKind, error) {
	for _, v := range transferKinds {
		if v.s == s {
			return v, nil
		}
	}
	return TransferKind{}, domain.Invalid("kind", "enum", fmt.Sprintf("%q is not a transfer kind", s))
}

// String is the stored name; "" for the zero kind.
func (k TransferKind) String() string { return k.s }

// IsZero reports whether the kind is unset.
func (k TransferKind) IsZero() bool { return k.s == "" }

// MarshalText encodes the stored name.
func (k TransferKind) MarshalText() ([]byte, error) { return []byte(k.s), nil }

// UnmarshalText refuses anything but a known kind or "" (unset).
func (k *TransferKind) UnmarshalText(b []byte) error {
	if len(b) == 0 { // the zero value ("unset") round-trips
		*k = TransferKind{}
		return nil
	}
	v, err := ParseTransferKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// Gender as recorded on the CV form and encoded in the personal ID number.
type Gender string

// Genders.
const (
	GenderMale   Gender = "male"
	GenderFemale Gender = "female"
)

func (g Gender) valid() bool { return g == GenderMale || g == GenderFemale }

// YearMonth is a month of a year ("2019-09"), the precision of the CV form's
// from–to columns. The zero value is unset and encodes as "".
type YearMonth struct {
	y int
	m time.Month
}

// NewYearMonth returns the month, or an error wrapping domain.ErrInvalid when
// it lies outside 1900–2200.
func NewYearMonth(year int, month time.Month) (YearMonth, error) {
	if year < 1900 || year > 2200 || month < 1 || month > 12 {
		return YearMonth{}, domain.Invalid("month", "range", fmt.Sprintf("%04d-%02d", year, month))
	}
	return YearMonth{year, month}, nil
}

// MustYearMonth is NewYearMonth for tables and tests; it panics on a bad month.
func MustYearMonth(year int, month time.Month) YearMonth {
	v, err := NewYearMonth(year, month)
	if err != nil {
		panic(err)
	}
	return v
}

// Year is the year; 0 for the zero value.
func (v YearMonth) Year() int { return v.y }

// Month is the month; 0 for the zero value.
func (v YearMonth) Month() time.Month { return v.m }

// IsZero reports whether the month is unset.
func (v YearMonth) IsZero() bool { return v == YearMonth{} }

// Before reports whether v is an earlier month than w.
func (v YearMonth) Before(w YearMonth) bool { return v.y < w.y || v.y == w.y && v.m < w.m }

// String is "YYYY-MM"; "" for the zero value.
func (v YearMonth) String() string {
	if v.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", v.y, v.m)
}

// MarshalText encodes "YYYY-MM".
func (v YearMonth) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText decodes "YYYY-MM"; "" decodes to the zero value.
func (v *YearMonth) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*v = YearMonth{}
		return nil
	}
	t, err := time.Parse("2006-01", string(b))
	if err != nil {
		return domain.Invalid("month", "format", fmt.Sprintf("%q is not YYYY-MM", b))
	}
	w, err := NewYearMonth(t.Year(), t.Month())
	if err != nil {
		return err
	}
	*v = w
	return nil
}

// Coefficient is a salary or allowance coefficient (hệ số), held exactly in
// hundredths: 2.34 is Coefficient(234). Floats would drift in sums and in the
// hash-chained canonical bytes; JSON carries it as a plain decimal number.
type Coefficient int64

// ParseCoefficient parses "2.34" (at most two decimals, not negative).
func ParseCoefficient(s string) (Coefficient, error) {
	bad := domain.Invalid("coefficient", "format", fmt.Sprintf("%q is not a coefficient with at most two decimals", s))
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 6 || len(frac) > 2 || hasDot && frac == "" {
		return 0, bad
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseUint(whole, 10, 32)
	f, err2 := strconv.ParseUint(frac, 10, 8)
	if err1 != nil || err2 != nil || strings.ContainsAny(whole+frac, "+-") {
		return 0, bad
	}
	return Coefficient(w*100 + f), nil
}

// String is the decimal form with two places ("2.34").
func (c Coefficient) String() string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// MarshalJSON writes a JSON number with two decimals.
func (c Coefficient) MarshalJSON() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalJSON reads a JSON number with at most two decimals.
func (c *Coefficient) UnmarshalJSON(b []byte) error {
	if string(b) == "null" { // as for any JSON value: null leaves the field alone
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		return domain.Invalid("coefficient", "format", "a JSON number, not a string")
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	v, err := ParseCoefficient(n.String())
	if err != nil {
		return err
	}
	*c = v
	return nil
}
