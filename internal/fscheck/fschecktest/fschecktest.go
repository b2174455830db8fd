// Package fschecktest checks that a filesystem applies the rules of
// package fscheck: the tests of memfs and hostfs run the same checks.
package fschecktest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/internal/fscheck"
)

// Names checks that fsys (empty) creates no file, directory or rename
// target whose name has CR, LF or NUL, and says so with fscheck.ErrName.
func Names(t *testing.T, fsys afero.Fs) {
	t.Helper()
	if err := afero.WriteFile(fsys, "/ok", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"/a\r\n212 forged", "/a\nb", "/a\rb", "/a\x00b", "/d\n/x"} {
		check := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, fscheck.ErrName) || !errors.Is(err, ftpserver.ErrFileNameNotAllowed) {
				t.Errorf("%s %q: %v", what, bad, err)
			}
		}
		_, err := fsys.Create(bad)
		check("create", err)
		_, err = fsys.OpenFile(bad, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		check("open O_CREATE", err)
		check("mkdir", fsys.Mkdir(bad, 0o755))
		check("mkdirall", fsys.MkdirAll(bad+"/x", 0o755))
		check("rename", fsys.Rename("/ok", bad))
		if _, err := fsys.Stat(bad); err == nil {
			t.Errorf("stat %q: %v", bad, err)
		}
	}
	if infos, err := afero.ReadDir(fsys, "/"); err != nil || len(infos) != 1 {
		t.Errorf("%d entries (%v), want only /ok", len(infos), err)
	}
}

// MaxFileSize checks that fsys, whose maximum file size is limit, refuses
// writes, truncates and writable offsets past it with fscheck.ErrTooLarge
// (after storing the bytes below it), and lets reads seek past it. It uses
// the file /f.
func MaxFileSize(t *testing.T, fsys afero.Fs, limit int64) {
	t.Helper()
	check := func(what string, err error) {
		t.Helper()
		var pe *os.PathError
		if !errors.Is(err, fscheck.ErrTooLarge) || !errors.Is(err, ftpserver.ErrStorageExceeded) || !errors.Is(err, syscall.EFBIG) ||
			!errors.As(err, &pe) || pe.Path != "/f" {
			t.Errorf("%s: %v", what, err)
		}
	}
	f, err := fsys.Create("/f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
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
	if pos, err := f.Seek(0, io.SeekCurrent); pos != 0 || err != nil {
		t.Errorf("a refused seek moved the offset to %d (%v)", pos, err)
	}
	f.Seek(limit-3, io.SeekStart)
	n, err = f.Write([]byte("abcdef"))
	check("write past the limit", err)
	if n != 3 {
		t.Errorf("wrote %d bytes, want 3", n)
	}
	f.Seek(limit-5, io.SeekStart)
	k, err := f.(io.ReaderFrom).ReadFrom(strings.NewReader("0123456789"))
	check("ReadFrom past the limit", err)
	if k != 5 {
		t.Errorf("ReadFrom stored %d bytes, want 5", k)
	}
	f.Seek(limit-5, io.SeekStart)
	if k, err := f.(io.ReaderFrom).ReadFrom(bytes.NewReader([]byte("01234"))); k != 5 || err != nil {
		t.Errorf("ReadFrom up to the limit: %d, %v", k, err)
	}
	a, err := fsys.OpenFile("/f", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Write([]byte("x"))
	check("append past the limit", err)
	a.Close()
	r, err := fsys.Open("/f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Seek(limit+1<<30, io.SeekStart); err != nil {
		t.Errorf("a read-only handle may seek past the limit: %v", err)
	}
	if fi, err := fsys.Stat("/f"); err != nil || fi.Size() != limit {
		t.Errorf("size %v (%v), want %d", fi.Size(), err, limit)
	}
}
