package api

import (
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestParsePurposeHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, purpose, ref string
		ok               bool
	}{
		{"inspection", "inspection", "", true},
		{"  court ;ref=\"88/CV-TAND\"  ", "court", "88/CV-TAND", true},
		{`police; ref="a \"quoted\" \\ ref"`, "police", `a "quoted" \ ref`, true},
		{`inspection; ref=%"15/Q%c4%90-TTr"`, "inspection", "15/QĐ-TTr", true},
		{`inspection; ref="15/QĐ-TTr"`, "inspection", "15/QĐ-TTr", true}, // raw UTF-8, leniently
		{"inspection; ref=\"Hoa\u0300\"", "inspection", "Hoà", true},     // NFC
		{`audit; ref=KTNN-12/2026`, "audit", "KTNN-12/2026", true},       // a token
		{"", "", "", false},
		{"; ref=\"1\"", "", "", false},
		{`inspection ref="1"`, "", "", false},
		{`inspection; ref`, "", "", false},
		{`inspection; ref=`, "", "", false},
		{`inspection; ref="1"; ref="2"`, "", "", false},
		{`inspection; reference="1"`, "", "", false},
		{`inspection; ref="1`, "", "", false},
		{`inspection; ref="\n"`, "", "", false},
		{`inspection; ref="a\x01"`, "", "", false},
		{`inspection; ref=%"%C4%90"`, "", "", false}, // upper-case hex
		{`inspection; ref=%"%ff"`, "", "", false},    // not UTF-8
		{`inspection; ref=%"Đ"`, "", "", false},      // raw bytes in a display string
		{"inspection; ref=\"\xff\"", "", "", false},
		{`inspection; ref="` + strings.Repeat("đ", 201) + `"`, "", "", false},
		{strings.Repeat("a", 1025), "", "", false},
	} {
		p, ref, err := parsePurposeHeader(tc.in)
		if (err == nil) != tc.ok || p != tc.purpose || ref != tc.ref {
			t.Errorf("parsePurposeHeader(%q) = %q, %q, %v; want %q, %q, ok %v", tc.in, p, ref, err, tc.purpose, tc.ref, tc.ok)
		}
	}
}

// FuzzPurposeHeader: no header crashes the parser; what it accepts is a
// token and a reference as the read log stores it (NFC, trimmed, at most
// 200 characters, no control character), and a reference written back as
// a display string parses to itself.
func FuzzPurposeHeader(f *testing.F) {
	for _, s := range []string{"inspection", `court; ref="88/CV"`, `inspection; ref=%"Q%c4%90"`, `x;ref=a`, `a; ref="\\"`, `;`, `a; ref=%"`, "a; ref=\"\xc4\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		p, ref, err := parsePurposeHeader(h)
		if err != nil {
			return
		}
		if p == "" || strings.ContainsAny(p, " ;\"=") {
			t.Fatalf("parsePurposeHeader(%q): purpose %q", h, p)
		}
		if !utf8.ValidString(ref) || !norm.NFC.IsNormalString(ref) || ref != strings.TrimSpace(ref) || utf8.RuneCountInString(ref) > maxPurposeRef {
			t.Fatalf("parsePurposeHeader(%q): reference %q is not as stored", h, ref)
		}
		for _, r := range ref {
			if unicode.IsControl(r) {
				t.Fatalf("parsePurposeHeader(%q): control character in %q", h, ref)
			}
		}
		var b strings.Builder
		for _, c := range []byte(ref) {
			if c < 0x20 || c > 0x7e || c == '%' || c == '"' {
				fmt.Fprintf(&b, "%%%02x", c)
			} else {
				b.WriteByte(c)
			}
		}
		p2, ref2, err := parsePurposeHeader(p + `; ref=%"` + b.String() + `"`)
		if err != nil || p2 != p || ref2 != ref {
			t.Fatalf("display string of %q = %q, %q, %v", ref, p2, ref2, err)
		}
	})
}
