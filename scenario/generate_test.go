package scenario

import (
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestGeneratedDeterministic(t *testing.T) {
	const size = 1000
	a, _ := io.ReadAll(GeneratedReader(7, size))
	b, _ := io.ReadAll(GeneratedReader(7, size))
	c, _ := io.ReadAll(GeneratedReader(8, size))
	if len(a) != size || !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatalf("len %d, same seed equal %v, other seed equal %v", len(a), bytes.Equal(a, b), bytes.Equal(a, c))
	}
	for i := range a {
		if a[i] != GeneratedByte(7, int64(i)) {
			t.Fatalf("byte %d: %d, GeneratedByte says %d", i, a[i], GeneratedByte(7, int64(i)))
		}
	}
	// reads at odd offsets and in odd sizes give the same bytes
	g := GeneratedReader(7, size)
	for _, off := range []int64{0, 1, 7, 8, 9, 13, 500, 993, 999} {
		for _, n := range []int{1, 3, 8, 9, 17, 64} {
			buf := make([]byte, n)
			got, err := g.ReadAt(buf, off)
			want := min(n, size-int(off))
			if got != want || (got < n && err != io.EOF) || !bytes.Equal(buf[:got], a[off:off+int64(got)]) {
				t.Fatalf("ReadAt(%d bytes, %d) = %d, %v", n, off, got, err)
			}
		}
	}
	if _, err := g.ReadAt(make([]byte, 1), size); err != io.EOF {
		t.Errorf("ReadAt at the end: %v", err)
	}
	if pos, _ := g.Seek(-10, io.SeekEnd); pos != size-10 {
		t.Errorf("Seek: %d", pos)
	}
	tail, _ := io.ReadAll(g)
	if !bytes.Equal(tail, a[size-10:]) {
		t.Error("read after Seek differs")
	}
	// bytes look random: all 256 values appear in 64 KiB
	seen := map[byte]bool{}
	big, _ := io.ReadAll(GeneratedReader(1, 64<<10))
	for _, x := range big {
		seen[x] = true
	}
	if len(seen) != 256 {
		t.Errorf("only %d distinct byte values", len(seen))
	}
}

func TestFileOpen(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "host.txt"), []byte("from host"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "tree", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tree", "sub", "b.txt"), []byte("b"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    File
		want string
		size int64
	}{
		{File{Path: "/t", Content: "hello\n"}, "hello\n", 6},
		{File{Path: "/b", Base64: "aGk="}, "hi", 2},
		{File{Path: "/b", Base64: "aGk"}, "hi", 2},
		{File{Path: "/e"}, "", 0},
		{File{Path: "/h", From: "host.txt"}, "from host", 9},
		{File{Path: "/g", Size: 20, Seed: 5}, string(mustRead(t, GeneratedReader(5, 20))), 20},
	} {
		r, n, err := tc.f.Open(dir)
		if err != nil {
			t.Fatalf("%+v: %v", tc.f, err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if string(got) != tc.want || n != tc.size {
			t.Errorf("%+v: %q (%d), want %q (%d)", tc.f, got, n, tc.want, tc.size)
		}
	}
	if _, _, err := (File{Path: "/d", Dir: true}).Open(dir); err != ErrNotRegular {
		t.Errorf("dir: %v", err)
	}
	if _, _, err := (File{Path: "/d", From: "tree"}).Open(dir); err != ErrNotRegular {
		t.Errorf("from dir: %v", err)
	}
	files, err := (File{Path: "/mirror", From: "tree"}).Expand(dir)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	if got := join3(paths); got != "/mirror /mirror/sub /mirror/sub/b.txt" || !files[0].Dir || files[2].From != filepath.Join(dir, "tree", "sub", "b.txt") {
		t.Errorf("Expand: %q %+v", got, files)
	}
	one, err := (File{Path: "/x", From: "host.txt"}).Expand(dir)
	if err != nil || len(one) != 1 || one[0].ModTime.IsZero() || one[0].From != filepath.Join(dir, "host.txt") {
		t.Errorf("Expand file: %+v %v", one, err)
	}
}

func join3(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

func mustRead(t *testing.T, r io.Reader) []byte {
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func BenchmarkGenerated(b *testing.B) {
	g := GeneratedReader(1, 1<<40)
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := g.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}

var _ = time.Second

// TestGeneratedAt: random access anywhere, up to the last bytes of an
// exabyte, gives the bytes a sequential read gives, in constant memory.
func TestGeneratedAt(t *testing.T) {
	seq, _ := io.ReadAll(GeneratedReader(11, 4096))
	for _, off := range []int64{0, 1, 7, 8, 13, 1000, 4000} {
		for _, n := range []int{0, 1, 5, 8, 9, 64, 96} {
			if off+int64(n) > 4096 {
				continue
			}
			p := make([]byte, n)
			GeneratedAt(11, off, p)
			if !bytes.Equal(p, seq[off:off+int64(n)]) {
				t.Fatalf("GeneratedAt(%d, %d bytes) differs from the sequential read", off, n)
			}
		}
	}
	// the same bytes as before GeneratedAt existed (from mockftpd 61df3c6)
	if got := hex.EncodeToString(mustRead(t, GeneratedReader(1, 16))); got != "1e61397408ab415ed852d5d2b5f6a723" {
		t.Errorf("seed 1 starts with %s", got)
	}
	mid := make([]byte, 12)
	GeneratedAt(7, 1<<39+5, mid)
	if got := hex.EncodeToString(mid); got != "1c430fef78c91323f278d303" {
		t.Errorf("seed 7 at 512 GiB + 5: %s", got)
	}
	far := int64(1<<62) - 3
	p := make([]byte, 16)
	GeneratedAt(5, far, p)
	for i := range p {
		if p[i] != GeneratedByte(5, far+int64(i)) {
			t.Fatalf("byte %d at %d", i, far)
		}
	}
	allocs := testing.AllocsPerRun(10, func() { GeneratedAt(5, 1<<50, p) })
	if allocs != 0 {
		t.Errorf("GeneratedAt allocates %v times", allocs)
	}
	g := GeneratedReader(5, 1<<50) // a pebibyte file read near its end
	if n, err := g.ReadAt(p, 1<<50-10); n != 10 || err != io.EOF {
		t.Errorf("ReadAt near the end of 1 PiB: %d, %v", n, err)
	}
}
