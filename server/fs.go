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

	"github.com/mockftpd/mockftpd/hostfs"
	"github.com/mockftpd/mockftpd/scenario"
)

// newFilesystem picks the filesystem a Config asks for: the caller's, a
// host directory (package hostfs) or memory (package memfs).
func newFilesystem(cfg *Config) (afero.Fs, error) {
	if cfg.Quota < 0 || (cfg.Quota > 0 && (cfg.Fs != nil || cfg.Root != "")) {
		return nil, errors.New("a quota needs the in-memory filesystem (no Root, no Fs)")
	}
	switch {
	case cfg.Fs != nil:
		return cfg.Fs, nil
	case cfg.Root != "":
		h, err := hostfs.New(cfg.Root, hostfs.Options{MaxFileSize: cfg.MaxFileSize})
		if err != nil {
			return nil, err
		}
		return h, nil
	default:
		return newMemFs(cfg), nil
	}
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

// Seeded says what putting a scenario in force did to the files it lists
// (see Server.ReplaceScenario).
type Seeded struct {
	New  int // entries whose path did not exist: seeded
	Kept int // entries whose path exists: left as they are
}

// seedMissing seeds the scenario's files whose path does not exist yet and
// leaves every path that exists as it is (what clients uploaded or
// changed, the previous scenario's files).
func seedMissing(fsys afero.Fs, sc *scenario.Scenario) (Seeded, error) {
	base := "."
	if sc.Source != "" && !strings.HasPrefix(sc.Source, "<") {
		base = filepath.Dir(sc.Source)
	}
	var out Seeded
	for _, f := range sc.Files {
		if _, err := fsys.Stat(path.Clean("/" + f.Path)); err == nil {
			out.Kept++
			continue
		}
		if err := seedFile(fsys, f, base, sc.Seed); err != nil {
			return out, fmt.Errorf("seed %s: %w", f.Path, err)
		}
		out.New++
	}
	return out, nil
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
	if f.Size > 0 {
		if err := seedGenerated(fsys, p, f); err != nil {
			return err
		}
	} else {
		r, _, err := f.Open(base)
		if err != nil {
			return err
		}
		defer r.Close()
		if err := writeFile(fsys, p, r); err != nil {
			return err
		}
	}
	if !f.ModTime.IsZero() {
		return fsys.Chtimes(p, f.ModTime, f.ModTime)
	}
	return nil
}

// seedGenerated makes a file of generated content (size: in a scenario).
// A filesystem that computes content on read (memfs) stores none of it,
// whatever the size; any other gets the bytes written, up to its maximum
// file size: a terabyte is refused at once rather than written to disk.
func seedGenerated(fsys afero.Fs, p string, f scenario.File) error {
	gen := scenario.GeneratedReader(f.Seed, f.Size)
	if g, ok := fsys.(interface {
		Generate(name string, size int64, fill func(p []byte, off int64)) error
	}); ok {
		return g.Generate(p, f.Size, func(b []byte, off int64) { _, _ = gen.ReadAt(b, off) })
	}
	if l, ok := fsys.(interface{ MaxFileSize() int64 }); ok && f.Size > l.MaxFileSize() {
		return fmt.Errorf("generated content of %s is over the maximum file size of %s (MaxFileSize, -max-file-size): only the in-memory filesystem serves it without storing it",
			scenario.FormatSize(f.Size), scenario.FormatSize(l.MaxFileSize()))
	}
	return writeFile(fsys, p, gen)
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

// ReadDir is how ftpserverlib reads the directory a listing (LIST, NLST,
// MLSD) shows: a name holding a CR or LF (a -root folder may have one)
// shows it as '?', as replies do, so that every entry stays one line of
// the listing.
func (f *sessionFs) ReadDir(name string) ([]os.FileInfo, error) {
	d, err := f.Fs.Open(name)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	infos, err := d.Readdir(-1)
	for i, fi := range infos {
		if strings.ContainsAny(fi.Name(), "\r\n") {
			infos[i] = renamedInfo{FileInfo: fi, name: strings.NewReplacer("\r", "?", "\n", "?").Replace(fi.Name())}
		}
	}
	return infos, err
}

// renamedInfo is a FileInfo under another name.
type renamedInfo struct {
	os.FileInfo
	name string
}

func (r renamedInfo) Name() string { return r.name }

var errNegativeOffset = errors.New("a negative REST offset")

// GetHandle is how ftpserverlib opens the file of a transfer: offset is
// the REST offset it then seeks to. For an upload, the bytes before it
// were there before (see keep_partial).
func (f *sessionFs) GetHandle(name string, flags int, offset int64) (ftpserver.FileTransfer, error) {
	if offset < 0 {
		return nil, &os.PathError{Op: "seek", Path: path.Clean("/" + filepath.ToSlash(name)), Err: errNegativeOffset}
	}
	if flags&(os.O_WRONLY|os.O_RDWR) == 0 {
		if tr := f.sess.currentTransfer(); tr != nil && tr.source != nil {
			// the download's bytes come from its source, from the REST offset on
			tr.offset.Store(offset)
			return &standIn{}, nil
		}
	}
	file, err := f.open(name, flags, 0o666, offset)
	if err != nil {
		f.sess.noteFsErr(err) // for the dialect's failure texts
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
