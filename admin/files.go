package admin

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/afero"
)

// filePath is the cleaned absolute path of a files route: "/api/files/a/b"
// names "/a/b" in the served filesystem; ".." cannot climb above its root.
func filePath(r *http.Request) string {
	return path.Clean("/" + r.PathValue("path"))
}

type dirEntry struct {
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	Dir     bool      `json:"dir"`
	Size    int64     `json:"size"`
	Mode    string    `json:"mode"`
	ModTime time.Time `json:"modtime"`
}

type dirBody struct {
	Path    string     `json:"path"`
	Entries []dirEntry `json:"entries"`
}

// getFile sends a file's content, or a directory's listing as JSON.
func (a *API) getFile(w http.ResponseWriter, r *http.Request) {
	p := filePath(r)
	fsys := a.srv.Fs()
	st, err := fsys.Stat(p)
	if err != nil {
		fileError(w, p, err)
		return
	}
	if st.IsDir() {
		infos, err := afero.ReadDir(fsys, p)
		if err != nil {
			fileError(w, p, err)
			return
		}
		body := dirBody{Path: p, Entries: make([]dirEntry, 0, len(infos))}
		for _, fi := range infos {
			body.Entries = append(body.Entries, dirEntry{
				Name: fi.Name(), Path: path.Join(p, fi.Name()), Dir: fi.IsDir(),
				Size: fi.Size(), Mode: fi.Mode().String(), ModTime: fi.ModTime().UTC(),
			})
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	if !st.Mode().IsRegular() {
		writeError(w, http.StatusConflict, p+" is not a regular file")
		return
	}
	f, err := fsys.Open(p)
	if err != nil {
		fileError(w, p, err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	h.Set("Last-Modified", st.ModTime().UTC().Format(http.TimeFormat))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	// A file that shrinks meanwhile ends the response early; the client
	// sees a short body against Content-Length.
	_, _ = io.CopyN(a.writeProgress(w), f, st.Size())
}

type fileBody struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	Created bool   `json:"created"`
}

// putFile writes a file (creating its directories) with the request body.
// The body goes to a new file beside the target, which is renamed over it
// once the whole body has arrived: a body over the limit, one that stops
// early or stalls, or a full disk leaves the old file as it was (or no
// file, when there was none).
func (a *API) putFile(w http.ResponseWriter, r *http.Request) {
	p := filePath(r)
	if p == "/" {
		refuse(w, r, http.StatusBadRequest, "name a file: PUT /api/files/{path}, e.g. /api/files/inbox/report.csv")
		return
	}
	fsys := a.srv.Fs()
	old, err := fsys.Stat(p)
	if errors.Is(err, fs.ErrPermission) {
		// a symbolic link out of a -root folder: writing the file would
		// replace the link, which is not what the client asked for
		refuse(w, r, http.StatusForbidden, p+" leads out of the served folder (a symbolic link); nothing was stored")
		return
	}
	if err == nil && old.IsDir() {
		refuse(w, r, http.StatusConflict, p+" is a directory")
		return
	}
	created := err != nil
	unchanged := "nothing was stored"
	if !created {
		unchanged += "; " + p + " is unchanged"
	}
	limit := a.opts.MaxFileBytes
	if r.ContentLength > limit {
		refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("file of %d bytes over the limit of %d bytes (-admin-max-file-size); %s", r.ContentLength, limit, unchanged))
		return
	}
	// Some filesystems (afero's MemMapFs) would make a directory below a file.
	for dir := path.Dir(p); dir != "/"; dir = path.Dir(dir) {
		if st, err := fsys.Stat(dir); err == nil && !st.IsDir() {
			refuse(w, r, http.StatusConflict, fmt.Sprintf("%s is a file, so %s cannot be made below it", dir, p))
			return
		}
	}
	if err := fsys.MkdirAll(path.Dir(p), 0o755); err != nil {
		closeUnread(w, r)
		fileError(w, path.Dir(p), err)
		return
	}
	tmp, f, err := createTemp(fsys, path.Dir(p))
	if err != nil {
		closeUnread(w, r)
		fileError(w, p, err)
		return
	}
	body := a.readProgress(w, http.MaxBytesReader(w, r.Body, limit))
	n, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && !created {
		_ = fsys.Chmod(tmp, old.Mode().Perm()) // a replaced host file keeps its mode
	}
	if err == nil {
		err = fsys.Rename(tmp, p)
	}
	if err != nil {
		_ = fsys.Remove(tmp)
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("file over the limit of %d bytes (-admin-max-file-size); %s", limit, unchanged))
		case body.err != nil:
			why := body.err.Error()
			if errors.Is(body.err, os.ErrDeadlineExceeded) {
				why = fmt.Sprintf("it stalled: less than %d KiB in %s", transferProgress>>10, a.transferWindow)
			}
			writeError(w, http.StatusBadRequest, fmt.Sprintf("the request body stopped after %d bytes (%s); %s", n, why, unchanged))
		default:
			fileError(w, p, fmt.Errorf("writing failed, %s: %w", unchanged, err))
		}
		return
	}
	a.opts.Logger.Info("admin: file written", "path", p, "size", n)
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	writeJSON(w, code, fileBody{Path: p, Size: n, Created: created})
}

// createTemp makes a new, empty file in dir for an upload to fill; its
// name starts with a dot (hidden from most listings).
func createTemp(fsys afero.Fs, dir string) (string, afero.File, error) {
	var err error
	for range 10 {
		name := path.Join(dir, ".mockftpd-upload-"+strconv.FormatUint(rand.Uint64(), 36))
		var f afero.File
		if f, err = fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err == nil {
			return name, f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	return "", nil, err
}

// fileError maps a filesystem error to a status.
func fileError(w http.ResponseWriter, p string, err error) {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		writeError(w, http.StatusNotFound, fmt.Sprintf("no file or directory %s on the server", p))
	case errors.Is(err, fs.ErrExist), errors.Is(err, fs.ErrInvalid), isNotDir(err):
		writeError(w, http.StatusConflict, fmt.Sprintf("%s: %v", p, err))
	case errors.Is(err, syscall.ENOSPC):
		writeError(w, http.StatusInsufficientStorage, fmt.Sprintf("%s: the server's filesystem is full (quota): %v", p, err))
	case errors.Is(err, fs.ErrPermission):
		writeError(w, http.StatusConflict, fmt.Sprintf("%s: permission denied on the server", p))
	default:
		writeError(w, http.StatusInternalServerError, fmt.Sprintf("%s: %v", p, err))
	}
}

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
