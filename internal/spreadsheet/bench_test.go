package spreadsheet_test

import (
	"bufio"
	"encoding/csv"
	"io"
	"iter"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hoso-ledger/hoso/internal/spreadsheet"
)

// BenchmarkWrite50000Lines writes one line per dossier of a 50,000-dossier
// province (ten columns: text, numbers, dates, instants) as a workbook and,
// the raw baseline, as CSV. B/op is every byte allocated for the file: the
// StreamWriter keeps it far below the 200 MB budget of issue 16 because
// rows spill to a temporary file instead of a DOM of cells.
func BenchmarkWrite50000Lines(b *testing.B) {
	const n = 50_000
	cols := []spreadsheet.Column{{Kind: spreadsheet.Int}, {}, {Kind: spreadsheet.Date}, {}, {}, {}, {}, {Kind: spreadsheet.Date}, {Kind: spreadsheet.Instant}, {Kind: spreadsheet.Int, Sum: true}}
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	lines := func(yield func([]any) bool) {
		for i := range n {
			if !yield([]any{i + 1, "Nguyễn Thị Minh Khai " + strconv.Itoa(i), time.Date(1960+i%40, time.Month(1+i%12), 1+i%28, 0, 0, 0, 0, time.UTC),
				"female", "vien_chuc", "Bệnh viện Đa khoa tỉnh", "retired", time.Date(2020+i%6, 6, 30, 0, 0, 0, 0, time.UTC), at, i % 3}) {
				return
			}
		}
	}
	b.Run("xlsx", func(b *testing.B) {
		b.ReportAllocs()
		var size countWriter
		for b.Loop() {
			size = 0
			if _, err := spreadsheet.Write(&size, spreadsheet.Report{Title: "DANH SÁCH", Columns: cols, TotalLabel: "Tổng cộng"}, lines); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(size)/(1<<20), "MiB")
		b.ReportMetric(peakRSS(), "peak-RSS-MB")
	})
	b.Run("raw-csv", func(b *testing.B) {
		b.ReportAllocs()
		var size countWriter
		for b.Loop() {
			size = 0
			bw := bufio.NewWriter(&size)
			w := csv.NewWriter(bw)
			rec := make([]string, len(cols))
			for line := range iter.Seq[[]any](lines) {
				for i, v := range line {
					switch v := v.(type) {
					case int:
						rec[i] = strconv.Itoa(v)
					case string:
						rec[i] = v
					case time.Time:
						rec[i] = v.Format("02/01/2006")
					}
				}
				if err := w.Write(rec); err != nil {
					b.Fatal(err)
				}
			}
			w.Flush()
			if err := bw.Flush(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(size)/(1<<20), "MiB")
	})
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

var _ io.Writer = new(countWriter)

// peakRSS is the process's peak resident set in MB (ru_maxrss is in KiB on
// Linux). The xlsx case runs first, so its figure is its own.
func peakRSS() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024
}
