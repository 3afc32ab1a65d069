package cvform_test

import (
	"bytes"
	"os"
	"testing"

	"codeberg.org/go-pdf/fpdf"

	"github.com/hoso-ledger/hoso/app/cvform"
	"github.com/hoso-ledger/hoso/domain/catalog"
)

// BenchmarkRender: the CV form of a dossier with 80 career rows (5 pages)
// beside the raw baseline, fpdf alone loading the same three fonts and
// writing one line: what any PDF in Tinos costs before our layout.
func BenchmarkRender(b *testing.B) {
	f := form(sample(80), false)
	cat := catalog.Default()
	b.Run("cv_80_rows", func(b *testing.B) {
		for b.Loop() {
			if _, err := cvform.Render(f, cat); err != nil {
				b.Fatal(err)
			}
		}
	})
	fonts := map[string][]byte{}
	for style, name := range map[string]string{"": "Regular", "B": "Bold", "I": "Italic"} {
		raw, err := os.ReadFile("fonts/Tinos-" + name + ".ttf")
		if err != nil {
			b.Fatal(err)
		}
		fonts[style] = raw
	}
	b.Run("baseline_fpdf_fonts_one_line", func(b *testing.B) {
		for b.Loop() {
			p := fpdf.New("P", "mm", "A4", "")
			for style, raw := range fonts {
				p.AddUTF8FontFromBytes("Tinos", style, raw)
			}
			p.AddPage()
			for _, style := range []string{"", "B", "I"} {
				p.SetFont("Tinos", style, 11)
				p.Cell(40, 5, "SƠ YẾU LÝ LỊCH")
			}
			var buf bytes.Buffer
			if err := p.Output(&buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
