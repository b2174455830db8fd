package memfs

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/spf13/afero"
)

// Tests of block lifetimes: chunk memory (off the Go heap on Linux) must
// stay valid while a WriteTo sends it, whatever happens to the file, and
// must all be given back once no file or reader holds it. On Linux the
// tests run with poisonFreed (see setPoison), so touching freed memory
// faults at once instead of reading whatever is mapped there later.

// lifetimeChunkSizes are the chunk sizes the lifetime tests use: the
// smallest off-heap size (many blocks per file) and the default.
var lifetimeChunkSizes = []int{minOffHeapChunk, DefaultChunkSize}

// seeded returns n bytes of the pattern of seed starting at file offset off.
// Different files use different seeds, so a block that is reused by another
// file while still being sent shows up as wrong bytes.
func seeded(seed byte, off int64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = patByte(off+int64(i)) ^ seed
	}
	return b
}

func checkSeeded(t testing.TB, what string, seed byte, b []byte, off int64) bool {
	t.Helper()
	for i, c := range b {
		if want := patByte(off+int64(i)) ^ seed; c != want {
			t.Errorf("%s: byte %d is %d, want %d", what, off+int64(i), c, want)
			return false
		}
	}
	return true
}

// checkNoBlocksHeld fails if any block of fsys is still referenced by a
// file, a reader or the free list after everything was removed, closed and
// released: a reference was lost.
func checkNoBlocksHeld(t testing.TB, fsys *Fs) {
	t.Helper()
	fsys.Release()
	if n := fsys.rec.blocks.Load(); n != 0 {
		t.Errorf("%d blocks still allocated after removing everything", n)
	}
}

// funcWriter calls fn with every buffer written to it.
type funcWriter func(p []byte) (int, error)

func (f funcWriter) Write(p []byte) (int, error) { return f(p) }

// TestWriteToKeepsBlockAlive removes, truncates and rewrites a file while
// WriteTo is inside conn.Write with one of its blocks, churns the recycler
// with other files, releases all free memory and runs the GC; the bytes in
// the buffer being written must stay intact and readable throughout.
func TestWriteToKeepsBlockAlive(t *testing.T) {
	defer setPoison(t)()
	for _, cs := range lifetimeChunkSizes {
		for _, mode := range []string{"remove", "truncate", "overwrite", "create-over"} {
			t.Run(fmt.Sprintf("%d/%s", cs, mode), func(t *testing.T) {
				fsys := NewWithOptions(Options{ChunkSize: cs})
				size := int64(3*cs + cs/3)
				writeSeeded(t, fsys, "/f", 1, size)
				r, err := fsys.Open("/f")
				if err != nil {
					t.Fatal(err)
				}
				var sent int64
				calls := 0
				w := funcWriter(func(p []byte) (int, error) {
					calls++
					if calls == 2 { // inside the second chunk
						before := bytes.Clone(p)
						mutate(t, fsys, mode, size)
						// Churn: other files take and give back blocks,
						// free memory is unmapped, the GC runs cleanups.
						for i := range 3 {
							writeSeeded(t, fsys, "/other", byte(10+i), size)
							if err := fsys.Remove("/other"); err != nil {
								t.Fatal(err)
							}
						}
						fsys.Release()
						runtime.GC()
						runtime.GC()
						if !bytes.Equal(p, before) {
							t.Errorf("buffer being written changed")
						}
					}
					checkSeeded(t, "sent", 1, p, sent)
					sent += int64(len(p))
					return len(p), nil
				})
				if _, err := r.(io.WriterTo).WriteTo(w); err != nil {
					t.Fatal(err)
				}
				if mode == "remove" && sent != size {
					t.Errorf("sent %d bytes of the removed file, want %d", sent, size)
				}
				r.Close()
				fsys.RemoveAll("/")
				checkNoBlocksHeld(t, fsys)
			})
		}
	}
}

