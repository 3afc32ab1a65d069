// Package pdftest reads PDFs back as a person would, with poppler's
// command-line tools (pdftotext, pdffonts, pdfinfo, pdftoppm): what the
// document tests of the CV form check. For tests only. A missing tool
// fails the test (make test installs them, see the Makefile's TEST_TOOLS).
package pdftest

import (
	"bytes"
	"fmt"

	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// file writes pdf to a temporary file: poppler's tools want a path.
func file(t testing.TB, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t testing.TB, tool string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %v: %v\n%s", tool, args, err, stderr)
	}
	return string(out)
}

// Text is pdftotext -layout of pages first..last (last 0: to the end).
func Text(t testing.TB, pdf []byte, first, last int) string {
	t.Helper()
	args := []string{"-layout", "-enc", "UTF-8", "-f", fmt.Sprint(first)}
	if last > 0 {
		args = append(args, "-l", fmt.Sprint(last))
	}
	return run(t, "pdftotext", append(args, file(t, pdf), "-")...)
}

// Font is one row of pdffonts.
type Font struct {
	Name     string
	Embedded bool
}

// Fonts lists the fonts pdffonts finds.
func Fonts(t testing.TB, pdf []byte) []Font {
	t.Helper()
	out := run(t, "pdffonts", file(t, pdf))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var fonts []Font
	for _, l := range lines[min(2, len(lines)):] {
		// name, type…, encoding, emb, sub, uni, object, generation
		f := strings.Fields(l)
		if len(f) < 6 {
			t.Fatalf("pdffonts: unexpected line %q", l)
		}
		fonts = append(fonts, Font{Name: f[0], Embedded: f[len(f)-5] == "yes"})
	}
	return fonts
}

// Pages is the page count pdfinfo reports.
func Pages(t testing.TB, pdf []byte) int {
	t.Helper()
	for _, l := range strings.Split(run(t, "pdfinfo", file(t, pdf)), "\n") {
		if rest, ok := strings.CutPrefix(l, "Pages:"); ok {
			var n int
			if _, err := fmt.Sscan(rest, &n); err != nil {
				t.Fatalf("pdfinfo: %q: %v", l, err)
			}
			return n
		}
	}
	t.Fatal("pdfinfo: no page count")
	return 0
}

// PagePNG renders one page with pdftoppm at dpi and returns the PNG.
func PagePNG(t testing.TB, pdf []byte, page, dpi int) []byte {
	t.Helper()
	dir := t.TempDir()
	run(t, "pdftoppm", "-png", "-r", fmt.Sprint(dpi), "-f", fmt.Sprint(page), "-l", fmt.Sprint(page), "-singlefile", file(t, pdf), filepath.Join(dir, "page"))
	b, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Ink is the share of dark pixels of a PNG: 0 for a blank page.
func Ink(t testing.TB, pngData []byte) float64 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if (r+g+bl)/3 < 0x8000 {
				dark++
			}
		}
	}
	return float64(dark) / float64(b.Dx()*b.Dy())
}
