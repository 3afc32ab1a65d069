package vntext

import "testing"

func TestFold(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"Nguyễn Văn An", "nguyen van an"},
		{"NGUYỄN VĂN AN", "nguyen van an"},
		{"nguyen van an", "nguyen van an"},
		{"Đặng Thị Đào", "dang thi dao"},
		{"  Trần   Thị\tBình ", "tran thi binh"},
		{"Nguye\u0302\u0303n", "nguyen"}, // combining marks
		{"Hồ Chí Minh", "ho chi minh"},
		{"Ơ Đu", "o du"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNFC(t *testing.T) {
	t.Parallel()
	if got := NFC("Nguye\u0302\u0303n"); got != "Nguyễn" {
		t.Errorf("NFC = %q, want precomposed Nguyễn", got)
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"Nguyễn Văn An", "Đ", "\xff", "a\u0301\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := Fold(s)
		if Fold(once) != once {
			t.Fatalf("Fold is not idempotent on %q: %q then %q", s, once, Fold(once))
		}
	})
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		multiline bool
		want      string
	}{
		{"Vietnamese name", "Nguyễn Văn An", false, ""},
		{"Đ and tones", "Đặng Thị Ngọc Ánh", false, ""},
		{"document number", "15/QĐ-SYT", false, ""},
		{"emoji pair", "Hoa 😀", false, ""},
		{"new line in multi-line text", "dòng 1\ndòng 2", true, ""},
		{"new line in a one-line text", "dòng 1\ndòng 2", false, RuleControl},
		{"NUL", "An\x00", false, RuleControl},
		{"NUL in multi-line text", "An\x00", true, RuleControl},
		{"BEL", "An\a", true, RuleControl},
		{"ANSI escape", "\x1b[31mAn", false, RuleControl},
		{"tab", "An\tBình", false, RuleControl},
		{"carriage return", "a\r\nb", true, RuleControl},
		{"DEL", "An\x7f", false, RuleControl},
		{"C1 control", "An\u0085", false, RuleControl},
		{"C1 CSI", "An\u009b31m", true, RuleControl},
		{"invalid UTF-8", "An\xff", false, RuleUTF8},
		{"replacement character (a lone surrogate decoded)", "An\uFFFD", false, RuleReplacement},
		{"right-to-left override", "An\u202Egnaw", false, RuleBidi},
		{"left-to-right embedding", "\u202AAn", false, RuleBidi},
		{"pop directional isolate", "An\u2069", true, RuleBidi},
		{"first strong isolate", "\u2068An", false, RuleBidi},
		{"right-to-left mark", "An\u200F", false, RuleBidi},
		{"zero-width space", "Ng\u200Buyễn", false, RuleInvisible},
		{"zero-width non-joiner", "An\u200C", false, RuleInvisible},
		{"zero-width joiner", "An\u200D", true, RuleInvisible},
		{"word joiner", "An\u2060", false, RuleInvisible},
		{"byte order mark", "\uFEFFAn", false, RuleInvisible},
		{"soft hyphen", "Nguy\u00ADễn", false, RuleInvisible},
		{"line separator", "An\u2028B", true, RuleControl},
	}
	for _, tt := range tests {
		if got := Check(tt.in, tt.multiline); got != tt.want {
			t.Errorf("Check(%q, %v) = %q, want %q", tt.in, tt.multiline, got, tt.want)
		}
	}
}
