package server

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/dialect"
)

// dialectListing is a listing's bytes as the dialect in force writes
// them: a content source (content.go) of LIST, NLST and MLSD, so that a
// listing goes through the data path as any transfer's bytes do, faults
// included. The folder is read when the data connection opens, after
// ftpserverlib found it.
type dialectListing struct {
	sess *session
	d    *dialect.Dialect
	verb string
	arg  string // the command's argument: options, then a path
	cwd  string
	user string
}

// dialectListingLocked is the source of cmd's listing, or nil when no
// dialect is in force or cmd is no listing.
func (s *session) dialectListingLocked(cmd *command) contentSource {
	d := s.dialectIn()
	if d == nil || !isListing(cmd.verb) || !d.Knows(cmd.verb) {
		return nil
	}
	cwd := "/"
	if s.cc != nil {
		cwd = s.cc.Path()
	}
	return &dialectListing{sess: s, d: d, verb: cmd.verb, arg: cmd.arg, cwd: cwd, user: s.user}
}

// listOptions splits a listing's argument into its options ("-la") and
// its path.
func listOptions(arg string) (all bool, p string) {
	f := strings.Fields(arg)
	for len(f) > 0 && strings.HasPrefix(f[0], "-") {
		all = all || strings.Contains(f[0], "a")
		f = f[1:]
	}
	return all, strings.Join(f, " ")
}

// listingPath is the path a command's argument names: a listing's
// without its options.
func listingPath(verb, arg string) string {
	if isListing(verb) || verb == "STAT" {
		_, arg = listOptions(arg)
	}
	return arg
}

func (l *dialectListing) from(int64) io.Reader {
	all, p := listOptions(l.arg)
	abs := path.Clean(path.Join(l.cwd, p))
	if path.IsAbs(p) {
		abs = path.Clean(p)
	}
	fsys := l.sess.srv.fs
	o := dialect.ListOptions{All: all, User: l.user, Group: l.user}
	es, dir := entriesOf(fsys, abs, p)
	if dir {
		o.Dot, o.DotDot = statEntry(fsys, abs, "."), statEntry(fsys, path.Dir(abs), "..")
	}
	var b []byte
	switch l.verb {
	case "LIST":
		b = l.d.LIST(es, time.Now(), o)
	case "NLST":
		b = l.d.NLST(es, o)
	default:
		b = l.d.MLSD(es, o)
	}
	opts := "-l "
	if all {
		opts = "-a -l "
	}
	l.sess.mu.Lock()
	l.sess.dia.listCount, l.sess.dia.listOpts = bytes.Count(b, []byte("\n")), opts
	l.sess.mu.Unlock()
	return bytes.NewReader(b)
}

// entriesOf are the entries a listing of abs shows (the folder's, or the
// file's own under the name given), and whether abs is a folder.
func entriesOf(fsys afero.Fs, abs, given string) ([]dialect.Entry, bool) {
	fi, err := fsys.Stat(abs)
	if err != nil {
		return nil, false
	}
	if !fi.IsDir() {
		e := entryOf(fsys, abs, fi)
		if given != "" {
			e.Name = given
		}
		return []dialect.Entry{e}, false
	}
	infos, err := afero.ReadDir(fsys, abs)
	if err != nil {
		return nil, true
	}
	es := make([]dialect.Entry, 0, len(infos))
	for _, i := range infos {
		e := entryOf(fsys, path.Join(abs, i.Name()), i)
		e.Name = strings.NewReplacer("\r", "?", "\n", "?").Replace(e.Name)
		es = append(es, e)
	}
	return es, true
}

// statEntry is the entry of p under name ("." or ".."); zero when p
// cannot be read.
func statEntry(fsys afero.Fs, p, name string) dialect.Entry {
	fi, err := fsys.Stat(p)
	if err != nil {
		return dialect.Entry{}
	}
	e := entryOf(fsys, p, fi)
	e.Name = name
	return e
}

