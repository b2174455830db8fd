package hostfs

import (
	"errors"
	"io"
	"math"
	"os"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/internal/fscheck"
)

// File is an open file or directory of an [Fs]: an *os.File whose errors
// name its virtual path. It implements afero.File, io.ReaderFrom and
// io.WriterTo (keeping the operating system's zero-copy paths).
type File struct {
	f        *os.File
	fs       *Fs
	name     string // the clean virtual path
	writable bool
	append   bool
}

var (
	_ afero.File    = (*File)(nil)
	_ io.ReaderFrom = (*File)(nil)
	_ io.WriterTo   = (*File)(nil)
)

// fail names the virtual path in an error of the host file; other errors
// (io.EOF, a reader's) are returned as they are.
func (f *File) fail(err error) error {
	var pe *os.PathError
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	return f.fs.fail(pe.Op, f.name, err)
}

// Name returns the clean virtual path the file was opened with.
func (f *File) Name() string { return f.name }

// Close closes the file.
func (f *File) Close() error { return f.fail(f.f.Close()) }

// Read reads up to len(p) bytes.
func (f *File) Read(p []byte) (int, error) {
	n, err := f.f.Read(p)
	return n, f.fail(err)
}

// ReadAt reads len(p) bytes at off.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.f.ReadAt(p, off)
	return n, f.fail(err)
}

// Seek sets the offset for the next Read or Write. On a writable handle
// an offset past Options.MaxFileSize fails with ErrFileTooLarge.
func (f *File) Seek(offset int64, whence int) (int64, error) {
	if !f.writable || f.fs.maxSize == math.MaxInt64 {
		n, err := f.f.Seek(offset, whence)
		return n, f.fail(err)
	}
	old, err := f.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, f.fail(err)
	}
	n, err := f.f.Seek(offset, whence)
	if err == nil && n > f.fs.maxSize {
		_, err = f.f.Seek(old, io.SeekStart)
		return 0, errors.Join(&os.PathError{Op: "seek", Path: f.name, Err: fscheck.TooLarge(f.fs.maxSize)}, f.fail(err))
	}
	return n, f.fail(err)
}

// room returns how many of k bytes written at the current offset (the end
// of file for O_APPEND) stay within Options.MaxFileSize.
func (f *File) room(k int64) (int64, error) {
	var pos int64
	var err error
	if f.append {
		var fi os.FileInfo
		if fi, err = f.f.Stat(); err == nil {
			pos = fi.Size()
		}
	} else {
		pos, err = f.f.Seek(0, io.SeekCurrent)
	}
	if err != nil {
		return 0, f.fail(err)
	}
	return max(min(k, f.fs.maxSize-pos), 0), nil
}

// tooLarge is the error of a write cut at Options.MaxFileSize.
func (f *File) tooLarge() error {
	return &os.PathError{Op: "write", Path: f.name, Err: fscheck.TooLarge(f.fs.maxSize)}
}

// Write writes p at the offset (at the end for O_APPEND).
func (f *File) Write(p []byte) (int, error) {
	if f.fs.maxSize < math.MaxInt64 {
		room, err := f.room(int64(len(p)))
		if err != nil {
			return 0, err
		}
		if room < int64(len(p)) {
			n, err := f.f.Write(p[:room])
			if err == nil {
				err = f.tooLarge()
			}
			return n, f.fail(err)
		}
	}
	n, err := f.f.Write(p)
	return n, f.fail(err)
}

// WriteAt writes p at off.
func (f *File) WriteAt(p []byte, off int64) (int, error) {
	if off >= 0 && int64(len(p)) > f.fs.maxSize-off {
		n, err := f.f.WriteAt(p[:max(f.fs.maxSize-off, 0)], off)
		if err == nil {
			err = f.tooLarge()
		}
		return n, f.fail(err)
	}
	n, err := f.f.WriteAt(p, off)
	return n, f.fail(err)
}

// WriteString is Write of a string.
func (f *File) WriteString(s string) (int, error) { return f.Write([]byte(s)) }

// ReadFrom copies r into the file until io.EOF, with the operating
// system's zero-copy paths where they apply.
func (f *File) ReadFrom(r io.Reader) (int64, error) {
	if f.fs.maxSize == math.MaxInt64 {
		n, err := f.f.ReadFrom(r)
		return n, f.fail(err)
	}
	room, err := f.room(math.MaxInt64)
	if err != nil {
		return 0, err
	}
	// io.LimitedReader keeps os.File's zero-copy paths.
	n, err := f.f.ReadFrom(&io.LimitedReader{R: r, N: room})
	if err != nil || n < room {
		return n, f.fail(err)
	}
	// At the limit: more data is an error, the end of it is not.
	var one [1]byte
	for {
		k, rerr := r.Read(one[:])
		if k > 0 {
			return n, f.tooLarge()
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

// WriteTo copies the file from the offset to its end into w, with the
// operating system's zero-copy paths where they apply.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	n, err := f.f.WriteTo(w)
	return n, f.fail(err)
}

// Readdir reads the directory's entries, like os.File.Readdir.
func (f *File) Readdir(count int) ([]os.FileInfo, error) {
	fi, err := f.f.Readdir(count)
	return fi, f.fail(err)
}

// Readdirnames reads the directory's entry names.
func (f *File) Readdirnames(n int) ([]string, error) {
	names, err := f.f.Readdirnames(n)
	return names, f.fail(err)
}

// Stat returns the file's metadata.
func (f *File) Stat() (os.FileInfo, error) {
	fi, err := f.f.Stat()
	return fi, f.fail(err)
}

// Sync commits the file to stable storage.
func (f *File) Sync() error { return f.fail(f.f.Sync()) }

// Truncate changes the file's size; growing past Options.MaxFileSize
// fails with ErrFileTooLarge.
func (f *File) Truncate(size int64) error {
	if size > f.fs.maxSize {
		return &os.PathError{Op: "truncate", Path: f.name, Err: fscheck.TooLarge(f.fs.maxSize)}
	}
	return f.fail(f.f.Truncate(size))
}
