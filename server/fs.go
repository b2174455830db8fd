package server

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/scenario"
)

// newFilesystem picks the filesystem a Config asks for.
func newFilesystem(cfg *Config) (afero.Fs, error) {
	if cfg.Quota < 0 || (cfg.Quota > 0 && (cfg.Fs != nil || cfg.Root != "")) {
		return nil, errors.New("a quota needs the in-memory filesystem (no Root, no Fs)")
	}
	switch {
	case cfg.Fs != nil:
		return cfg.Fs, nil
	case cfg.Root != "":
		return newJailFs(cfg.Root)
	default:
		return newMemFs(cfg.Quota), nil
	}
}

// jailFs serves a host directory: every name is cleaned as an absolute
// path below the root, and a name whose real location (after symbolic
// links) lies outside the root does not exist.
type jailFs struct {
	afero.Fs // the host filesystem
	root     string
}

func newJailFs(root string) (*jailFs, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("root %q: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("root %q: %w", root, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		return nil, fmt.Errorf("root %q: %w", root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("root %q is not a directory", root)
	}
	return &jailFs{Fs: afero.NewOsFs(), root: real}, nil
}

// errOutside is what a name outside the root gets: it does not exist.
var errOutside = os.ErrNotExist

// real maps an FTP path to a host path inside the root.
func (j *jailFs) real(name string) (string, error) {
	clean := path.Clean("/" + filepath.ToSlash(name))
	p := filepath.Join(j.root, filepath.FromSlash(clean))
	// Follow symbolic links of the longest existing prefix; it must stay inside.
	probe := p
	for {
		resolved, err := filepath.EvalSymlinks(probe)
		if err == nil {
			if resolved != j.root && !strings.HasPrefix(resolved, j.root+string(filepath.Separator)) {
				return "", errOutside
			}
			break
		}
		parent := filepath.Dir(probe)
		if parent == probe || len(parent) < len(j.root) {
			break
		}
		probe = parent
	}
	return p, nil
}

func (j *jailFs) pathErr(op, name string, err error) error {
	return &os.PathError{Op: op, Path: name, Err: err}
}

// hide replaces host paths in errors with the FTP name.
func (j *jailFs) hide(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		return &os.PathError{Op: op, Path: name, Err: pe.Err}
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return &os.PathError{Op: op, Path: name, Err: le.Err}
	}
	return err
}

func (j *jailFs) Create(name string) (afero.File, error) {
	return j.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

func (j *jailFs) Mkdir(name string, perm os.FileMode) error {
	p, err := j.real(name)
	if err != nil {
		return j.pathErr("mkdir", name, err)
	}
	return j.hide("mkdir", name, j.Fs.Mkdir(p, perm))
}

func (j *jailFs) MkdirAll(name string, perm os.FileMode) error {
	p, err := j.real(name)
	if err != nil {
		return j.pathErr("mkdir", name, err)
	}
	return j.hide("mkdir", name, j.Fs.MkdirAll(p, perm))
}

func (j *jailFs) Open(name string) (afero.File, error) {
	return j.OpenFile(name, os.O_RDONLY, 0)
}

func (j *jailFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	p, err := j.real(name)
	if err != nil {
		return nil, j.pathErr("open", name, err)
	}
	f, err := j.Fs.OpenFile(p, flag, perm)
	if err != nil {
		return nil, j.hide("open", name, err)
	}
	return &jailFile{File: f, name: path.Clean("/" + filepath.ToSlash(name))}, nil
}

func (j *jailFs) Remove(name string) error {
	p, err := j.real(name)
	if err != nil {
		return j.pathErr("remove", name, err)
	}
	if p == j.root {
		return j.pathErr("remove", name, os.ErrPermission)
	}
	return j.hide("remove", name, j.Fs.Remove(p))
}

func (j *jailFs) RemoveAll(name string) error {
	p, err := j.real(name)
	if err != nil {
		return j.pathErr("remove", name, err)
	}
	if p == j.root {
		return j.pathErr("remove", name, os.ErrPermission)
	}
	return j.hide("remove", name, j.Fs.RemoveAll(p))
}

func (j *jailFs) Rename(oldname, newname string) error {
	op, err := j.real(oldname)
	if err != nil {
		return j.pathErr("rename", oldname, err)
	}
	np, err := j.real(newname)
	if err != nil {
		return j.pathErr("rename", newname, err)
	}
	return j.hide("rename", oldname, j.Fs.Rename(op, np))
}

func (j *jailFs) Stat(name string) (os.FileInfo, error) {
	p, err := j.real(name)
	if err != nil {
		return nil, j.pathErr("stat", name, err)
	}
	fi, err := j.Fs.Stat(p)
	return fi, j.hide("stat", name, err)
}

func (j *jailFs) Name() string { return "jail" }

func (j *jailFs) Chmod(name string, mode os.FileMode) error {
	p, err := j.real(name)
	if err != nil {
		return j.pathErr("chmod", name, err)
	}
	return j.hide("chmod", name, j.Fs.Chmod(p, mode))
}

func (j *jailFs) Chown(name string, uid, gid int) error {
	p, err := j.real(name)
	if err != nil {
		return j.pathErr("chown", name, err)
	}
	return j.hide("chown", name, j.Fs.Chown(p, uid, gid))
}

func (j *jailFs) Chtimes(name string, atime, mtime time.Time) error {
	p, err := j.real(name)
	if err != nil {
		return j.pathErr("chtimes", name, err)
	}
	return j.hide("chtimes", name, j.Fs.Chtimes(p, atime, mtime))
}

// jailFile reports its FTP name, not its host path.
type jailFile struct {
	afero.File
	name string
}

func (f *jailFile) Name() string { return f.name }

// ReadFrom keeps the host file's fast path (copy_file_range, splice).
func (f *jailFile) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := f.File.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{f.File}, r)
}