// entryOf is the listing entry of the file at p: with its owner, group
// and link count where the filesystem knows them (a host folder), and a
// symbolic link's target.
func entryOf(fsys afero.Fs, p string, fi os.FileInfo) dialect.Entry {
	e := dialect.EntryOf(fi)
	if uid, gid, links, ok := ownerOf(fi); ok {
		e.UID, e.GID, e.Links = uid, gid, links
		e.Owner, e.Group = strconv.Itoa(uid), strconv.Itoa(gid)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if lr, ok := fsys.(afero.LinkReader); ok {
			e.Target, _ = lr.ReadlinkIfPossible(p)
		}
	}
	return e
}

// mlstFactsLocked is MLST's fact line for the path given.
func (s *session) mlstFactsLocked(d *dialect.Dialect, arg, abs string) string {
	fi, err := s.srv.fs.Stat(abs)
	if err != nil {
		return ""
	}
	name := arg
	if d.Listing.MLSTFullPath || name == "" {
		name = abs
	}
	e := entryOf(s.srv.fs, abs, fi)
	return d.MLST(e, name, dialect.ListOptions{User: s.user, Group: s.user})
}

// dialectSTAT answers STAT with a path in the dialect's words and
// listing format; false when no dialect is in force.
func (s *session) dialectSTAT(cmd *command) bool {
	d := s.dialectIn()
	if d == nil {
		return false
	}
	all, p := listOptions(cmd.arg)
	abs := s.absPath(p)
	es, dir := entriesOf(s.srv.fs, abs, p)
	if es == nil && !dir {
		return false // a missing path: the engine's reply, in the dialect's words if it has them
	}
	o := dialect.ListOptions{All: all, User: s.user, Group: s.user}
	outcome := dialect.File
	if dir {
		outcome = dialect.Dir
		o.Dot, o.DotDot = statEntry(s.srv.fs, abs, "."), statEntry(s.srv.fs, path.Dir(abs), "..")
	}
	r, ok := d.Reply("STAT", outcome, dialect.Vars{"arg": cmd.arg, "path": abs, "listing": strings.Join(d.STAT(es, time.Now(), o), "\n")})
	if !ok {
		return false
	}
	cmd.own = true // the dialect's own answer, complete
	s.answer(cmd, dialectReply(r))
	return true
}

// fsOutcome is the dialect outcome a filesystem error stands for, or "".
func fsOutcome(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, syscall.ENOTEMPTY):
		return dialect.NotEmpty
	case errors.Is(err, syscall.ENOTDIR):
		return dialect.NotDir
	case errors.Is(err, syscall.EISDIR):
		return dialect.IsDir
	case errors.Is(err, fs.ErrNotExist):
		return dialect.NotFound
	case errors.Is(err, fs.ErrPermission):
		return dialect.Permission
	case errors.Is(err, fs.ErrExist):
		return dialect.Exists
	}
	return ""
}

// noteFsErr keeps the filesystem's error for the command under way (the
// dialect's failure texts tell missing files from refused ones).
func (s *session) noteFsErr(err error) {
	if err == nil || s.dialectIn() == nil {
		return
	}
	s.mu.Lock()
	s.dia.fsErr = err
	s.mu.Unlock()
}

// The filesystem operations ftpserverlib's commands fail on, their
// errors noted for the dialect.

func (f *sessionFs) Stat(name string) (os.FileInfo, error) {
	fi, err := f.Fs.Stat(name)
	f.sess.noteFsErr(err)
	return fi, err
}

func (f *sessionFs) Mkdir(name string, perm os.FileMode) error {
	err := f.Fs.Mkdir(name, perm)
	f.sess.noteFsErr(err)
	return err
}

func (f *sessionFs) Remove(name string) error {
	err := f.Fs.Remove(name)
	f.sess.noteFsErr(err)
	return err
}

func (f *sessionFs) Rename(from, to string) error {
	err := f.Fs.Rename(from, to)
	f.sess.noteFsErr(err)
	return err
}
