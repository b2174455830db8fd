package memfs

import (
	"fmt"
	"io"
	"net"
	"os"
	"testing"

	"github.com/spf13/afero"

	scenariogen "github.com/mockftpd/mockftpd/scenario"
)

const benchSize = 256 << 20

type fsCtor struct {
	name string
	new  func() afero.Fs
}

var benchFSs = []fsCtor{
	{"memfs", func() afero.Fs { return New() }},
	{"memmap", afero.NewMemMapFs},
}

// readerOnly hides other methods (WriterTo) of an io.Reader.
type readerOnly struct{ io.Reader }

// writerOnly hides other methods (ReaderFrom) of an io.Writer.
type writerOnly struct{ io.Writer }

// patternReader yields n bytes of a repeating pattern through Read only.
type patternReader struct {
	left int64
	pat  []byte
	off  int
}

func newPatternReader(n int64) *patternReader {
	pat := make([]byte, 1<<20)
	for i := range pat {
		pat[i] = byte(i*7 + i>>8)
	}
	return &patternReader{left: n, pat: pat}
}

func (r *patternReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := 0
	for n < len(p) {
		k := copy(p[n:], r.pat[r.off:])
		n += k
		r.off = (r.off + k) % len(r.pat)
	}
	r.left -= int64(n)
	return n, nil
}

// BenchmarkWrite256MiB stores a 256 MiB file per iteration, with sequential
// 32 KiB Write calls and with io.Copy from a plain reader (ReadFrom for
// memfs, io.Copy's 32 KiB buffer for MemMapFs). The file is removed after
// each iteration; "memfs" keeps one filesystem (steady state of a server:
// freed chunks are recycled), "memfs-fresh" makes a new one per iteration
// so every byte lands in freshly faulted memory.
func BenchmarkWrite256MiB(b *testing.B) {
	cases := []struct {
		name  string
		new   func() afero.Fs
		fresh bool
	}{
		{"memfs", func() afero.Fs { return New() }, false},
		{"memfs-fresh", func() afero.Fs { return NewWithOptions(Options{RecycleLimit: -1}) }, true},
		{"memmap", afero.NewMemMapFs, false},
	}
	for _, c := range cases {
		store := func(b *testing.B, fill func(f afero.File) error) {
			b.SetBytes(benchSize)
			fsys := c.new()
			for b.Loop() {
				if c.fresh {
					fsys = c.new()
				}
				f, err := fsys.Create("/big")
				if err != nil {
					b.Fatal(err)
				}
				if err := fill(f); err != nil {
					b.Fatal(err)
				}
				f.Close()
				fsys.Remove("/big")
			}
		}
		b.Run(c.name+"/write32k", func(b *testing.B) {
			buf := make([]byte, 32<<10)
			store(b, func(f afero.File) error {
				for i := 0; i < benchSize; i += len(buf) {
					if _, err := f.Write(buf); err != nil {
						return err
					}
				}
				return nil
			})
		})
		b.Run(c.name+"/readfrom", func(b *testing.B) {
			store(b, func(f afero.File) error {
				_, err := io.Copy(f, newPatternReader(benchSize))
				return err
			})
		})
	}
}

