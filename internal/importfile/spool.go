package importfile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
)

// Spool wraps src so that each sheet is parsed once: the first read of a
// sheet that goes to its end also writes its records, already placed in
// the sheet's columns and cleaned, to a temporary file in dir (the
// system's when ""), and later reads of that sheet replay the file. An
// import reads the whole file to check it, then again to write it;
// parsing a workbook's XML is most of what the first read costs, and the
// replay costs a fraction of it. Memory stays bounded: the records go to
// disk, not to the heap. A read that stops early (an error, fn's refusal)
// or a sheet whose header cannot be read leaves nothing spooled, and the
// next read goes to src again. Close removes the files; src stays open,
// for its owner to close.
func Spool(src Source, dir string) Source {
	return &spool{src: src, dir: dir, files: map[string]string{}}
}

type spool struct {
	src Source
	dir string

	mu    sync.Mutex
	files map[string]string // sheet key → its complete spool file
}

func (s *spool) SHA256() string { return s.src.SHA256() }

func (s *spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for k, name := range s.files {
		errs = append(errs, os.Remove(name))
		delete(s.files, k)
	}
	return errors.Join(errs...)
}

func (s *spool) Each(sheet Sheet, fn func(Record) error) error {
	s.mu.Lock()
	name, ok := s.files[sheet.Key]
	s.mu.Unlock()
	if ok {
		return replay(name, len(sheet.Columns), fn)
	}
	f, err := os.CreateTemp(s.dir, "hoso-import-"+sheet.Key+"-*")
	if err != nil {
		return fmt.Errorf("importfile: spooling sheet %s: %w", sheet.Key, err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	var werr error
	var buf []byte
	err = s.src.Each(sheet, func(r Record) error {
		if werr == nil {
			buf = appendRecord(buf[:0], r)
			_, werr = w.Write(buf)
		}
		return fn(r)
	})
	if werr == nil {
		werr = w.Flush()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if err != nil || werr != nil {
		// A sheet not read to its end, or not spooled whole, is read from
		// the source next time.
		return errors.Join(err, os.Remove(f.Name()))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.files[sheet.Key]; ok {
		// Another read spooled the sheet meanwhile: keep one.
		s.files[sheet.Key] = f.Name()
		return os.Remove(old)
	}
	s.files[sheet.Key] = f.Name()
	return nil
}

// appendRecord encodes r: its row, then each value and each column as
// lengths and bytes (uvarints; a column as its index + 1, 0 for none).
func appendRecord(b []byte, r Record) []byte {
	b = binary.AppendUvarint(b, uint64(r.Row))
	b = binary.AppendUvarint(b, uint64(len(r.Values)))
	for _, v := range r.Values {
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Cols)))
	for _, c := range r.Cols {
		b = binary.AppendUvarint(b, uint64(c+1))
	}
	return b
}

// replay reads a spool file's records for fn. The lengths are bounded by
// what a sheet of columns can hold, so a damaged file is an error, not a
// huge allocation.
func replay(name string, columns int, fn func(Record) error) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("importfile: replaying a spooled sheet: %w", err)
	}
	defer f.Close()
	rd := bufio.NewReaderSize(f, 1<<16)
	bad := func(err error) error {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("importfile: replaying a spooled sheet: %w", err)
	}
	count := func() (int, error) {
		n, err := binary.ReadUvarint(rd)
		if err == nil && n > uint64(columns) {
			err = errors.New("damaged spool file")
		}
		return int(n), err
	}
	var scratch []byte
	for {
		row, err := binary.ReadUvarint(rd)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return bad(err)
		}
		r := Record{Row: int(row)}
		n, err := count()
		if err != nil {
			return bad(err)
		}
		r.Values = make([]string, n)
		for i := range r.Values {
			l, err := binary.ReadUvarint(rd)
			if err == nil && l > 1<<30 {
				err = errors.New("damaged spool file")
			}
			if err != nil {
				return bad(err)
			}
			scratch = slices.Grow(scratch[:0], int(l))[:l]
			if _, err := io.ReadFull(rd, scratch); err != nil {
				return bad(err)
			}
			r.Values[i] = string(scratch)
		}
		if n, err = count(); err != nil {
			return bad(err)
		}
		r.Cols = make([]int, n)
		for i := range r.Cols {
			c, err := binary.ReadUvarint(rd)
			if err != nil {
				return bad(err)
			}
			r.Cols[i] = int(c) - 1
		}
		if err := fn(r); err != nil {
			return err
		}
	}
}
