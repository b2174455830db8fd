package memfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"
)

func pattern(off int64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = patByte(off + int64(i))
	}
	return b
}

func patByte(i int64) byte { return byte(i*131 + i>>9) }

func checkPattern(t testing.TB, what string, b []byte, off int64) {
	t.Helper()
	for i, c := range b {
		if c != patByte(off+int64(i)) {
			t.Errorf("%s: byte %d is %d, want %d", what, off+int64(i), c, patByte(off+int64(i)))
			return
		}
	}
}

func TestQuota(t *testing.T) {
	fsys := NewWithOptions(Options{Quota: 100, ChunkSize: 64})
	if err := afero.WriteFile(fsys, "/a", make([]byte, 60), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := fsys.Create("/b")
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.Write(make([]byte, 60))
	if n != 40 || !errors.Is(err, ErrQuotaExceeded) {
		t.Fatalf("write = %d, %v; want 40, quota error", n, err)
	}
	if !errors.Is(err, ftpserver.ErrStorageExceeded) || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("%v should match ftpserver.ErrStorageExceeded and ENOSPC", err)
	}
	var pe *os.PathError
	if !errors.As(err, &pe) || pe.Path != "/b" {
		t.Errorf("want *os.PathError for /b, got %#v", err)
	}
	if files, used := fsys.Usage(); files != 2 || used != 100 {
		t.Errorf("Usage = %d, %d; want 2, 100", files, used)
	}
	if err := f.Truncate(101); !errors.Is(err, ErrQuotaExceeded) {
		t.Errorf("truncate over quota: %v", err)
	}
	// A new network-style upload: ReadFrom stops at the quota.
	g, _ := fsys.Create("/c")
	if n, err := g.(io.ReaderFrom).ReadFrom(bytes.NewReader(make([]byte, 10))); n != 0 || !errors.Is(err, ErrQuotaExceeded) {
		t.Errorf("ReadFrom = %d, %v", n, err)
	}
	if err := fsys.Remove("/a"); err != nil {
		t.Fatal(err)
	}
	if _, used := fsys.Usage(); used != 40 {
		t.Errorf("used after remove = %d", used)
	}
	if n, err := g.(io.ReaderFrom).ReadFrom(bytes.NewReader(make([]byte, 50))); n != 50 || err != nil {
		t.Errorf("ReadFrom = %d, %v", n, err)
	}
	// Replacing rename frees the target; removed-but-open files stop counting.
	if err := fsys.Rename("/c", "/b"); err != nil {
		t.Fatal(err)
	}
	if files, used := fsys.Usage(); files != 1 || used != 50 {
		t.Errorf("Usage after rename = %d, %d", files, used)
	}
	if err := fsys.Remove("/b"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Write(make([]byte, 200)); err != nil {
		t.Errorf("write to unlinked file: %v", err)
	}
	if files, used := fsys.Usage(); files != 0 || used != 0 {
		t.Errorf("Usage at end = %d, %d", files, used)
	}
	f.Close()
	g.Close()
}

func TestUsage(t *testing.T) {
	fsys := New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fsys.MkdirAll("/a/b", 0o755))
	must(afero.WriteFile(fsys, "/a/1", make([]byte, 10), 0o644))
	must(afero.WriteFile(fsys, "/a/b/2", make([]byte, 20), 0o644))
	must(afero.WriteFile(fsys, "/3", make([]byte, 30), 0o644))
	if files, used := fsys.Usage(); files != 3 || used != 60 {
		t.Errorf("Usage = %d, %d", files, used)
	}
	must(fsys.Rename("/a", "/z"))
	must(fsys.RemoveAll("/z"))
	if files, used := fsys.Usage(); files != 1 || used != 30 {
		t.Errorf("Usage = %d, %d", files, used)
	}
	must(fsys.RemoveAll("/"))
	if files, used := fsys.Usage(); files != 0 || used != 0 {
		t.Errorf("Usage = %d, %d", files, used)
	}
	if fi, err := fsys.Stat("/"); err != nil || !fi.IsDir() {
		t.Errorf("root after RemoveAll: %v %v", fi, err)
	}
}

