// Package hostfs serves a host directory as an [afero.Fs], confined to it
// by Go's [os.Root]: every name is resolved below the directory by the
// operating system, one component at a time, so neither "..", nor an
// absolute name, nor a symbolic link (dangling or not, created before or
// during the operation) can reach a file outside it. There is no
// check-then-open race to win.
//
// Names are FTP paths: "/a/b", "a/b" and "/x/../a/b" all name a/b below
// the directory, and "/" is the directory itself. Symbolic links inside
// the directory are followed when they are relative and stay inside;
// absolute links and links leading out fail with [ErrOutside].
//
// Errors never show host paths: every error names the path it was given,
// cleaned ("/done0.bin"), including errors of open files. Names with a
// carriage return, a line feed or a NUL byte cannot be created
// ([ErrInvalidName]), and with [Options.MaxFileSize] no file grows past a
// size ([ErrFileTooLarge]), as in memfs.
package hostfs

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/internal/fscheck"
)

// ErrOutside is returned (wrapped in an *os.PathError or *os.LinkError)
// for a name that leads outside the directory, through ".." or a symbolic
// link. It matches fs.ErrPermission with errors.Is.
var ErrOutside error = outsideError{}

type outsideError struct{}

func (outsideError) Error() string { return "leads outside the served directory" }
func (outsideError) Unwrap() error { return fs.ErrPermission }

// ErrFileTooLarge is returned (wrapped) when a write, a truncate or the
// offset of a writable handle would take a file past
// [Options.MaxFileSize]. It matches ftpserverlib's ErrStorageExceeded
// (552) and syscall.EFBIG with errors.Is.
var ErrFileTooLarge = fscheck.ErrTooLarge

// ErrInvalidName is returned (wrapped) when a file, directory or rename
// target would get a name containing CR, LF or NUL. It matches
// ftpserverlib's ErrFileNameNotAllowed (553), fs.ErrInvalid and
// syscall.EINVAL with errors.Is.
var ErrInvalidName = fscheck.ErrName

// Options configures an Fs.
type Options struct {
	// MaxFileSize, if positive, is the largest size a file may grow to
	// through this Fs: a write or truncate past it, or the offset of a
	// writable handle past it, fails with an error wrapping
	// ErrFileTooLarge (a write stores the bytes below the limit first).
	// Zero or negative: no limit beyond the operating system's.
	MaxFileSize int64
}

// Fs is a host directory. It implements [afero.Fs] and [afero.Lstater],
// and is safe for concurrent use. Close it when done.
type Fs struct {
	root    *os.Root
	maxSize int64 // math.MaxInt64: no limit
	escapes error // os.Root's error for a name leading out
}

var (
	_ afero.Fs      = (*Fs)(nil)
	_ afero.Lstater = (*Fs)(nil)
)

// New opens the directory dir.
func New(dir string, opts Options) (*Fs, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("root %q: %w", dir, unwrap(err))
	}
	fsys := &Fs{root: root, maxSize: opts.MaxFileSize}
	if fsys.maxSize <= 0 {
		fsys.maxSize = math.MaxInt64
	}
	// os.Root does not export the error it returns for a name leading
	// out: take it from one.
	if _, err := root.Lstat(".."); err != nil {
		fsys.escapes = unwrap(err)
	}
	return fsys, nil
}

// Close releases the directory. The Fs and the files it opened must not be
// used afterwards.
func (fs *Fs) Close() error { return fs.root.Close() }

// Name returns "hostfs".
func (fs *Fs) Name() string { return "hostfs" }

// MaxFileSize returns the largest size a file may grow to
// (math.MaxInt64 when there is no limit).
func (fs *Fs) MaxFileSize() int64 { return fs.maxSize }

// names returns the clean virtual path of name and the name relative to
// the root ("." for the root itself).
func names(name string) (virtual, rel string) {
	virtual = path.Clean("/" + filepath.ToSlash(name))
	if virtual == "/" {
		return virtual, "."
	}
	return virtual, virtual[1:]
}

// unwrap returns the error inside an *os.PathError, *os.LinkError or
// *os.SyscallError (the parts that name host paths or system calls).
func unwrap(err error) error {
	for {
		var pe *os.PathError
		var le *os.LinkError
		switch {
		case errors.As(err, &pe):
			err = pe.Err
		case errors.As(err, &le):
			err = le.Err
		default:
			return err
		}
	}
}

// fail turns an error about a host name into one about the virtual path.
func (fs *Fs) fail(op, virtual string, err error) error {
	if err == nil {
		return nil
	}
	err = unwrap(err)
	if fs.escapes != nil && errors.Is(err, fs.escapes) {
		err = ErrOutside
	}
	return &os.PathError{Op: op, Path: virtual, Err: err}
}

