package memfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"testing"

	"github.com/spf13/afero"
)

var fuzzPaths = []string{"/f0", "/f1", "/f2", "/d/f0", "/d/f1", "/d/f2"}

// fuzzKind is a coarse error class: MemMapFs reports read-only handles and
// reads past EOF differently, but the outcome class must agree.
func fuzzKind(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	case errors.Is(err, iofs.ErrNotExist):
		return "ENOENT"
	default:
		return "error"
	}
}

// FuzzOps runs a random sequence of file operations against MemMapFs and
// memfs (with 64-byte chunks, so sizes stay small) and requires identical
// results. The operation set avoids the documented divergences (missing
// parents, O_APPEND, offset effects of WriteAt, ...).
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 40, 5, 0, 0, 3, 3, 0, 50, 13, 0})
	f.Add([]byte{0, 1, 1, 12, 1, 200, 6, 1, 30, 2, 1, 20, 9, 4, 1, 10, 2, 4, 11, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 400 {
			ops = ops[:400]
		}
		ref := afero.NewMemMapFs()
		sut := NewWithOptions(Options{ChunkSize: 64})
		for _, fsys := range []afero.Fs{ref, sut} {
			if err := fsys.Mkdir("/d", 0o755); err != nil {
				t.Fatal(err)
			}
		}
		var refH, sutH [4]afero.File
		in := &opBytes{b: ops}
		next := in.next
		fill := func(n, seed int) []byte {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(seed + i*7)
			}
			return b
		}
		for step := 0; in.more(); step++ {
			op := next() % 14
			where := func(format string, args ...any) string {
				return fmt.Sprintf("step %d op %d: %s", step, op, fmt.Sprintf(format, args...))
			}
			same := func(what string, a, b any) {
				t.Helper()
				if fmt.Sprint(a) != fmt.Sprint(b) {
					t.Fatalf("%s: MemMapFs %v, memfs %v", where("%s", what), a, b)
				}
			}
			s := next() % 4
			switch op {
			case 0, 7: // open / close
				if refH[s] != nil {
					refH[s].Close()
					sutH[s].Close()
					refH[s], sutH[s] = nil, nil
				}
				if op == 7 {
					break
				}
				p := fuzzPaths[next()%len(fuzzPaths)]
				flag := []int{os.O_RDWR | os.O_CREATE, os.O_RDWR | os.O_CREATE | os.O_TRUNC, os.O_RDONLY, os.O_RDWR}[next()%4]
				rf, rerr := ref.OpenFile(p, flag, 0o644)
				sf, serr := sut.OpenFile(p, flag, 0o644)
				same("open "+p, fuzzKind(rerr), fuzzKind(serr))
				if rerr == nil {
					refH[s], sutH[s] = rf, sf
				}
			case 8:
				p := fuzzPaths[next()%len(fuzzPaths)]
				ri, rerr := ref.Stat(p)
				si, serr := sut.Stat(p)
				same("stat", fuzzKind(rerr), fuzzKind(serr))
				if rerr == nil {
					same("stat size", ri.Size(), si.Size())
				}
			case 9:
				p := fuzzPaths[next()%len(fuzzPaths)]
				same("remove", fuzzKind(ref.Remove(p)), fuzzKind(sut.Remove(p)))
			case 10:
				a, b := fuzzPaths[next()%len(fuzzPaths)], fuzzPaths[next()%len(fuzzPaths)]
				if a == b {
					break // MemMapFs returns nil even if a does not exist
				}
				same("rename", fuzzKind(ref.Rename(a, b)), fuzzKind(sut.Rename(a, b)))
			case 11:
				d := []string{"/", "/d"}[next()%2]
				same("readdir", listing(ref, d), listing(sut, d))
			default:
				rf, sf := refH[s], sutH[s]
				if rf == nil {
					continue
				}
				switch op {
				case 1:
					data := fill(next()*3+1, step) // MemMapFs extends on empty writes
					rn, rerr := rf.Write(data)
					sn, serr := sf.Write(data)
					same("write", []any{rn, fuzzKind(rerr)}, []any{sn, fuzzKind(serr)})
				case 2:
					off := int64(next() * 5)
					data := fill(next()*2+1, step)
					rp, _ := rf.Seek(0, io.SeekCurrent)
					sp, _ := sf.Seek(0, io.SeekCurrent)
					rn, rerr := rf.WriteAt(data, off)
					sn, serr := sf.WriteAt(data, off)
					rf.Seek(rp, io.SeekStart) // MemMapFs's WriteAt moves the offset
					same("writeat", []any{rn, fuzzKind(rerr), rp}, []any{sn, fuzzKind(serr), sp})
				case 3:
					n := next()*2 + 1 // empty reads differ past EOF
					rb, sb := make([]byte, n), make([]byte, n)
					rn, rerr := rf.Read(rb)
					sn, serr := sf.Read(sb)
					same("read", []any{rn, fuzzKind(rerr), rb[:rn]}, []any{sn, fuzzKind(serr), sb[:sn]})
				case 4:
					off := int64(next() * 3)
					n := next()
					rb, sb := make([]byte, n), make([]byte, n)
					rn, _ := rf.ReadAt(rb, off)
					sn, _ := sf.ReadAt(sb, off)
					same("readat", []any{rn, rb[:rn]}, []any{sn, sb[:sn]})
				case 5:
					whence, off := next()%3, int64(next()*4)
					rp, rerr := rf.Seek(off, whence)
					sp, serr := sf.Seek(off, whence)
					same("seek", []any{rp, fuzzKind(rerr)}, []any{sp, fuzzKind(serr)})
				case 6:
					size := int64(next() * 4)
					same("truncate", fuzzKind(rf.Truncate(size)), fuzzKind(sf.Truncate(size)))
				case 12:
					data := fill(next()*9+1, step)
					rn, rerr := io.Copy(rf, readerOnly{bytes.NewReader(data)})
					sn, serr := sf.(io.ReaderFrom).ReadFrom(iotestHalf(bytes.NewReader(data)))
					same("readfrom", []any{rn, fuzzKind(rerr)}, []any{sn, fuzzKind(serr)})
				case 13:
					var rb, sb bytes.Buffer
					io.Copy(writerOnly{&rb}, readerOnly{rf}) // may report MemMapFs's ErrUnexpectedEOF
					_, serr := sf.(io.WriterTo).WriteTo(writerOnly{&sb})
					same("writeto", []any{rb.Bytes(), "ok"}, []any{sb.Bytes(), fuzzKind(serr)})
				}
			}
		}
		for s := range refH {
			if refH[s] != nil {
				refH[s].Close()
				sutH[s].Close()
			}
		}
		for _, p := range fuzzPaths {
			rb, rerr := afero.ReadFile(ref, p)
			sb, serr := afero.ReadFile(sut, p)
			if fuzzKind(rerr) != fuzzKind(serr) || !bytes.Equal(rb, sb) {
				t.Fatalf("final %s: MemMapFs %d bytes %v, memfs %d bytes %v", p, len(rb), rerr, len(sb), serr)
			}
		}
		files, used := sut.Usage()
		var wantFiles int
		var wantUsed int64
		for _, p := range fuzzPaths {
			if fi, err := ref.Stat(p); err == nil {
				wantFiles++
				wantUsed += fi.Size()
			}
		}
		if files != wantFiles || used != wantUsed {
			t.Fatalf("Usage = %d, %d; want %d, %d", files, used, wantFiles, wantUsed)
		}
	})
}

// opBytes hands out a fuzzer's input one byte at a time, then zeros.
type opBytes struct {
	b   []byte
	pos int
}

func (o *opBytes) next() int {
	if o.pos >= len(o.b) {
		return 0
	}
	o.pos++
	return int(o.b[o.pos-1])
}

func (o *opBytes) more() bool { return o.pos < len(o.b) }

func listing(fsys afero.Fs, dir string) string {
	infos, err := afero.ReadDir(fsys, dir)
	s := fuzzKind(err)
	for _, fi := range infos {
		if fi.IsDir() {
			s += " " + fi.Name() + "/"
		} else {
			s += fmt.Sprintf(" %s:%d", fi.Name(), fi.Size())
		}
	}
	return s
}
