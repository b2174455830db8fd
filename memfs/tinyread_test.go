package memfs

import (
	"bytes"
	"io"
	"testing"
)

// stubbornReader, like ftpserverlib's ASCII converter, makes no progress
// when fewer than 3 bytes of buffer are free.
type stubbornReader struct{ r io.Reader }

func (s stubbornReader) Read(p []byte) (int, error) {
	if len(p) < 3 {
		return 0, nil
	}
	if len(p) > 1000 {
		p = p[:1000] // short reads, to end near the edge of a buffer
	}
	return s.r.Read(p)
}

// TestReadFromReaderNeedingRoom is the regression test for an endless loop
// in ReadFrom with such a reader (found by the soak test, ASCII uploads).
func TestReadFromReaderNeedingRoom(t *testing.T) {
	for _, chunk := range []int{64, 4096, 1 << 20} {
		fsys := NewWithOptions(Options{ChunkSize: chunk})
		f, err := fsys.Create("/a.txt")
		if err != nil {
			t.Fatal(err)
		}
		data := bytes.Repeat([]byte("0123456789abcdef"), 20000)
		n, err := f.(*File).ReadFrom(stubbornReader{bytes.NewReader(data)})
		if err != nil || n != int64(len(data)) {
			t.Fatalf("chunk %d: ReadFrom = %d, %v", chunk, n, err)
		}
		_ = f.Close()
		got, _ := readAllFile(fsys, "/a.txt")
		if !bytes.Equal(got, data) {
			t.Fatalf("chunk %d: stored %d bytes, want %d equal", chunk, len(got), len(data))
		}
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestReadFromNoProgress(t *testing.T) {
	f, err := New().Create("/z")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.(*File).ReadFrom(zeroReader{}); err != io.ErrNoProgress {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}

func readAllFile(fsys *Fs, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
