package policy

import (
	"testing"

	"github.com/hoso-ledger/hoso/domain"
)

// TestPresetsInForceFromTheirRegulation: a provincial preset's rules are in
// force from the day its regulation took effect, as the regulation's own
// article on its effect says, so a duty that started earlier is not judged
// by them: TG Điều 2 of the decision (from 15/02/2025), PT Điều 2 (from
// signing, 20/12/2021), BT Điều 2 (7 days after signing on 21/11/2013:
// 28/11/2013). The Huế and Bình Định texts leave the signing day blank, so
// their rules carry no start (in force for every duty, as before).
func TestPresetsInForceFromTheirRegulation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		preset string
		from   domain.Date
	}{
		{"tien-giang-2025", domain.MustDate(2025, 2, 15)},
		{"phu-tho-2021", domain.MustDate(2021, 12, 20)},
		{"binh-tan-2013", domain.MustDate(2013, 11, 28)},
		{"hue-health-2017", domain.Date{}},
		{"binh-dinh-2022", domain.Date{}},
	} {
		p, err := Preset(tc.preset)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		check := func(what string, v Validity) {
			n++
			if v.ValidFrom != tc.from || !v.ValidUntil.IsZero() {
				t.Errorf("%s %s: validity %+v, want from %s, open", tc.preset, what, v, tc.from)
			}
		}
		for _, d := range p.Deadlines() {
			check(d.Action.String(), d.Validity)
		}
		for _, w := range p.Windows() {
			check(w.Action.String(), w.Validity)
		}
		for _, r := range p.Reports() {
			check(r.Action.String(), r.Validity)
		}
		if n == 0 {
			t.Errorf("%s: no rule", tc.preset)
		}
		if !tc.from.IsZero() {
			ds, ws, rs := p.InForce(tc.from.AddDays(-1))
			if len(ds)+len(ws)+len(rs) != 0 {
				t.Errorf("%s: rules in force the day before %s", tc.preset, tc.from)
			}
		}
	}
}
