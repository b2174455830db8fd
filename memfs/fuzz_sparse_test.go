package memfs

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"testing"
)

// genFill is the generator of the tests: byte i of a generated file.
func genFill(p []byte, off int64) {
	for i := range p {
		p[i] = genByte(off + int64(i))
	}
}

func genByte(i int64) byte { return byte(i*167 + i>>11 + 1) }

// sparseModel is the reference for FuzzSparse: one file as a size, the end
// of its generated content and the bytes written over it.
type sparseModel struct {
	size, genEnd int64
	written      map[int64]byte
}

func (m *sparseModel) at(i int64) byte {
	if b, ok := m.written[i]; ok {
		return b
	}
	if i < m.genEnd {
		return genByte(i)
	}
	return 0
}

func (m *sparseModel) write(p []byte, off int64) {
	if len(p) == 0 {
		return
	}
	for i, b := range p {
		m.written[off+int64(i)] = b
	}
	m.size = max(m.size, off+int64(len(p)))
}

func (m *sparseModel) truncate(n int64) {
	for i := range m.written {
		if i >= n {
			delete(m.written, i)
		}
	}
	m.genEnd = min(m.genEnd, n)
	m.size = n
}

// FuzzSparse writes, truncates, reads and regenerates one file at offsets
// near chunk boundaries, near MaxFileSize and far past it, and checks
// every byte read against a model, the size limit, and that only chunks
// written to are stored: holes and generated content cost no memory.
func FuzzSparse(f *testing.F) {
	f.Add([]byte{0, 3, 1, 2, 0, 9, 4, 3, 1})
	f.Add([]byte{5, 7, 1, 1, 1, 6, 3, 2, 2, 4, 8, 0, 3, 5, 1})
	f.Add([]byte{5, 2, 2, 4, 8, 1, 6, 0, 7, 2, 3, 5, 9, 4, 3, 2, 1})
	// 1 KiB chunks: small, yet large enough for ReadFrom's chunk-sized
	// reads and whole-chunk adoption.
	const shift = 10
	const cs = 1 << shift
	const maxSize = 1 << 40
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 300 {
			ops = ops[:300]
		}
		fsys := NewWithOptions(Options{ChunkSize: cs, MaxFileSize: maxSize})
		fh, err := fsys.Create("/f")
		if err != nil {
			t.Fatal(err)
		}
		file := fh.(*File)
		defer file.Close()
		m := &sparseModel{written: map[int64]byte{}}
		touched := map[int64]bool{} // chunk indices a write may have stored
		in := &opBytes{b: ops}
		next := in.next
		offset := func() int64 {
			bases := []int64{0, cs, 5 * cs, maxSize, 1 << 44, 1 << 62, math.MaxInt64 - cs, m.size, m.genEnd}
			b := bases[next()%len(bases)]
			d := int64(next()%130) - 65
			if b+d < 0 {
				return b
			}
			return b + d
		}
		for step := 0; in.more(); step++ {
			switch op := next() % 7; op {
			case 0, 1: // write, WriteAt, ReadFrom
				off := offset()
				n := next()%200 + 1
				if n > 150 {
					n = (n - 150) * 50 // up to 2.5 chunks
				}
				data := bytes.Repeat([]byte{byte(step + 1)}, n)
				var k int
				var err error
				switch op := next() % 3; {
				case op == 0:
					k, err = file.WriteAt(data, off)
				case op == 1 && off <= maxSize:
					if _, err := file.Seek(off, io.SeekStart); err != nil {
						t.Fatalf("step %d: seek %d: %v", step, off, err)
					}
					var n int64
					n, err = file.ReadFrom(bytes.NewReader(data))
					k = int(n)
				default:
					_, serr := file.Seek(off, io.SeekStart)
					if off > maxSize {
						if !errors.Is(serr, ErrFileTooLarge) {
							t.Fatalf("step %d: seek %d past the limit: %v", step, off, serr)
						}
						continue
					}
					k, err = file.Write(data)
				}
				want := int(max(min(int64(len(data)), maxSize-off), 0))
				if k != want || (want < len(data)) != errors.Is(err, ErrFileTooLarge) || (err != nil && !errors.Is(err, ErrFileTooLarge)) {
					t.Fatalf("step %d: write %d at %d = %d, %v; want %d", step, len(data), off, k, err, want)
				}
				m.write(data[:k], off)
				for i := off >> shift; k > 0 && i <= (off+int64(k)-1)>>shift; i++ {
					touched[i] = true
				}
			case 2: // truncate
				n := offset()
				err := file.Truncate(n)
				if n > maxSize && n > m.size {
					if !errors.Is(err, ErrFileTooLarge) {
						t.Fatalf("step %d: truncate to %d: %v", step, n, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: truncate to %d: %v", step, n, err)
				}
				m.truncate(n)
				for i := range touched {
					if i<<shift >= n {
						delete(touched, i)
					}
				}
			case 3: // regenerate
				size := offset()
				if err := fsys.Generate("/f", size, genFill); err != nil {
					t.Fatalf("step %d: generate %d: %v", step, size, err)
				}
				m.written, m.size, m.genEnd = map[int64]byte{}, size, size
				clear(touched)
			case 4, 5: // ReadAt, or WriteTo of a file's last bytes
				off := offset()
				n := next() * 2
				if op == 5 {
					off = max(m.size-int64(n), 0)
				}
				var got []byte
				if op == 4 {
					got = make([]byte, n)
					k, _ := file.ReadAt(got, off)
					got = got[:k]
				} else {
					if _, err := file.Seek(off, io.SeekStart); err != nil && off <= maxSize {
						t.Fatalf("step %d: seek %d: %v", step, off, err)
					} else if err != nil {
						continue
					}
					var b bytes.Buffer
					if _, err := file.WriteTo(&b); err != nil {
						t.Fatal(err)
					}
					got = b.Bytes()
				}
				if wantN := max(min(int64(n), m.size-off), 0); int64(len(got)) != wantN && op == 4 {
					t.Fatalf("step %d: read %d at %d of %d: got %d bytes", step, n, off, m.size, len(got))
				}
				for i, b := range got {
					if w := m.at(off + int64(i)); b != w {
						t.Fatalf("step %d: byte %d is %d, want %d", step, off+int64(i), b, w)
					}
				}
			case 6:
				if fi, err := file.Stat(); err != nil || fi.Size() != m.size {
					t.Fatalf("step %d: size %v, %v; want %d", step, fi.Size(), err, m.size)
				}
			}
			checkChunks(t, fsys, file.node, touched)
		}
		if files, used := fsys.Usage(); files != 1 || used != m.size {
			t.Fatalf("Usage = %d, %d; want 1, %d", files, used, m.size)
		}
		if err := fsys.Remove("/f"); err != nil {
			t.Fatal(err)
		}
		if _, err := fsys.Stat("/f"); !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	})
}

// checkChunks checks the invariants of n's chunks, and that each was
// written to.
func checkChunks(t *testing.T, fsys *Fs, n *node, touched map[int64]bool) {
	t.Helper()
	n.mu.RLock()
	defer n.mu.RUnlock()
	size := n.size.Load()
	for k, c := range n.chunks {
		base := c.i << fsys.chunkShift
		switch {
		case k > 0 && n.chunks[k-1].i >= c.i:
			t.Fatalf("chunks out of order at %d", k)
		case !touched[c.i]:
			t.Fatalf("chunk %d is stored but was never written to", c.i)
		case len(c.b) > fsys.chunkSize || int64(len(c.b)) > size-base:
			t.Fatalf("chunk %d holds %d bytes past the end of file (size %d)", c.i, len(c.b), size)
		case len(c.b) < n.genLen(fsys, c.i):
			t.Fatalf("chunk %d holds %d bytes, less than its %d generated bytes", c.i, len(c.b), n.genLen(fsys, c.i))
		}
	}
}