func makeBenchFile(b testing.TB, fsys afero.Fs, size int64) {
	f, err := fsys.Create("/big")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(f, newPatternReader(size)); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// BenchmarkRead reads a 256 MiB file per iteration with 32 KiB Read calls
// and with io.Copy to a plain writer (WriteTo for memfs).
func BenchmarkRead(b *testing.B) {
	for _, c := range benchFSs {
		fsys := c.new()
		makeBenchFile(b, fsys, benchSize)
		b.Run(c.name+"/read32k", func(b *testing.B) {
			buf := make([]byte, 32<<10)
			b.SetBytes(benchSize)
			for b.Loop() {
				f, err := fsys.Open("/big")
				if err != nil {
					b.Fatal(err)
				}
				for {
					_, err := f.Read(buf)
					if err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
				f.Close()
			}
		})
		b.Run(c.name+"/writeto", func(b *testing.B) {
			b.SetBytes(benchSize)
			for b.Loop() {
				f, err := fsys.Open("/big")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(writerOnly{io.Discard}, f); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(tb testing.TB) (client, server *net.TCPConn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			tb.Error(err)
		}
		ch <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	s := <-ch
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// sendN writes n bytes to c from a reused buffer and closes it.
func sendN(c net.Conn, n int64) {
	buf := make([]byte, 256<<10)
	for n > 0 {
		k := int(min(int64(len(buf)), n))
		if _, err := c.Write(buf[:k]); err != nil {
			break
		}
		n -= int64(k)
	}
	c.Close()
}

// drain reads c to EOF into a reused buffer.
func drain(c net.Conn) int64 {
	buf := make([]byte, 256<<10)
	var total int64
	for {
		k, err := c.Read(buf)
		total += int64(k)
		if err != nil {
			return total
		}
	}
}

// tcpStor is ftpserverlib's STOR copy: io.Copy(file, conn) with conn a
// *net.TCPConn held as net.Conn.
func tcpStor(b testing.TB, fsys afero.Fs, size int64) {
	client, server := tcpPair(b)
	go sendN(client, size)
	f, err := fsys.OpenFile("/up", os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	var conn net.Conn = server
	n, err := io.Copy(f, conn)
	if err != nil || n != size {
		b.Fatalf("copied %d, %v", n, err)
	}
	f.Close()
	server.Close()
	fsys.Remove("/up")
}

// tcpRetr is ftpserverlib's RETR copy: io.Copy(conn, file).
func tcpRetr(b testing.TB, fsys afero.Fs, size int64) {
	client, server := tcpPair(b)
	done := make(chan int64)
	go func() { done <- drain(client) }()
	f, err := fsys.Open("/big")
	if err != nil {
		b.Fatal(err)
	}
	var conn net.Conn = server
	if _, err := io.Copy(conn, f); err != nil {
		b.Fatal(err)
	}
	f.Close()
	server.Close()
	if got := <-done; got != size {
		b.Fatalf("received %d", got)
	}
	client.Close()
}

// BenchmarkTCP256MiB goes through ftpserverlib's copy path shapes with a real
// loopback TCP connection: "raw" is the plain stream (reused buffers on
// both ends) as the reference, "stor" is io.Copy(file, conn), "retr" is
// io.Copy(conn, file).
func BenchmarkTCP256MiB(b *testing.B) {
	b.Run("raw", func(b *testing.B) {
		b.SetBytes(benchSize)
		for b.Loop() {
			client, server := tcpPair(b)
			go sendN(client, benchSize)
			if got := drain(server); got != benchSize {
				b.Fatalf("got %d", got)
			}
			server.Close()
		}
	})
	for _, c := range benchFSs {
		b.Run(c.name+"/stor", func(b *testing.B) {
			fsys := c.new()
			b.SetBytes(benchSize)
			for b.Loop() {
				tcpStor(b, fsys, benchSize)
			}
		})
		b.Run(c.name+"/retr", func(b *testing.B) {
			fsys := c.new()
			makeBenchFile(b, fsys, benchSize)
			b.SetBytes(benchSize)
			for b.Loop() {
				tcpRetr(b, fsys, benchSize)
			}
		})
	}
}

// BenchmarkChunkSize compares chunk sizes on the STOR and RETR TCP paths
// and on 32 KiB writes; it was used to pick DefaultChunkSize.
func BenchmarkChunkSize(b *testing.B) {
	for _, cs := range []int{64 << 10, 128 << 10, 256 << 10, 1 << 20, 4 << 20} {
		name := fmt.Sprintf("%dK", cs>>10)
		b.Run(name+"/stor", func(b *testing.B) {
			fsys := NewWithOptions(Options{ChunkSize: cs})
			b.SetBytes(benchSize)
			for b.Loop() {
				tcpStor(b, fsys, benchSize)
			}
		})
		b.Run(name+"/retr", func(b *testing.B) {
			fsys := NewWithOptions(Options{ChunkSize: cs})
			makeBenchFile(b, fsys, benchSize)
			b.SetBytes(benchSize)
			for b.Loop() {
				tcpRetr(b, fsys, benchSize)
			}
		})
		b.Run(name+"/write32k", func(b *testing.B) {
			buf := make([]byte, 32<<10)
			b.SetBytes(benchSize)
			for b.Loop() {
				fsys := NewWithOptions(Options{ChunkSize: cs})
				f, _ := fsys.Create("/big")
				for i := 0; i < benchSize; i += len(buf) {
					f.Write(buf)
				}
				f.Close()
				fsys.Remove("/big")
			}
		})
	}
}

// BenchmarkGenerated sends a 256 MiB generated file (Fs.Generate with the
// scenario generator, as the server seeds size: files) through WriteTo,
// the RETR path: the cost of computing content instead of storing it.
func BenchmarkGenerated(b *testing.B) {
	fsys := New()
	gen := scenariogen.GeneratedReader(1, benchSize)
	fill := func(p []byte, off int64) { _, _ = gen.ReadAt(p, off) }
	if err := fsys.Generate("/gen", benchSize, fill); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	for b.Loop() {
		f, err := fsys.Open("/gen")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(writerOnly{io.Discard}, f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
