package audit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/hoso-ledger/hoso/domain"
	"github.com/hoso-ledger/hoso/domain/dossier"
)

// decoderValue is what encoding/json gives for b with UseNumber.
func decoderValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errGeneric
	}
	return out, nil
}

func TestGenericJSON(t *testing.T) {
	t.Parallel()
	values := []any{
		nil, true, false, 0, -12, 3.25, 1e21, "", "Nguyễn Văn An", "a\"b\\c\n\t<&>\u2028\x01", "\xff invalid",
		[]any{}, map[string]any{}, []int{1, 2, 3},
		map[string]any{"ho_ten": "Đỗ Thị Mai", "bac": 3, "he_so": 4.98, "ds": []any{nil, "x", map[string]any{"k": false}}},
		dossier.TrainingRow{Institution: "Trường Đại học Y Hà Nội", From: dossier.MustYearMonth(1996, 9)},
		dossier.Salary{Rank: "01.003", Step: 3, Coefficient: dossier.Coefficient(300)},
		domain.MustDate(2025, 7, 1),
	}
	for _, v := range values {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := genericJSON(b)
		want, werr := decoderValue(b)
		if err != nil || werr != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("genericJSON(%s) = %#v, %v; the decoder gives %#v, %v", b, got, err, want, werr)
		}
	}
	for _, bad := range []string{"", "{", "[1,]", `{"a"}`, `{"a":1,}`, "01", "1.", "-", "tru", `"abc`, "1 2", `"\x01"`, "[1 2]"} {
		if v, err := genericJSON([]byte(bad)); err == nil {
			t.Errorf("genericJSON(%q) = %#v, want an error", bad, v)
		}
	}
}

// FuzzGenericJSON: whatever genericJSON accepts, encoding/json reads the
// same; and whatever json.Marshal writes for a string, genericJSON reads.
func FuzzGenericJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true]}`, `"\u003c"`, `-0.5e-3`, "Nguyễn"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := genericJSON([]byte(s)); err == nil {
			want, werr := decoderValue([]byte(s))
			if werr != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("genericJSON(%q) = %#v; the decoder gives %#v, %v", s, got, want, werr)
			}
		}
		b, _ := json.Marshal(map[string]any{"s": s, "l": []any{s}})
		got, err := genericJSON(b)
		want, _ := decoderValue(b)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("genericJSON(%s) = %#v, %v; want %#v", b, got, err, want)
		}
	})
}