// writeSeeded stores size bytes of the seed's pattern as name through
// ReadFrom, the upload path.
func writeSeeded(t testing.TB, fsys *Fs, name string, seed byte, size int64) {
	t.Helper()
	f, err := fsys.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.(io.ReaderFrom).ReadFrom(bytes.NewReader(seeded(seed, 0, int(size)))); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// mutate changes /f behind the back of a running WriteTo.
func mutate(t testing.TB, fsys *Fs, mode string, size int64) {
	t.Helper()
	switch mode {
	case "remove":
		if err := fsys.Remove("/f"); err != nil {
			t.Fatal(err)
		}
	case "truncate":
		// Back to the same bytes: the reader may legitimately send
		// either version of the later chunks.
		f, _ := fsys.OpenFile("/f", os.O_RDWR, 0)
		f.Truncate(0)
		f.Truncate(1)
		f.WriteAt(seeded(1, 0, int(size)), 0)
		f.Close()
	case "overwrite":
		f, _ := fsys.OpenFile("/f", os.O_RDWR, 0)
		f.WriteAt(seeded(1, 0, int(size)), 0)
		f.Close()
	case "create-over":
		writeSeeded(t, fsys, "/f", 1, size)
	}
}

// TestLifetimeStress streams files with WriteTo and ReadAt while other
// goroutines remove, recreate, truncate, overwrite and upload them and the
// recycler is emptied; run it with -race. Every file has its own byte
// pattern, so a block reused by another file while a reader still uses it
// is caught, and on Linux freed memory is poisoned, so a block unmapped too
// early faults. At the end every block must have been returned.
func TestLifetimeStress(t *testing.T) {
	defer setPoison(t)()
	for _, cs := range lifetimeChunkSizes {
		t.Run(fmt.Sprint(cs), func(t *testing.T) {
			fsys := NewWithOptions(Options{ChunkSize: cs, RecycleLimit: int64(4 * cs)})
			const files = 3
			size := int64(4*cs + 1234)
			rounds := 60
			if cs > 1<<20 || raceEnabled {
				rounds = 20
			}
			names := [files]string{"/a", "/b", "/c"}
			for i, name := range names {
				writeSeeded(t, fsys, name, byte(i+1), size)
			}
			var stop atomic.Bool
			var readers, writers sync.WaitGroup
			for r := range 4 {
				readers.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(r), 7))
					for !stop.Load() {
						i := rng.IntN(files)
						f, err := fsys.Open(names[i])
						if err != nil {
							continue // removed for the moment
						}
						if r%2 == 0 {
							var off int64
							f.(io.WriterTo).WriteTo(funcWriter(func(p []byte) (int, error) {
								checkSeeded(t, "WriteTo "+names[i], byte(i+1), p, off)
								off += int64(len(p))
								runtime.Gosched()
								return len(p), nil
							}))
						} else {
							p := make([]byte, 50000)
							off := rng.Int64N(size)
							n, _ := f.ReadAt(p, off)
							checkSeeded(t, "ReadAt "+names[i], byte(i+1), p[:n], off)
						}
						f.Close()
					}
				})
			}
			// One writer per file, so that no write lands past the end
			// of a file another writer is recreating (a hole of zeros).
			for i := range files {
				writers.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(i), 9))
					name, seed := names[i], byte(i+1)
					for range rounds {
						switch rng.IntN(5) {
						case 0:
							fsys.Remove(name)
							writeSeeded(t, fsys, name, seed, size)
						case 1:
							writeSeeded(t, fsys, name, seed, size)
						case 2:
							if f, err := fsys.OpenFile(name, os.O_RDWR, 0); err == nil {
								cut := rng.Int64N(size)
								f.Truncate(cut)
								f.WriteAt(seeded(seed, cut, int(size-cut)), cut)
								f.Close()
							}
						case 3:
							if f, err := fsys.OpenFile(name, os.O_RDWR, 0); err == nil {
								off := rng.Int64N(size)
								n := min(rng.Int64N(int64(2*cs)), size-off)
								f.WriteAt(seeded(seed, off, int(n)), off)
								f.Close()
							}
						case 4:
							fsys.Release()
						}
					}
				})
			}
			writers.Wait()
			stop.Store(true)
			readers.Wait()
			fsys.RemoveAll("/")
			checkNoBlocksHeld(t, fsys)
		})
	}
}

// TestSmallFilesUseNoBlocks checks that small files, written or uploaded,
// keep no full-size block: a 1 KiB file takes about 1 KiB.
func TestSmallFilesUseNoBlocks(t *testing.T) {
	fsys := New()
	defer fsys.Release()
	for i, size := range []int{1, 1000, 1024, 5000, 60 << 10, 200 << 10} {
		up := fmt.Sprintf("/up%d", i)
		writeSeeded(t, fsys, up, 1, int64(size))
		if err := afero.WriteFile(fsys, fmt.Sprintf("/w%d", i), seeded(1, 0, size), 0o644); err != nil {
			t.Fatal(err)
		}
		got, _ := afero.ReadFile(fsys, up)
		checkSeeded(t, up, 1, got, 0)
	}
	if held := fsys.rec.blocks.Load() - int64(fsys.rec.kept()); held != 0 {
		t.Errorf("small files hold %d blocks of %d bytes", held, fsys.ChunkSize())
	}
	fsys.RemoveAll("/")
	checkNoBlocksHeld(t, fsys)
}

// TestDroppedFsFreesBlocks checks that the blocks of a filesystem that is
// dropped without removing its files are freed by their cleanups.
func TestDroppedFsFreesBlocks(t *testing.T) {
	if raceEnabled {
		t.Skip("cleanup timing under the race detector")
	}
	before := offHeapBytes.Load()
	func() {
		fsys := New()
		writeSeeded(t, fsys, "/f", 1, int64(5*fsys.ChunkSize()))
	}()
	// The cleanups run after a GC found the blocks unreachable, which
	// takes until the recycler's idle timer let go of the filesystem.
	deadline := time.Now().Add(5 * time.Second)
	for offHeapBytes.Load() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if mapped := offHeapBytes.Load(); mapped > before {
		t.Errorf("off-heap memory still mapped: %d bytes more than before", mapped-before)
	}
}
