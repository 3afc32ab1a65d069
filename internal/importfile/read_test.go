package importfile_test

import (
	"archive/zip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hoso-ledger/hoso/internal/importfile"
)

func writeZip(t testing.TB, files map[string]string) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "ho-so.zip")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for n, content := range files {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := errors.Join(zw.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestZipOfAFolder: a zip made of a folder of CSV files reads like the
// folder: a byte-order mark, the template's "(*)" marks, Vietnamese or key
// headers in any order, and blank rows left out; the row numbers are the
// file's.
func TestZipOfAFolder(t *testing.T) {
	t.Parallel()
	name := writeZip(t, map[string]string{
		"xuat/career.csv": "\ufefforg,Số định danh cá nhân (*),Từ tháng (*)\nSở Nội vụ,025090000001,03/2015\n,,\n  Văn phòng ,025090000001,01/2020\n",
	})
	src, err := importfile.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	career, _ := importfile.SheetByKey("career")
	var got [][]string
	var rows []int
	if err := src.Each(career, func(r importfile.Record) error {
		got = append(got, []string{r.Get(career, "personal_id_number"), r.Get(career, "from"), r.Get(career, "org"), r.Cell(career, "from")})
		rows = append(rows, r.Row)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"025090000001", "03/2015", "Sở Nội vụ", "C2"}, {"025090000001", "01/2020", "Văn phòng", "C4"}}
	if !slices.EqualFunc(got, want, slices.Equal) || !slices.Equal(rows, []int{2, 4}) {
		t.Errorf("records %q at rows %v, want %q at 2, 4", got, rows, want)
	}
	identity, _ := importfile.SheetByKey("identity")
	if err := src.Each(identity, func(importfile.Record) error { t.Error("a sheet the file lacks has rows"); return nil }); err != nil {
		t.Error(err)
	}
	if len(src.SHA256()) != 64 {
		t.Errorf("SHA256 %q", src.SHA256())
	}
}

// TestHeaderProblems: a header that cannot be read names what is missing,
// unknown or repeated, and no row is read.
func TestHeaderProblems(t *testing.T) {
	t.Parallel()
	career, _ := importfile.SheetByKey("career")
	for _, c := range []struct {
		header                     string
		missing, unknown, repeated []string
	}{
		{"personal_id_number,org", []string{"from"}, nil, nil},
		{"personal_id_number,from,org,Lương", nil, []string{"Lương"}, nil},
		{"personal_id_number,from,org,Từ tháng", nil, nil, []string{"Từ tháng"}},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "career.csv"), []byte(c.header+"\n1,2,3,4\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := importfile.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		err = src.Each(career, func(importfile.Record) error { t.Errorf("%s: a row was read", c.header); return nil })
		var he *importfile.HeaderError
		if !errors.As(err, &he) || !slices.Equal(he.Missing, c.missing) || !slices.Equal(he.Unknown, c.unknown) || !slices.Equal(he.Repeated, c.repeated) {
			t.Errorf("%s: %v", c.header, err)
		}
		src.Close()
	}
}

// FuzzCSV: any bytes as a sheet's CSV file are read or refused, never a
// panic, and every record has one value per column.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("personal_id_number,from,org\n025090000001,03/2015,Sở\n"))
	f.Add([]byte("\ufeffSố định danh cá nhân (*),Từ tháng\n\"a\nb\",\x00\n"))
	f.Add([]byte(",,,\n,,\n"))
	career, _ := importfile.SheetByKey("career")
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "career.csv"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := importfile.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		_ = src.Each(career, func(r importfile.Record) error {
			if len(r.Values) != len(career.Columns) || len(r.Cols) != len(career.Columns) {
				t.Fatalf("record %+v", r)
			}
			return nil
		})
	})
}