func TestUmask(t *testing.T) {
	fsys := NewWithOptions(Options{Umask: 0o022})
	f, err := fsys.OpenFile("/f", os.O_CREATE|os.O_WRONLY, os.ModePerm)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := fsys.MkdirAll("/d/e", 0o777); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{"/f": 0o755, "/d": os.ModeDir | 0o755, "/d/e": os.ModeDir | 0o755} {
		if fi, _ := fsys.Stat(p); fi.Mode() != want {
			t.Errorf("%s mode %v, want %v", p, fi.Mode(), want)
		}
	}
}

// blockingWriter calls fn before consuming the first Write.
type blockingWriter struct {
	fn   func()
	once sync.Once
	buf  bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.once.Do(w.fn)
	return w.buf.Write(p)
}

// TestWriteToCopyOnWrite overwrites and truncates a file while WriteTo holds
// a chunk outside the lock: the bytes being sent must not change.
func TestWriteToCopyOnWrite(t *testing.T) {
	for _, mode := range []string{"overwrite", "truncate-rewrite", "append"} {
		t.Run(mode, func(t *testing.T) {
			fsys := NewWithOptions(Options{ChunkSize: 64})
			old := bytes.Repeat([]byte("A"), 64*3)
			if err := afero.WriteFile(fsys, "/f", old, 0o644); err != nil {
				t.Fatal(err)
			}
			r, _ := fsys.Open("/f")
			w, _ := fsys.OpenFile("/f", os.O_RDWR, 0)
			bw := &blockingWriter{fn: func() {
				switch mode {
				case "overwrite":
					w.WriteAt(bytes.Repeat([]byte("B"), 64*3), 0)
				case "truncate-rewrite":
					w.Truncate(10)
					w.WriteAt(bytes.Repeat([]byte("C"), 60), 10)
				case "append":
					w.Truncate(40)
					w.WriteAt(bytes.Repeat([]byte("D"), 100), 40)
				}
			}}
			if _, err := r.(io.WriterTo).WriteTo(bw); err != nil {
				t.Fatal(err)
			}
			got := bw.buf.Bytes()
			if !bytes.Equal(got[:64], old[:64]) {
				t.Errorf("first chunk changed while being sent: %q", got[:64])
			}
			now, _ := afero.ReadFile(fsys, "/f")
			if !bytes.Equal(got[64:], now[64:]) {
				t.Errorf("later chunks: got %q, file has %q", got[64:], now[64:])
			}
			r.Close()
			w.Close()
		})
	}
}

