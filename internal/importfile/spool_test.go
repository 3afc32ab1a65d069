package importfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/hoso-ledger/hoso/internal/demo"
	"github.com/hoso-ledger/hoso/internal/importfile"
)

func readAll(t *testing.T, src importfile.Source, sheet importfile.Sheet) []importfile.Record {
	t.Helper()
	var out []importfile.Record
	if err := src.Each(sheet, func(r importfile.Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatalf("%s: %v", sheet.Key, err)
	}
	return out
}

// openSpooled opens name twice: as it is, and spooled into a folder of
// its own (closed, with the spool, when the test ends).
func openSpooled(t *testing.T, name string) (plain, spooled importfile.Source, dir string) {
	t.Helper()
	plain, err := importfile.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { plain.Close() })
	inner, err := importfile.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inner.Close() })
	dir = t.TempDir()
	spooled = importfile.Spool(inner, dir)
	t.Cleanup(func() { spooled.Close() })
	return plain, spooled, dir
}

func leftIn(t *testing.T, dir string) int {
	t.Helper()
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

// TestSpoolReplaysWhatTheSourceReads: every sheet of a generated
// workbook reads the same through the spool as from the workbook, the
// first time (parsed) and the second (replayed), row numbers and cells
// included; a read stopped early spools nothing, and Close removes the
// files.
func TestSpoolReplaysWhatTheSourceReads(t *testing.T) {
	t.Parallel()
	name := filepath.Join(t.TempDir(), "tinh.xlsx")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(demo.WriteImportWorkbook(f, demo.ImportConfig{Seed: 3, People: 40}), f.Close()); err != nil {
		t.Fatal(err)
	}
	plain, src, dir := openSpooled(t, name)
	if src.SHA256() != plain.SHA256() {
		t.Errorf("SHA-256 %s, want the file's %s", src.SHA256(), plain.SHA256())
	}
	for _, sheet := range importfile.Sheets {
		want := readAll(t, plain, sheet)
		// Stopped after one row: nothing kept, the next read parses.
		stop := errors.New("stop")
		if err := src.Each(sheet, func(importfile.Record) error { return stop }); len(want) > 0 && !errors.Is(err, stop) {
			t.Errorf("%s: a read stopped by fn returned %v", sheet.Key, err)
		}
		for pass := range 3 {
			if got := readAll(t, src, sheet); !reflect.DeepEqual(got, want) {
				t.Errorf("%s, read %d: %d records differ from the source's %d", sheet.Key, pass+1, len(got), len(want))
			}
		}
	}
	if n := leftIn(t, dir); n != len(importfile.Sheets) {
		t.Errorf("%d spool files for %d sheets", n, len(importfile.Sheets))
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if n := leftIn(t, dir); n != 0 {
		t.Errorf("%d spool files left after Close", n)
	}
}

// TestSpoolValues: any cell survives the spool as the source read it —
// empty, NUL, line breaks, long, non-UTF-8 — and a header that cannot be
// read stays an error on every read, with nothing spooled.
func TestSpoolValues(t *testing.T) {
	t.Parallel()
	long := string(make([]byte, 70000))
	in := "org,Số định danh cá nhân (*),Từ tháng (*),title\n" +
		"\"Sở\nNội vụ\",025090000001,03/2015,\n" +
		",025090000002,\x00,\"" + long + "\"\n" +
		"\xff\xfe,025090000003,01/2020,Phó Giám đốc\n"
	name := writeZip(t, map[string]string{"career.csv": in, "family.csv": "personal_id_number,Lương\n1,2\n"})
	plain, src, dir := openSpooled(t, name)
	career, _ := importfile.SheetByKey("career")
	want := readAll(t, plain, career)
	if len(want) != 3 {
		t.Fatalf("%d records read from the file, want 3", len(want))
	}
	for pass := range 2 {
		if got := readAll(t, src, career); !reflect.DeepEqual(got, want) {
			t.Errorf("read %d: %+v, want %+v", pass+1, got, want)
		}
	}
	family, _ := importfile.SheetByKey("family")
	for pass := range 2 {
		var he *importfile.HeaderError
		if err := src.Each(family, func(importfile.Record) error { return nil }); !errors.As(err, &he) {
			t.Errorf("read %d of a sheet with a bad header: %v", pass+1, err)
		}
	}
	if n := leftIn(t, dir); n != 1 {
		t.Errorf("%d spool files, want 1 (the career sheet's)", n)
	}
}