// seedFiles writes a scenario's initial files into fsys.
func seedFiles(fsys afero.Fs, sc *scenario.Scenario) error {
	base := "."
	if sc.Source != "" && !strings.HasPrefix(sc.Source, "<") {
		base = filepath.Dir(sc.Source)
	}
	for _, f := range sc.Files {
		if err := seedFile(fsys, f, base, sc.Seed); err != nil {
			return fmt.Errorf("seed %s: %w", f.Path, err)
		}
	}
	return nil
}

func seedFile(fsys afero.Fs, f scenario.File, base string, seed int64) error {
	p := path.Clean("/" + f.Path)
	switch {
	case f.Dir:
		return fsys.MkdirAll(p, 0o755)
	case f.From != "":
		src := f.From
		if !filepath.IsAbs(src) {
			src = filepath.Join(base, src)
		}
		return copyIn(fsys, src, p)
	}
	if err := fsys.MkdirAll(path.Dir(p), 0o755); err != nil {
		return err
	}
	r, _, err := f.Open(base)
	if err != nil {
		return err
	}
	if c, ok := r.(io.Closer); ok {
		defer c.Close()
	}
	if err := writeFile(fsys, p, r); err != nil {
		return err
	}
	if !f.ModTime.IsZero() {
		return fsys.Chtimes(p, f.ModTime, f.ModTime)
	}
	return nil
}

func writeFile(fsys afero.Fs, p string, r io.Reader) error {
	w, err := fsys.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close()
}

// copyIn copies a host file or directory tree into fsys at dst.
func copyIn(fsys afero.Fs, src, dst string) error {
	return filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := path.Join(dst, filepath.ToSlash(rel))
		switch {
		case d.IsDir():
			return fsys.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			if err := fsys.MkdirAll(path.Dir(target), 0o755); err != nil {
				return err
			}
			in, err := os.Open(p)
			if err != nil {
				return err
			}
			defer in.Close()
			return writeFile(fsys, target, in)
		}
		return nil // symbolic links and devices are not copied
	})
}

// sessionFs is the filesystem one logged-in session sees: the server's,
// with uploads tracked so that the engine and tests know what arrived.
type sessionFs struct {
	afero.Fs
	sess *session
}

func (f *sessionFs) Create(name string) (afero.File, error) {
	return f.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
}

func (f *sessionFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	return f.open(name, flag, perm, 0)
}

var errNegativeOffset = errors.New("a negative REST offset")

// GetHandle is how ftpserverlib opens the file of a transfer: offset is
// the REST offset it then seeks to. For an upload, the bytes before it
// were there before (see keep_partial).
func (f *sessionFs) GetHandle(name string, flags int, offset int64) (ftpserver.FileTransfer, error) {
	if offset < 0 {
		return nil, errNegativeOffset
	}
	file, err := f.open(name, flags, 0o666, offset)
	if err != nil {
		return nil, err
	}
	return file, nil
}

// open opens name; a file opened for writing is an upload of the
// transfer under way, which held base bytes before (the REST offset, or
// the file's size for APPE).
func (f *sessionFs) open(name string, flag int, perm os.FileMode, base int64) (afero.File, error) {
	if flag&os.O_APPEND != 0 {
		if fi, err := f.Fs.Stat(name); err == nil {
			base = fi.Size()
		}
	}
	file, err := f.Fs.OpenFile(name, flag, perm)
	if err != nil || flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		return file, err
	}
	p := path.Clean("/" + filepath.ToSlash(name))
	tr := f.sess.currentTransfer()
	if tr != nil {
		tr.uploading(p, base)
	}
	return &uploadFile{File: file, path: p, sess: f.sess, tr: tr}, nil
}

// uploadFile reports a finished upload to the server when it is closed.
type uploadFile struct {
	afero.File
	path    string
	sess    *session
	tr      *transfer // the transfer command writing it, if any
	written int64
	failed  error
}

func (u *uploadFile) Write(p []byte) (int, error) {
	n, err := u.File.Write(p)
	u.written += int64(n)
	return n, err
}

// ReadFrom keeps the filesystem's fast path for io.Copy(file, conn).
func (u *uploadFile) ReadFrom(r io.Reader) (int64, error) {
	var n int64
	var err error
	if rf, ok := u.File.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(r)
	} else {
		n, err = io.Copy(struct{ io.Writer }{u.File}, r)
	}
	u.written += n
	return n, err
}

// TransferError is ftpserverlib's notice that the transfer did not complete.
func (u *uploadFile) TransferError(err error) { u.failed = err }

// Close records the upload: complete unless ftpserverlib saw it fail, or
// a fault cut it, or the client aborted it.
func (u *uploadFile) Close() error {
	err := u.File.Close()
	complete := u.failed == nil && err == nil
	if u.tr != nil {
		if end := u.tr.noted(); faultCut(end) || end == endAborted {
			complete = false
		}
	}
	u.sess.mu.Lock()
	user := u.sess.user
	u.sess.mu.Unlock()
	u.sess.srv.uploaded(Upload{Session: u.sess.number, User: user, Path: u.path, Size: u.written, Complete: complete, Time: time.Now()})
	return err
}

// Upload is a file a client wrote, recorded when the file was closed.
type Upload struct {
	Session  int       `json:"session"`
	User     string    `json:"user,omitempty"`
	Path     string    `json:"path"`
	Size     int64     `json:"size"`     // bytes written by this upload
	Complete bool      `json:"complete"` // false when the transfer failed or was aborted
	Time     time.Time `json:"time"`
}
