package hostfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/spf13/afero"

	"github.com/mockftpd/mockftpd/internal/fscheck/fschecktest"
)

// snapshot describes every entry below dir: name, type, mode, size, mtime
// and content, so that any change shows.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		line := p + " " + fi.Mode().String() + " " + fi.ModTime().String()
		if fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			line += " " + string(b)
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// escapeSetup makes a served directory whose symbolic links lead out of
// it in every way, next to an outside directory with a secret.
func escapeSetup(t *testing.T) (root, outside string, fsys *Fs) {
	t.Helper()
	base := t.TempDir()
	root, outside = filepath.Join(base, "root"), filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(root, "sub"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		filepath.Join(outside, "secret"):    "top secret",
		filepath.Join(root, "file.txt"):     "inside",
		filepath.Join(root, "sub", "a.txt"): "a",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"out":          outside,                           // absolute, to a directory outside
		"rel-out":      "../outside",                      // relative, to a directory outside
		"secret-link":  filepath.Join(outside, "secret"),  // absolute, to a file outside
		"dangling":     filepath.Join(outside, "newfile"), // absolute, dangling, outside
		"rel-dangling": "../outside/newfile2",             // relative, dangling, outside
		"in":           "sub",                             // relative, inside: followed
		"in-dangling":  "sub/created-through-link",        // relative, dangling, inside
		"abs-in":       filepath.Join(root, "sub"),        // absolute, inside: refused too
		"loop":         "loop",                            // a loop
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := New(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	return root, outside, fsys
}

// TestNothingOutsideIsReachable runs every operation on names that lead
// out of the directory (symbolic links dangling or not, "..", absolute
// host paths): the outside directory never changes, nothing of it is
// read, and no error shows a host path.
func TestNothingOutsideIsReachable(t *testing.T) {
	root, outside, fsys := escapeSetup(t)
	rel, _ := filepath.Rel(root, filepath.Join(outside, "secret"))
	names := []string{
		"/out/secret", "/rel-out/secret", "/secret-link", "/dangling", "/rel-dangling",
		"/out/new", "/rel-out/new", "/out", "/rel-out", "/abs-in/a.txt", "/loop",
		"../outside/secret", rel, "/../../" + rel, "/..", "..", filepath.Join(outside, "secret"),
		"/out/../../outside/secret", "/rel-out/sub/../secret",
	}
	before := snapshot(t, outside)
	check := func(op, name string, err error) {
		t.Helper()
		if err != nil {
			// A name that is a host path is echoed as the FTP path it is.
			msg := strings.ReplaceAll(err.Error(), filepath.Join(outside, "secret"), "")
			if strings.Contains(msg, root) || strings.Contains(msg, outside) {
				t.Errorf("%s %q: error shows a host path: %v", op, name, err)
			}
		}
		if now := snapshot(t, outside); now != before {
			t.Fatalf("%s %q changed the outside directory:\n%s", op, name, now)
		}
	}
	mustFail := func(op, name string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s %q succeeded", op, name)
		}
		check(op, name, err)
	}
	for _, name := range names {
		f, err := fsys.Open(name)
		if err == nil {
			b, _ := io.ReadAll(f)
			infos, _ := f.Readdir(-1)
			f.Close()
			if bytes.Contains(b, []byte("secret")) || len(infos) > 0 && !strings.HasPrefix(name, "/abs") {
				for _, fi := range infos {
					if fi.Name() == "secret" {
						t.Errorf("open %q listed the outside directory", name)
					}
				}
				if bytes.Contains(b, []byte("top secret")) {
					t.Errorf("open %q read the secret", name)
				}
			}
		}
		check("open", name, err)
		for _, flag := range []int{os.O_WRONLY | os.O_CREATE, os.O_WRONLY | os.O_CREATE | os.O_TRUNC, os.O_WRONLY | os.O_CREATE | os.O_EXCL, os.O_WRONLY | os.O_APPEND, os.O_RDWR} {
			f, err := fsys.OpenFile(name, flag, 0o644)
			if err == nil {
				f.Write([]byte("planted"))
				f.Close()
			}
			check("openfile", name, err)
		}
		_, err = fsys.Stat(name)
		check("stat", name, err)
		_, _, err = fsys.LstatIfPossible(name)
		check("lstat", name, err)
		check("chmod", name, fsys.Chmod(name, 0o600))
		check("chown", name, fsys.Chown(name, os.Getuid(), os.Getgid()))
		check("chtimes", name, fsys.Chtimes(name, time.Unix(0, 0), time.Unix(0, 0)))
		check("mkdir", name+"/d", fsys.Mkdir(name+"/d", 0o755))
		check("mkdirall", name+"/d/e", fsys.MkdirAll(name+"/d/e", 0o755))
		check("rename from", name, fsys.Rename(name+"/x", "/moved"))
		check("rename to", name, fsys.Rename("/file.txt", name+"/x"))
		check("remove", name+"/x", fsys.Remove(name+"/x"))
		check("removeall", name+"/x", fsys.RemoveAll(name+"/x"))
	}
	// The link named in the issue: STOR through a dangling link out.
	for _, name := range []string{"/dangling", "/rel-dangling"} {
		f, err := fsys.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err == nil {
			f.Close()
		}
		mustFail("create", name, err)
		if !errors.Is(err, ErrOutside) || !errors.Is(err, fs.ErrPermission) {
			t.Errorf("create %s: %v, want ErrOutside", name, err)
		}
		var pe *os.PathError
		if !errors.As(err, &pe) || pe.Path != name {
			t.Errorf("create %s: %#v does not name %s", name, err, name)
		}
	}
	for _, name := range []string{"/out/secret", "/secret-link", "/rel-out/secret", "/abs-in/a.txt"} {
		_, err := fsys.Open(name)
		mustFail("open", name, err)
	}
	// A link out may itself be removed or renamed: it is inside.
	if err := fsys.Rename("/dangling", "/dangling2"); err != nil {
		t.Errorf("rename the link itself: %v", err)
	}
	if err := fsys.Remove("/dangling2"); err != nil {
		t.Errorf("remove the link itself: %v", err)
	}
	check("remove", "/dangling2", nil)
	if _, err := os.Lstat(filepath.Join(root, "dangling2")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the link is still there: %v", err)
	}
}

// TestInside: relative links that stay inside are followed, names are FTP
// paths, and the directory itself cannot be removed or renamed.
func TestInside(t *testing.T) {
	root, _, fsys := escapeSetup(t)
	if b, err := afero.ReadFile(fsys, "/in/a.txt"); err != nil || string(b) != "a" {
		t.Errorf("through a link inside: %q, %v", b, err)
	}
	if err := afero.WriteFile(fsys, "/in-dangling", []byte("made"), 0o644); err != nil {
		t.Errorf("create through a dangling link inside: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "sub", "created-through-link")); err != nil || string(b) != "made" {
		t.Errorf("host file: %q, %v", b, err)
	}
	for _, name := range []string{"/file.txt", "file.txt", "/sub/../file.txt", "/../file.txt", "../../file.txt"} {
		if b, err := afero.ReadFile(fsys, name); err != nil || string(b) != "inside" {
			t.Errorf("%q: %q, %v", name, b, err)
		}
	}
	for _, name := range []string{"/", "", ".", "/.."} {
		if fi, err := fsys.Stat(name); err != nil || !fi.IsDir() {
			t.Errorf("stat %q: %v, %v", name, fi, err)
		}
		if err := fsys.Remove(name); err == nil {
			t.Errorf("remove %q succeeded", name)
		}
		if err := fsys.RemoveAll(name); err == nil {
			t.Errorf("removeall %q succeeded", name)
		}
		if err := fsys.Rename(name, "/x"); err == nil {
			t.Errorf("rename %q succeeded", name)
		}
	}
	if err := fsys.MkdirAll("/x/y", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Rename("/file.txt", "/x/y/moved.txt"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.RemoveAll("/x"); err != nil {
		t.Fatal(err)
	}
	if _, err := fsys.Stat("/x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat after RemoveAll: %v", err)
	}
	if fi, isLstat, err := fsys.LstatIfPossible("/in"); err != nil || !isLstat || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("lstat of a link: %v %v %v", fi, isLstat, err)
	}
	if _, err := New(filepath.Join(root, "file.txt"), Options{}); err == nil || strings.Contains(err.Error(), "openat") {
		t.Errorf("a file as the root: %v", err)
	}
	if _, err := New(filepath.Join(root, "missing"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing root: %v", err)
	}
}

// TestErrorsNameVirtualPaths: errors of open files (a negative seek, as
// after REST -5) name the FTP path, never the host path.
func TestErrorsNameVirtualPaths(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "done0.bin"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	fsys, err := New(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	f, err := fsys.Open("/done0.bin")
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != "/done0.bin" {
		t.Errorf("Name() = %q", f.Name())
	}
	_, err = f.Seek(-5, io.SeekStart)
	if err == nil || err.Error() != "seek /done0.bin: invalid argument" {
		t.Errorf("seek -5: %v", err)
	}
	_, err = f.Write([]byte("x"))
	if err == nil || strings.Contains(err.Error(), root) {
		t.Errorf("write to a read-only handle: %v", err)
	}
	_, err = f.Readdir(-1)
	if err == nil || strings.Contains(err.Error(), root) {
		t.Errorf("readdir of a file: %v", err)
	}
	f.Close()
	if err := f.Close(); err == nil || strings.Contains(err.Error(), root) || !errors.Is(err, os.ErrClosed) {
		t.Errorf("second close: %v", err)
	}
	for _, err := range []error{
		fsys.Mkdir("/done0.bin", 0o755),
		fsys.Remove("/missing"),
		fsys.Rename("/missing", "/x"),
		fsys.Chmod("/missing", 0o644),
		fsys.Mkdir("/a/b/c", 0o755),
	} {
		if err == nil || strings.Contains(err.Error(), root) {
			t.Errorf("error shows the host path: %v", err)
		}
	}
	if _, err := fsys.Stat("/missing"); err == nil || err.Error() != "stat /missing: no such file or directory" {
		t.Errorf("stat: %v", err)
	}
}

// TestNamesWithLineBreaks: no file, directory or rename target gets CR,
// LF or NUL in its name.
func TestNamesWithLineBreaks(t *testing.T) {
	fsys, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	fschecktest.Names(t, fsys)
}

// TestMaxFileSize: with a limit, writes, truncates and writable offsets
// past it fail with an error ftpserverlib answers with 552.
func TestMaxFileSize(t *testing.T) {
	fsys, err := New(t.TempDir(), Options{MaxFileSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	fschecktest.MaxFileSize(t, fsys, 1000)
}