func TestRecycling(t *testing.T) {
	fsys := NewWithOptions(Options{ChunkSize: 4096, ReleaseDelay: 50 * time.Millisecond})
	defer fsys.Release()
	if err := afero.WriteFile(fsys, "/f", make([]byte, 40960), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove("/f"); err != nil {
		t.Fatal(err)
	}
	if k := fsys.rec.kept(); k != 10 {
		t.Errorf("kept %d chunks, want 10", k)
	}
	// Reuse: recycled chunks carry old data, which must never show.
	f, _ := fsys.Create("/g")
	f.Write(bytes.Repeat([]byte{1}, 4096+100))
	f.Seek(3*4096+5, io.SeekStart)
	f.Write([]byte{2})
	f.Close()
	b, _ := afero.ReadFile(fsys, "/g")
	want := append(bytes.Repeat([]byte{1}, 4096+100), make([]byte, 3*4096+5-4196)...)
	want = append(want, 2)
	if !bytes.Equal(b, want) {
		t.Error("recycled chunk content leaked into a file")
	}
	if k := fsys.rec.kept(); k >= 10 {
		t.Errorf("kept %d chunks after reuse", k)
	}
	deadline := time.Now().Add(5 * time.Second)
	for fsys.rec.kept() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if k := fsys.rec.kept(); k != 0 {
		t.Errorf("kept %d chunks after the release delay", k)
	}
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func TestMemoryReleased(t *testing.T) {
	const size = 64 << 20
	for _, tc := range []struct {
		name string
		opts Options
		wait bool
	}{
		{"gc-without-recycling", Options{RecycleLimit: -1}, false},
		{"recycled-then-released", Options{ReleaseDelay: 20 * time.Millisecond}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := NewWithOptions(tc.opts)
			defer fsys.Release()
			before := heapInuse()
			f, _ := fsys.Create("/big")
			if _, err := io.Copy(f, io.LimitReader(newPatternReader(size), size)); err != nil {
				t.Fatal(err)
			}
			f.Close()
			during := heapInuse()
			if err := fsys.Remove("/big"); err != nil {
				t.Fatal(err)
			}
			var after uint64
			deadline := time.Now().Add(5 * time.Second)
			for {
				after = heapInuse()
				if during-after > size*3/4 || !tc.wait || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Logf("heap in use: before %d MiB, with file %d MiB, after remove %d MiB", before>>20, during>>20, after>>20)
			// Other tests' filesystems may release memory meanwhile, so
			// only the drop is checked.
			if during < after || during-after < size*3/4 {
				t.Errorf("heap in use dropped by less than %d MiB", size*3/4>>20)
			}
		})
	}
}

// TestFastPathTCP checks that ftpserverlib's copy shapes, io.Copy(file,
// conn) and io.Copy(conn, file) with a *net.TCPConn, reach ReadFrom and
// WriteTo.
func TestFastPathTCP(t *testing.T) {
	var rf, wt atomic.Int32
	testHookReadFrom = func() { rf.Add(1) }
	testHookWriteTo = func() { wt.Add(1) }
	defer func() { testHookReadFrom, testHookWriteTo = nil, nil }()

	fsys := New()
	const size = 5<<20 + 12345
	client, server := tcpPair(t)
	go func(c io.WriteCloser) {
		io.Copy(c, readerOnly{io.LimitReader(newPatternReader(size), size)})
		c.Close()
	}(client)
	f, _ := fsys.OpenFile("/up", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if n, err := io.Copy(f, io.ReadWriter(server)); err != nil || n != size {
		t.Fatalf("stor copy %d %v", n, err)
	}
	f.Close()
	server.Close()
	if rf.Load() != 1 {
		t.Errorf("ReadFrom calls: %d", rf.Load())
	}

	client, server = tcpPair(t)
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(client)
		got <- b
	}()
	f, _ = fsys.Open("/up")
	if n, err := io.Copy(io.ReadWriter(server), f); err != nil || n != size {
		t.Fatalf("retr copy %d %v", n, err)
	}
	f.Close()
	server.Close()
	b := <-got
	client.Close()
	if wt.Load() != 1 {
		t.Errorf("WriteTo calls: %d", wt.Load())
	}
	if len(b) != size {
		t.Fatalf("received %d bytes", len(b))
	}
	want := make([]byte, size)
	io.ReadFull(newPatternReader(size), want)
	if !bytes.Equal(b, want) {
		t.Error("content mismatch")
	}
}

func TestConcurrentFiles(t *testing.T) {
	fsys := NewWithOptions(Options{ChunkSize: 4096})
	defer fsys.Release()
	if err := fsys.Mkdir("/up", 0o755); err != nil {
		t.Fatal(err)
	}
	const workers = 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			name := fmt.Sprintf("/up/f%02d", w)
			size := int64(1000 + w*3001)
			f, err := fsys.Create(name)
			if err != nil {
				t.Error(err)
				return
			}
			var off int64
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for off < size {
				n := min(int64(rng.IntN(9000)+1), size-off)
				var err error
				switch rng.IntN(3) {
				case 0:
					_, err = f.Write(pattern(off, int(n)))
				case 1:
					_, err = f.WriteAt(pattern(off, int(n)), off)
					f.Seek(n, io.SeekCurrent)
				case 2:
					_, err = f.(io.ReaderFrom).ReadFrom(iotestHalf(bytes.NewReader(pattern(off, int(n)))))
				}
				if err != nil {
					t.Error(err)
					return
				}
				off += n
			}
			f.Close()
			b, err := afero.ReadFile(fsys, name)
			if err != nil || int64(len(b)) != size {
				t.Errorf("%s: %d bytes, %v", name, len(b), err)
			}
			checkPattern(t, name, b, 0)
			if w%2 == 0 {
				if err := fsys.Remove(name); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if files, _ := fsys.Usage(); files != workers/2 {
		t.Errorf("%d files left", files)
	}
	names, _ := afero.ReadDir(fsys, "/up")
	if len(names) != workers/2 {
		t.Errorf("%d entries left", len(names))
	}
}

// TestConcurrentReadersWriter appends to a file while readers stream it with
// Read, ReadAt and WriteTo and another goroutine rewrites already written
// ranges with identical bytes; every byte a reader sees must be correct.
func TestConcurrentReadersWriter(t *testing.T) {
	for _, cs := range []int{64, 4096, DefaultChunkSize} {
		t.Run(fmt.Sprint(cs), func(t *testing.T) {
			fsys := NewWithOptions(Options{ChunkSize: cs})
			defer fsys.Release()
			const total = 3 << 20
			w, err := fsys.Create("/shared")
			if err != nil {
				t.Fatal(err)
			}
			var done atomic.Bool
			var wg sync.WaitGroup
			wg.Go(func() { // appender
				defer done.Store(true)
				rng := rand.New(rand.NewPCG(1, 2))
				var off int64
				for off < total {
					n := int64(rng.IntN(50000) + 1)
					var err error
					if rng.IntN(2) == 0 {
						_, err = w.Write(pattern(off, int(n)))
					} else {
						_, err = w.(io.ReaderFrom).ReadFrom(bytes.NewReader(pattern(off, int(n))))
					}
					if err != nil {
						t.Error(err)
						return
					}
					off += n
				}
			})
			wg.Go(func() { // rewriter: same bytes, forces copy-on-write
				o, _ := fsys.OpenFile("/shared", os.O_RDWR, 0)
				defer o.Close()
				rng := rand.New(rand.NewPCG(3, 4))
				for !done.Load() {
					fi, _ := o.Stat()
					if fi.Size() < 2 {
						runtime.Gosched()
						continue
					}
					off := rng.Int64N(fi.Size() - 1)
					n := min(rng.Int64N(20000)+1, fi.Size()-off)
					if _, err := o.WriteAt(pattern(off, int(n)), off); err != nil {
						t.Error(err)
						return
					}
				}
			})
			for r := range 4 {
				wg.Go(func() {
					for i := 0; !done.Load() || i < 2; i++ {
						f, err := fsys.Open("/shared")
						if err != nil {
							t.Error(err)
							return
						}
						switch (r + i) % 3 {
						case 0:
							var buf bytes.Buffer
							f.(io.WriterTo).WriteTo(writerOnly{&buf})
							checkPattern(t, "WriteTo", buf.Bytes(), 0)
						case 1:
							b, _ := io.ReadAll(readerOnly{f})
							checkPattern(t, "Read", b, 0)
						case 2:
							p := make([]byte, 7777)
							for off := int64(0); ; off += int64(len(p)) {
								n, err := f.ReadAt(p, off)
								checkPattern(t, "ReadAt", p[:n], off)
								if err != nil {
									break
								}
							}
						}
						f.Close()
					}
				})
			}
			wg.Wait()
			w.Close()
			b, _ := afero.ReadFile(fsys, "/shared")
			if len(b) < total {
				t.Errorf("size %d", len(b))
			}
			checkPattern(t, "final", b, 0)
		})
	}
}

// TestConcurrentTree mixes namespace operations; it is mainly for -race.
func TestConcurrentTree(t *testing.T) {
	fsys := NewWithOptions(Options{ChunkSize: 256})
	defer fsys.Release()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for range 400 {
				d := fmt.Sprintf("/d%d", rng.IntN(3))
				p := fmt.Sprintf("%s/f%d", d, rng.IntN(4))
				switch rng.IntN(9) {
				case 0:
					fsys.MkdirAll(d, 0o755)
				case 1:
					afero.WriteFile(fsys, p, pattern(0, rng.IntN(2000)), 0o644)
				case 2:
					fsys.Remove(p)
				case 3:
					fsys.Rename(p, fmt.Sprintf("/d%d/f%d", rng.IntN(3), rng.IntN(4)))
				case 4:
					afero.ReadDir(fsys, d)
				case 5:
					if b, err := afero.ReadFile(fsys, p); err == nil {
						checkPattern(t, p, b, 0)
					}
				case 6:
					fsys.RemoveAll(d)
				case 7:
					fsys.Rename(d, fmt.Sprintf("/d%d", rng.IntN(3)))
				case 8:
					fsys.Stat(p)
					fsys.Chmod(p, 0o600)
					fsys.Chtimes(p, time.Now(), time.Now())
				}
			}
		})
	}
	wg.Wait()
	// Usage must agree with a walk of the tree.
	var files int
	var bytesSum int64
	afero.Walk(fsys, "/", func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files++
			bytesSum += fi.Size()
		}
		return nil
	})
	if f, b := fsys.Usage(); f != files || b != bytesSum {
		t.Errorf("Usage = %d, %d; walk found %d, %d", f, b, files, bytesSum)
	}
}
