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