// Create creates or truncates the named file (mode 0666 before umask),
// like os.Create.
func (fs *Fs) Create(name string) (afero.File, error) {
	return fs.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

// Open opens the named file or directory for reading.
func (fs *Fs) Open(name string) (afero.File, error) {
	return fs.OpenFile(name, os.O_RDONLY, 0)
}

// OpenFile opens the named file with the given flags, like os.OpenFile.
// Only the permission bits of perm are used.
func (fs *Fs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	virtual, rel := names(name)
	if flag&os.O_CREATE != 0 {
		if err := fscheck.CheckName(virtual); err != nil {
			return nil, fs.fail("open", virtual, err)
		}
	}
	f, err := fs.root.OpenFile(rel, flag, perm&os.ModePerm)
	if err != nil {
		return nil, fs.fail("open", virtual, err)
	}
	acc := flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR)
	return &File{
		f:        f,
		fs:       fs,
		name:     virtual,
		writable: acc == os.O_WRONLY || acc == os.O_RDWR,
		append:   flag&os.O_APPEND != 0,
	}, nil
}

// Mkdir creates a directory.
func (fs *Fs) Mkdir(name string, perm os.FileMode) error {
	virtual, rel := names(name)
	if err := fscheck.CheckName(virtual); err != nil {
		return fs.fail("mkdir", virtual, err)
	}
	return fs.fail("mkdir", virtual, fs.root.Mkdir(rel, perm&os.ModePerm))
}

// MkdirAll creates a directory and any missing parents.
func (fs *Fs) MkdirAll(name string, perm os.FileMode) error {
	virtual, rel := names(name)
	if err := fscheck.CheckName(virtual); err != nil {
		return fs.fail("mkdir", virtual, err)
	}
	return fs.fail("mkdir", virtual, fs.root.MkdirAll(rel, perm&os.ModePerm))
}

// Remove removes a file, a symbolic link (not its target) or an empty
// directory. The directory itself cannot be removed.
func (fs *Fs) Remove(name string) error {
	virtual, rel := names(name)
	if rel == "." {
		return fs.fail("remove", virtual, syscall.EBUSY)
	}
	return fs.fail("remove", virtual, fs.root.Remove(rel))
}

// RemoveAll removes name and everything below it, not following symbolic
// links. It returns nil if name does not exist. The directory itself
// cannot be removed.
func (fs *Fs) RemoveAll(name string) error {
	virtual, rel := names(name)
	if rel == "." {
		return fs.fail("remove", virtual, syscall.EBUSY)
	}
	return fs.fail("remove", virtual, fs.root.RemoveAll(rel))
}

// Rename renames (moves) oldname to newname, like os.Rename. Errors are
// *os.LinkError values naming the virtual paths.
func (fs *Fs) Rename(oldname, newname string) error {
	oldV, oldR := names(oldname)
	newV, newR := names(newname)
	fail := func(err error) error {
		if err == nil {
			return nil
		}
		err = unwrap(err)
		if fs.escapes != nil && errors.Is(err, fs.escapes) {
			err = ErrOutside
		}
		return &os.LinkError{Op: "rename", Old: oldV, New: newV, Err: err}
	}
	if err := fscheck.CheckName(newV); err != nil {
		return fail(err)
	}
	if oldR == "." || newR == "." {
		return fail(syscall.EBUSY)
	}
	return fail(fs.root.Rename(oldR, newR))
}

// Stat returns the named file's metadata, following symbolic links.
func (fs *Fs) Stat(name string) (os.FileInfo, error) {
	virtual, rel := names(name)
	fi, err := fs.root.Stat(rel)
	return fi, fs.fail("stat", virtual, err)
}

// LstatIfPossible implements afero.Lstater: the metadata of a symbolic
// link itself.
func (fs *Fs) LstatIfPossible(name string) (os.FileInfo, bool, error) {
	virtual, rel := names(name)
	fi, err := fs.root.Lstat(rel)
	return fi, true, fs.fail("lstat", virtual, err)
}

// ReadlinkIfPossible implements afero.LinkReader: the target of a
// symbolic link, as stored (listings show it).
func (fs *Fs) ReadlinkIfPossible(name string) (string, error) {
	virtual, rel := names(name)
	t, err := fs.root.Readlink(rel)
	return t, fs.fail("readlink", virtual, err)
}

// Chmod changes the permission bits of the named file.
func (fs *Fs) Chmod(name string, mode os.FileMode) error {
	virtual, rel := names(name)
	return fs.fail("chmod", virtual, fs.root.Chmod(rel, mode))
}

// Chown changes the owner of the named file.
func (fs *Fs) Chown(name string, uid, gid int) error {
	virtual, rel := names(name)
	return fs.fail("chown", virtual, fs.root.Chown(rel, uid, gid))
}

// Chtimes changes the access and modification times of the named file.
func (fs *Fs) Chtimes(name string, atime, mtime time.Time) error {
	virtual, rel := names(name)
	return fs.fail("chtimes", virtual, fs.root.Chtimes(rel, atime, mtime))
}
