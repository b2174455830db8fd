package memfs

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"syscall"
	"testing"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"
)

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestHoleCostsNoMemory writes one byte far past the end of a file, the
// way REST then STOR does: the hole between costs nothing.
func TestHoleCostsNoMemory(t *testing.T) {
	fsys := NewWithOptions(Options{MaxFileSize: -1})
	for _, off := range []int64{17592186044416, 4611686018427387904} {
		before := heapAlloc()
		f, err := fsys.OpenFile("/h.bin", os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if n, err := f.Write([]byte{7}); n != 1 || err != nil {
			t.Fatalf("write at %d: %d, %v", off, n, err)
		}
		f.Close()
		grew := int64(heapAlloc()) - int64(before)
		t.Logf("one byte at %d: heap +%d KiB", off, grew>>10)
		if grew > 4<<20 {
			t.Errorf("one byte at %d grew the heap by %d MiB", off, grew>>20)
		}
		if fi, err := fsys.Stat("/h.bin"); err != nil || fi.Size() != off+1 {
			t.Fatalf("stat: %v, %v", fi, err)
		}
		g, _ := fsys.Open("/h.bin")
		b := make([]byte, 5)
		if n, err := g.ReadAt(b, off-4); n != 5 || err != nil || !bytes.Equal(b, []byte{0, 0, 0, 0, 7}) {
			t.Errorf("read the end: %d, %v, %v", n, err, b)
		}
		if n, err := g.ReadAt(b, off/2); n != 5 || err != nil || !bytes.Equal(b, make([]byte, 5)) {
			t.Errorf("read the hole: %d, %v, %v", n, err, b)
		}
		g.Close()
	}
	if n := len(fsys.root.children["h.bin"].chunks); n != 2 {
		t.Errorf("%d chunks stored for two bytes written", n)
	}
}

// TestMaxFileSize: writes, truncates and write offsets past the limit
// fail with an error that ftpserverlib answers with 552, after storing
// the bytes below it; reading is not limited.
func TestMaxFileSize(t *testing.T) {
	const limit = 1000
	fsys := NewWithOptions(Options{MaxFileSize: limit, ChunkSize: 64})
	if fsys.MaxFileSize() != limit || New().MaxFileSize() != DefaultMaxFileSize {
		t.Fatalf("MaxFileSize = %d, default %d", fsys.MaxFileSize(), New().MaxFileSize())
	}
	f, _ := fsys.Create("/f")
	defer f.Close()
	check := func(what string, err error) {
		t.Helper()
		var pe *os.PathError
		if !errors.Is(err, ErrFileTooLarge) || !errors.Is(err, ftpserver.ErrStorageExceeded) || !errors.Is(err, syscall.EFBIG) ||
			!errors.As(err, &pe) || pe.Path != "/f" {
			t.Errorf("%s: %v", what, err)
		}
	}
	n, err := f.WriteAt(make([]byte, 100), limit-10)
	check("write across the limit", err)
	if n != 10 {
		t.Errorf("wrote %d bytes, want the 10 below the limit", n)
	}
	_, err = f.WriteAt([]byte{1}, limit)
	check("write at the limit", err)
	_, err = f.WriteAt([]byte{1}, 1<<62)
	check("write far past the limit", err)
	check("truncate past the limit", f.Truncate(limit+1))
	_, err = f.Seek(limit+1, io.SeekStart)
	check("seek past the limit", err)
	if _, err := f.Seek(limit, io.SeekStart); err != nil {
		t.Errorf("seek to the limit: %v", err)
	}
	k, err := f.(io.ReaderFrom).ReadFrom(bytes.NewReader([]byte{1}))
	check("ReadFrom at the limit", err)
	if k != 0 {
		t.Errorf("ReadFrom stored %d bytes", k)
	}
	r, _ := fsys.Open("/f")
	defer r.Close()
	if _, err := r.Seek(1<<62, io.SeekStart); err != nil {
		t.Errorf("a read-only handle may seek anywhere: %v", err)
	}
	if fi, _ := fsys.Stat("/f"); fi.Size() != limit {
		t.Errorf("size %d, want %d", fi.Size(), limit)
	}
	if len(fsys.root.children["f"].chunks) != 1 {
		t.Error("the hole before the last bytes was stored")
	}
}

// TestGenerate: a generated file reads as its generator, and writes,
// appends, truncates and O_TRUNC behave as on a stored file.
func TestGenerate(t *testing.T) {
	const cs = 4096
	const size = 10*cs + 100
	fsys := NewWithOptions(Options{ChunkSize: cs})
	want := make([]byte, size)
	genFill(want, 0)
	gen := func() {
		t.Helper()
		if err := fsys.Generate("/g", size, genFill); err != nil {
			t.Fatal(err)
		}
		want = want[:size]
		genFill(want, 0)
	}
	same := func(what string) {
		t.Helper()
		got, err := afero.ReadFile(fsys, "/g")
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %d bytes (want %d), %v; first difference at %d", what, len(got), len(want), err, firstDiff(got, want))
		}
		f, _ := fsys.Open("/g")
		var b bytes.Buffer
		f.(io.WriterTo).WriteTo(&b)
		f.Close()
		if !bytes.Equal(b.Bytes(), want) {
			t.Fatalf("%s: WriteTo differs at %d", what, firstDiff(b.Bytes(), want))
		}
	}
	gen()
	same("generated")
	if n := len(fsys.root.children["g"].chunks); n != 0 {
		t.Fatalf("%d chunks stored for a generated file", n)
	}

	// REST+STOR inside, across a chunk boundary: one chunk each side.
	f, _ := fsys.OpenFile("/g", os.O_WRONLY|os.O_CREATE, 0o644)
	f.Seek(3*cs-5, io.SeekStart)
	f.Write([]byte("0123456789"))
	f.Close()
	copy(want[3*cs-5:], "0123456789")
	same("written inside")
	if n := len(fsys.root.children["g"].chunks); n != 2 {
		t.Errorf("%d chunks stored for a write across two", n)
	}

	// APPE: the last chunk keeps its generated bytes.
	f, _ = fsys.OpenFile("/g", os.O_WRONLY|os.O_APPEND, 0o644)
	f.Write([]byte("tail"))
	f.Close()
	want = append(want, "tail"...)
	same("appended")

	// A whole chunk arriving from the network replaces a generated one.
	gen()
	f, _ = fsys.OpenFile("/g", os.O_WRONLY, 0o644)
	f.Seek(2*cs, io.SeekStart)
	up := bytes.Repeat([]byte{9}, cs)
	if n, err := f.(io.ReaderFrom).ReadFrom(readerOnly{bytes.NewReader(up)}); n != cs || err != nil {
		t.Fatal(n, err)
	}
	f.Close()
	copy(want[2*cs:], up)
	same("a chunk uploaded over it")

	// Truncate cuts the generated content: growing again gives zeros.
	f, _ = fsys.OpenFile("/g", os.O_WRONLY, 0o644)
	f.Truncate(cs + 10)
	f.Truncate(2*cs + 10)
	f.Close()
	want = append(want[:cs+10], make([]byte, cs)...)
	same("truncated and grown")

	// O_TRUNC (STOR) replaces it with a stored file.
	gen()
	if err := afero.WriteFile(fsys, "/g", []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	want = []byte("new")
	same("replaced")
	if g := fsys.root.children["g"]; g.gen != nil || g.genEnd != 0 {
		t.Error("the generator outlived O_TRUNC")
	}
	if _, used := fsys.Usage(); used != 3 {
		t.Errorf("used %d", used)
	}
	if err := fsys.Generate("/g", -1, genFill); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("negative size: %v", err)
	}
	if err := fsys.Generate("/no/g", 1, genFill); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing parent: %v", err)
	}
	q := NewWithOptions(Options{Quota: 100})
	if err := q.Generate("/g", 101, genFill); !errors.Is(err, ErrQuotaExceeded) {
		t.Errorf("over the quota: %v", err)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestGenerateTerabyte serves a 1 TiB generated file: its size, its tail
// read through WriteTo, a write inside it and an append refused past
// MaxFileSize, with the heap flat.
func TestGenerateTerabyte(t *testing.T) {
	const size = 1 << 40
	fsys := New()
	before := heapAlloc()
	if err := fsys.Generate("/huge.bin", size, genFill); err != nil {
		t.Fatal(err)
	}
	if fi, err := fsys.Stat("/huge.bin"); err != nil || fi.Size() != size {
		t.Fatalf("stat: %v, %v", fi, err)
	}
	f, _ := fsys.Open("/huge.bin")
	const tail = 10<<20 + 3
	if _, err := f.Seek(size-tail, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if n, err := f.(io.WriterTo).WriteTo(&b); n != tail || err != nil {
		t.Fatalf("WriteTo: %d, %v", n, err)
	}
	f.Close()
	want := make([]byte, tail)
	genFill(want, size-tail)
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("tail differs at %d", firstDiff(b.Bytes(), want))
	}
	b = bytes.Buffer{}
	w, _ := fsys.OpenFile("/huge.bin", os.O_WRONLY, 0o644)
	if _, err := w.WriteAt([]byte("x"), 12345); err != nil {
		t.Errorf("write inside: %v", err)
	}
	w.Close()
	w, _ = fsys.OpenFile("/huge.bin", os.O_WRONLY|os.O_APPEND, 0o644)
	if _, err := w.Write([]byte("x")); !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("append past MaxFileSize: %v", err)
	}
	w.Close()
	grew := int64(heapAlloc()) - int64(before)
	t.Logf("heap +%d KiB", grew>>10)
	if grew > 4<<20 {
		t.Errorf("a generated terabyte grew the heap by %d MiB", grew>>20)
	}
}

// TestNamesWithLineBreaks: no file, directory or rename target may carry
// CR, LF or NUL in its name.
func TestNamesWithLineBreaks(t *testing.T) {
	fsys := New()
	if err := afero.WriteFile(fsys, "/ok", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"/a\r\n212 forged", "/a\nb", "/a\rb", "/a\x00b", "/d\n/x"} {
		check := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, ErrInvalidName) || !errors.Is(err, ftpserver.ErrFileNameNotAllowed) {
				t.Errorf("%s %q: %v", what, bad, err)
			}
		}
		_, err := fsys.Create(bad)
		check("create", err)
		_, err = fsys.OpenFile(bad, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		check("open O_CREATE", err)
		check("mkdir", fsys.Mkdir(bad, 0o755))
		check("mkdirall", fsys.MkdirAll(bad, 0o755))
		check("rename", fsys.Rename("/ok", bad))
		check("generate", fsys.Generate(bad, 1, genFill))
		if _, err := fsys.Open(bad); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("open %q: %v", bad, err)
		}
	}
	if names, _ := afero.ReadDir(fsys, "/"); len(names) != 1 {
		t.Errorf("%d entries, want only /ok", len(names))
	}
}
