package memfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/afero"
	"github.com/spf13/afero/mem"
)

// constructors are the filesystems the shared behaviour suite runs against.
// The first is the reference; memfs is also run with tiny chunks so that
// every test crosses many chunk boundaries.
var constructors = []fsCtor{
	{"memmap", afero.NewMemMapFs},
	{"memfs", func() afero.Fs { return New() }},
	{"memfs-chunk64", func() afero.Fs { return NewWithOptions(Options{ChunkSize: 64}) }},
}

// kind classifies an error the way callers observe it.
func kind(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, iofs.ErrNotExist):
		return "ENOENT"
	case errors.Is(err, os.ErrClosed), errors.Is(err, afero.ErrFileClosed), errors.Is(err, mem.ErrFileClosed):
		return "closed"
	case errors.Is(err, syscall.ENOTEMPTY): // also matches fs.ErrExist, as with os
		return "ENOTEMPTY"
	case errors.Is(err, iofs.ErrExist):
		return "EEXIST"
	case errors.Is(err, syscall.ENOTDIR):
		return "ENOTDIR"
	case errors.Is(err, syscall.EISDIR):
		return "EISDIR"
	case errors.Is(err, syscall.EINVAL):
		return "EINVAL"
	case errors.Is(err, syscall.EBADF):
		return "EBADF"
	case errors.Is(err, syscall.EBUSY):
		return "EBUSY"
	case errors.Is(err, ErrQuotaExceeded):
		return "quota"
	default:
		return "error"
	}
}

// rec records observable results of a test scenario.
type rec struct {
	t     *testing.T
	fs    afero.Fs
	lines []string
}

func (r *rec) log(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *rec) e(label string, err error) { r.log("%s: %s", label, kind(err)) }

// must fails the test on error; used for setup steps.
func (r *rec) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *rec) open(name string, flag int, perm os.FileMode) afero.File {
	r.t.Helper()
	f, err := r.fs.OpenFile(name, flag, perm)
	r.e("open "+name, err)
	return f
}

func (r *rec) write(name, data string) {
	r.t.Helper()
	r.must(afero.WriteFile(r.fs, name, []byte(data), 0o644))
}

func (r *rec) content(name string) {
	b, err := afero.ReadFile(r.fs, name)
	r.log("content %s = %q (%s)", name, b, kind(err))
}

func (r *rec) stat(name string, withMode bool) {
	fi, err := r.fs.Stat(name)
	if err != nil {
		r.e("stat "+name, err)
		return
	}
	s := fmt.Sprintf("stat %s: name=%s dir=%v", name, fi.Name(), fi.IsDir())
	if !fi.IsDir() {
		s += fmt.Sprintf(" size=%d", fi.Size())
	}
	if withMode {
		s += " mode=" + fi.Mode().String()
	}
	r.log("%s", s)
}

func (r *rec) readdir(name string, n int) {
	f, err := r.fs.Open(name)
	if err != nil {
		r.e("readdir open "+name, err)
		return
	}
	defer f.Close()
	for range 10 {
		infos, err := f.Readdir(n)
		var parts []string
		for _, fi := range infos {
			if fi.IsDir() {
				parts = append(parts, fi.Name()+"/")
			} else {
				parts = append(parts, fmt.Sprintf("%s:%d", fi.Name(), fi.Size()))
			}
		}
		r.log("readdir(%d) %s = [%s] %s", n, name, strings.Join(parts, " "), kind(err))
		if err != nil || n <= 0 {
			return
		}
	}
}

func (r *rec) read(f afero.File, n int) {
	buf := make([]byte, n)
	k, err := f.Read(buf)
	r.log("read(%d) = %q %s", n, buf[:k], kind(err))
}

func (r *rec) seek(f afero.File, off int64, whence int) {
	pos, err := f.Seek(off, whence)
	r.log("seek(%d,%d) = %d %s", off, whence, pos, kind(err))
}

type scenario struct {
	name string
	run  func(r *rec)
	// want, when set, marks a deliberate divergence from MemMapFs: memfs
	// must produce exactly want, MemMapFs's transcript is only logged.
	want []string
	// refCrashes marks scenarios that crash MemMapFs (fatal error, not a
	// recoverable panic), which is then not run.
	refCrashes bool
}

var sharedScenarios = []scenario{
	{name: "create-write-read", run: func(r *rec) {
		f, err := r.fs.Create("/f.txt")
		r.e("create", err)
		n, err := f.WriteString("hello")
		r.log("write %d %s", n, kind(err))
		r.e("close", f.Close())
		r.stat("/f.txt", false)
		r.content("/f.txt")
	}},
	{name: "openfile-create-perm", run: func(r *rec) {
		f := r.open("/p", os.O_RDWR|os.O_CREATE, 0o640)
		r.must(f.Close())
		r.stat("/p", true)
		r.must(r.fs.Chmod("/p", 0o600))
		r.stat("/p", true)
	}},
	{name: "mkdir-mode-chmod", run: func(r *rec) {
		r.e("mkdir", r.fs.Mkdir("/d", 0o750))
		r.stat("/d", true)
		r.e("chmod", r.fs.Chmod("/d", 0o700))
		r.stat("/d", true)
		for _, p := range []string{"/", "", ".", ".."} {
			fi, err := r.fs.Stat(p)
			r.log("stat %q dir=%v %s", p, err == nil && fi.IsDir(), kind(err))
		}
	}},
	{name: "missing", run: func(r *rec) {
		r.stat("/nope", false)
		_, err := r.fs.Open("/nope")
		r.e("open", err)
		_, err = r.fs.OpenFile("/nope", os.O_RDWR, 0)
		r.e("openfile", err)
		r.e("remove", r.fs.Remove("/nope"))
		r.e("removeall", r.fs.RemoveAll("/nope"))
		r.e("rename", r.fs.Rename("/nope", "/x"))
		r.e("chmod", r.fs.Chmod("/nope", 0o644))
		r.e("chtimes", r.fs.Chtimes("/nope", time.Now(), time.Now()))
		r.e("chown", r.fs.Chown("/nope", 1, 1))
	}},
	{name: "mkdir-exists", run: func(r *rec) {
		r.e("mkdir", r.fs.Mkdir("/d", 0o755))
		r.e("mkdir again", r.fs.Mkdir("/d", 0o755))
		r.write("/f", "x")
		r.e("mkdir over file", r.fs.Mkdir("/f", 0o755))
		r.e("mkdirall existing", r.fs.MkdirAll("/d", 0o755))
	}},
	{name: "mkdirall", run: func(r *rec) {
		r.e("mkdirall", r.fs.MkdirAll("/a/b/c", 0o755))
		r.stat("/a", true)
		r.stat("/a/b", true)
		r.stat("/a/b/c", true)
		r.e("mkdirall again", r.fs.MkdirAll("/a/b/c/", 0o755))
		r.readdir("/a", -1)
	}},
	{name: "excl", run: func(r *rec) {
		f := r.open("/x", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		r.must(f.Close())
		_, err := r.fs.OpenFile("/x", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		r.e("excl existing", err)
	}},
	{name: "trunc", run: func(r *rec) {
		r.write("/t", "hello world")
		f := r.open("/t", os.O_WRONLY|os.O_TRUNC, 0)
		r.stat("/t", false)
		_, err := f.WriteString("bye")
		r.e("write", err)
		r.must(f.Close())
		r.content("/t")
		f = r.open("/t", os.O_RDONLY|os.O_TRUNC, 0)
		r.must(f.Close())
		r.content("/t")
	}},
	{name: "append", run: func(r *rec) {
		r.write("/a", "abc")
		f := r.open("/a", os.O_WRONLY|os.O_APPEND, 0)
		_, err := f.WriteString("def")
		r.e("write", err)
		_, err = f.WriteString("gh")
		r.e("write", err)
		r.must(f.Close())
		r.content("/a")
		f = r.open("/new", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		_, err = f.WriteString("fresh")
		r.e("write", err)
		r.must(f.Close())
		r.content("/new")
	}},
	{name: "rdwr-seek-overwrite", run: func(r *rec) {
		f := r.open("/s", os.O_RDWR|os.O_CREATE, 0o644)
		_, err := f.WriteString("0123456789")
		r.e("write", err)
		r.seek(f, 2, io.SeekStart)
		_, err = f.WriteString("xx")
		r.e("write", err)
		r.seek(f, 0, io.SeekCurrent)
		r.seek(f, -3, io.SeekEnd)
		r.read(f, 10)
		r.read(f, 10)
		r.seek(f, 0, io.SeekStart)
		r.read(f, 4)
		r.read(f, 100)
		r.read(f, 1)
		r.must(f.Close())
	}},
	{name: "sparse-seek-write", run: func(r *rec) {
		f := r.open("/sp", os.O_RDWR|os.O_CREATE, 0o644)
		r.seek(f, 150, io.SeekStart)
		_, err := f.WriteString("z")
		r.e("write", err)
		r.stat("/sp", false)
		r.seek(f, 0, io.SeekStart)
		buf, err := io.ReadAll(f)
		r.log("readall len=%d zeros=%v last=%q %s", len(buf), bytes.Count(buf, []byte{0}), buf[len(buf)-1:], kind(err))
		r.must(f.Close())
	}},
	{name: "truncate", run: func(r *rec) {
		f := r.open("/t", os.O_RDWR|os.O_CREATE, 0o644)
		_, err := f.WriteString(strings.Repeat("abcdefghij", 20))
		r.e("write", err)
		r.e("truncate 70", f.Truncate(70))
		r.stat("/t", false)
		r.e("truncate 130", f.Truncate(130))
		r.stat("/t", false)
		r.seek(f, 0, io.SeekCurrent)
		r.seek(f, 60, io.SeekStart)
		r.read(f, 20)
		r.e("truncate 0", f.Truncate(0))
		r.e("truncate 5", f.Truncate(5))
		r.must(f.Close())
		r.content("/t")
	}},
	{name: "readat-full", run: func(r *rec) {
		r.write("/r", "0123456789")
		f := r.open("/r", os.O_RDONLY, 0)
		buf := make([]byte, 4)
		n, err := f.ReadAt(buf, 3)
		r.log("readat = %q %d %s", buf[:n], n, kind(err))
		r.read(f, 3)
		r.must(f.Close())
	}},
	{name: "writeat-content", run: func(r *rec) {
		r.write("/w", "hello")
		f := r.open("/w", os.O_RDWR, 0)
		n, err := f.WriteAt([]byte("J"), 0)
		r.log("writeat %d %s", n, kind(err))
		n, err = f.WriteAt([]byte("!!"), 7)
		r.log("writeat %d %s", n, kind(err))
		r.must(f.Close())
		r.content("/w")
	}},
	{name: "readdir-sorted", run: func(r *rec) {
		r.must(r.fs.Mkdir("/d", 0o755))
		for _, n := range []string{"c", "a", "e", "b"} {
			r.write("/d/"+n, strings.Repeat("x", len(n)+int(n[0]-'a')))
		}
		r.must(r.fs.Mkdir("/d/dd", 0o755))
		r.readdir("/d", -1)
		r.readdir("/d", 0)
		r.readdir("/d", 2)
		r.readdir("/d", 10)
		r.must(r.fs.Mkdir("/empty", 0o755))
		r.readdir("/empty", -1)
		r.readdir("/empty", 1)
		f, err := r.fs.Open("/d")
		r.must(err)
		names, err := f.Readdirnames(2)
		r.log("names(2) %v %s", names, kind(err))
		names, err = f.Readdirnames(-1)
		r.log("names(-1) %v %s", names, kind(err))
		names, err = f.Readdirnames(-1)
		r.log("names(-1) %v %s", names, kind(err))
		names, err = f.Readdirnames(1)
		r.log("names(1) %v %s", names, kind(err))
		r.must(f.Close())
	}},
	{name: "remove", run: func(r *rec) {
		r.write("/f", "x")
		r.e("remove", r.fs.Remove("/f"))
		r.stat("/f", false)
		r.e("remove again", r.fs.Remove("/f"))
		r.must(r.fs.Mkdir("/d", 0o755))
		r.e("remove empty dir", r.fs.Remove("/d"))
		r.stat("/d", false)
		r.readdir("/", -1)
	}},
	{name: "removeall", run: func(r *rec) {
		r.must(r.fs.MkdirAll("/a/b/c", 0o755))
		r.write("/a/f", "1")
		r.write("/a/b/g", "22")
		r.write("/a/b/c/h", "333")
		r.write("/keep", "k")
		r.e("removeall", r.fs.RemoveAll("/a"))
		for _, p := range []string{"/a", "/a/f", "/a/b", "/a/b/g", "/a/b/c/h"} {
			r.stat(p, false)
		}
		r.readdir("/", -1)
		r.e("removeall again", r.fs.RemoveAll("/a"))
		r.e("create after removeall", r.fs.MkdirAll("/a/b", 0o755))
		r.readdir("/a", -1)
	}},
	{name: "rename-file", run: func(r *rec) {
		r.write("/old", "data")
		r.e("rename", r.fs.Rename("/old", "/new"))
		r.stat("/old", false)
		r.content("/new")
		r.e("rename same", r.fs.Rename("/new", "/new"))
		r.content("/new")
		r.write("/other", "other")
		r.e("rename replace", r.fs.Rename("/other", "/new"))
		r.content("/new")
		r.stat("/other", false)
		r.readdir("/", -1)
	}},
	{name: "rename-dir-with-contents", run: func(r *rec) {
		r.must(r.fs.MkdirAll("/d/sub/deep", 0o755))
		r.write("/d/x", "x")
		r.write("/d/sub/y", "yy")
		r.write("/d/sub/deep/z", "zzz")
		r.must(r.fs.Mkdir("/dst", 0o755))
		r.e("rename", r.fs.Rename("/d", "/dst/e"))
		r.stat("/d", false)
		r.stat("/d/sub/y", false)
		r.content("/dst/e/x")
		r.content("/dst/e/sub/y")
		r.content("/dst/e/sub/deep/z")
		r.readdir("/", -1)
		r.readdir("/dst/e", -1)
		r.readdir("/dst/e/sub", -1)
		r.write("/dst/e/sub/new", "n")
		r.readdir("/dst/e/sub", -1)
	}},
	{name: "ops-after-close", run: func(r *rec) {
		f := r.open("/c", os.O_RDWR|os.O_CREATE, 0o644)
		r.must(f.Close())
		_, err := f.Read(make([]byte, 1))
		r.e("read", err)
		_, err = f.Write([]byte("x"))
		r.e("write", err)
		_, err = f.Seek(0, io.SeekStart)
		r.e("seek", err)
		_, err = f.ReadAt(make([]byte, 1), 0)
		r.e("readat", err)
		r.e("truncate", f.Truncate(1))
	}},
	{name: "path-normalisation", run: func(r *rec) {
		r.must(r.fs.Mkdir("/dir", 0o755))
		r.write("/dir/../f", "1")
		r.stat("/f", false)
		r.write("/dir/./g", "2")
		r.stat("/dir/g", false)
		r.stat("/dir//g", false)
		r.stat("/dir/", false)
		r.stat("/dir/sub/../g", false)
		r.readdir("/dir/.", -1)
	}},
	{name: "chtimes", run: func(r *rec) {
		r.write("/f", "x")
		when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		r.e("chtimes", r.fs.Chtimes("/f", when, when))
		fi, err := r.fs.Stat("/f")
		r.must(err)
		r.log("mtime equal %v", fi.ModTime().Equal(when))
		r.e("chown", r.fs.Chown("/f", 1000, 1000))
	}},
	{name: "create-truncates", run: func(r *rec) {
		r.write("/f", "hello")
		f, err := r.fs.Create("/f")
		r.e("create", err)
		r.stat("/f", false)
		_, err = f.WriteString("hi")
		r.e("write", err)
		r.must(f.Close())
		r.content("/f")
	}},
	{name: "copy-paths", run: func(r *rec) {
		data := bytes.Repeat([]byte("0123456789abcdef"), 4096+3)
		f := r.open("/big", os.O_RDWR|os.O_CREATE, 0o644)
		n, err := io.Copy(f, readerOnly{iotestHalf(bytes.NewReader(data))})
		r.log("copy in %d %s", n, kind(err))
		n, err = io.Copy(f, bytes.NewReader(data[:1000]))
		r.log("copy in %d %s", n, kind(err))
		r.seek(f, 5, io.SeekStart)
		var out bytes.Buffer
		n, err = io.Copy(writerOnly{&out}, f)
		r.log("copy out %d %s equal=%v", n, kind(err), bytes.Equal(out.Bytes(), append(data[5:], data[:1000]...)))
		r.read(f, 4)
		r.must(f.Close())
		r.stat("/big", false)
	}},
	{name: "chunked-io", run: func(r *rec) {
		// Odd-sized writes and reads over a file much larger than 64 B
		// chunks; exercises chunk boundaries and growth.
		f := r.open("/c", os.O_RDWR|os.O_CREATE, 0o644)
		var want []byte
		for i := range 300 {
			b := bytes.Repeat([]byte{byte(i)}, i%97+1)
			want = append(want, b...)
			if _, err := f.Write(b); err != nil {
				r.e("write", err)
			}
		}
		r.seek(f, 1000, io.SeekStart)
		if _, err := f.Write([]byte("OVERWRITE-ACROSS-CHUNKS-OVERWRITE-ACROSS-CHUNKS-OVERWRITE-ACROSS-CHUNKS")); err != nil {
			r.e("write", err)
		}
		copy(want[1000:], "OVERWRITE-ACROSS-CHUNKS-OVERWRITE-ACROSS-CHUNKS-OVERWRITE-ACROSS-CHUNKS")
		r.seek(f, 0, io.SeekStart)
		var got []byte
		buf := make([]byte, 61)
		for {
			n, err := f.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				r.e("read end", err)
				break
			}
		}
		r.log("len=%d equal=%v", len(got), bytes.Equal(got, want))
		p := make([]byte, 333)
		n, err := f.ReadAt(p, 4000)
		r.log("readat %d %s equal=%v", n, kind(err), bytes.Equal(p, want[4000:4333]))
		r.e("truncate", f.Truncate(2500))
		r.e("truncate", f.Truncate(2600))
		r.must(f.Close())
		b, _ := afero.ReadFile(r.fs, "/c")
		r.log("after truncate equal=%v", bytes.Equal(b, append(slices.Clone(want[:2500]), make([]byte, 100)...)))
	}},
	{name: "handle-survives-remove-and-rename", run: func(r *rec) {
		r.write("/f", "content")
		f := r.open("/f", os.O_RDWR, 0)
		r.e("rename", r.fs.Rename("/f", "/g"))
		_, err := f.WriteString("C")
		r.e("write", err)
		r.content("/g")
		r.e("remove", r.fs.Remove("/g"))
		r.seek(f, 0, io.SeekStart)
		r.read(f, 100)
		r.must(f.Close())
		r.stat("/g", false)
	}},
}

// divergentScenarios document where memfs deliberately follows POSIX (as
// os on Linux does) instead of MemMapFs.
var divergentScenarios = []scenario{
	{name: "missing-parent", run: func(r *rec) {
		_, err := r.fs.Create("/no/f")
		r.e("create", err)
		r.e("mkdir", r.fs.Mkdir("/no/d", 0o755))
		r.write("/file", "x")
		_, err = r.fs.Create("/file/f")
		r.e("create under file", err)
		r.e("mkdir under file", r.fs.Mkdir("/file/d", 0o755))
		r.e("mkdirall over file", r.fs.MkdirAll("/file/d", 0o755))
		r.stat("/file/x", false)
	}, want: []string{
		"create: ENOENT", "mkdir: ENOENT", "create under file: ENOTDIR",
		"mkdir under file: ENOTDIR", "mkdirall over file: ENOTDIR", "stat /file/x: ENOTDIR",
	}},
	{name: "remove-non-empty-dir", run: func(r *rec) {
		r.must(r.fs.Mkdir("/d", 0o755))
		r.write("/d/f", "x")
		r.e("remove", r.fs.Remove("/d"))
		r.content("/d/f")
		r.e("remove root", r.fs.Remove("/"))
	}, want: []string{"remove: ENOTEMPTY", `content /d/f = "x" (ok)`, "remove root: EBUSY"}},
	{name: "rename-posix", run: func(r *rec) {
		r.must(r.fs.MkdirAll("/d/sub", 0o755))
		r.must(r.fs.MkdirAll("/full/x", 0o755))
		r.must(r.fs.Mkdir("/empty", 0o755))
		r.write("/f", "x")
		r.e("dir into itself", r.fs.Rename("/d", "/d/sub/d"))
		r.e("file onto dir", r.fs.Rename("/f", "/d"))
		r.e("dir onto file", r.fs.Rename("/d", "/f"))
		r.e("dir onto non-empty dir", r.fs.Rename("/d", "/full"))
		r.e("missing parent", r.fs.Rename("/f", "/nope/f"))
		r.e("dir onto empty dir", r.fs.Rename("/d", "/empty"))
		r.stat("/empty/sub", false)
	}, refCrashes: true, want: []string{
		"dir into itself: EINVAL", "file onto dir: EISDIR", "dir onto file: ENOTDIR",
		"dir onto non-empty dir: ENOTEMPTY", "missing parent: ENOENT", "dir onto empty dir: ok",
		"stat /empty/sub: name=sub dir=true",
	}},
	{name: "access-modes", run: func(r *rec) {
		r.write("/f", "abc")
		f := r.open("/f", os.O_RDONLY, 0)
		_, err := f.Write([]byte("x"))
		r.e("write on rdonly", err)
		r.e("truncate on rdonly", f.Truncate(0))
		r.must(f.Close())
		f = r.open("/f", os.O_WRONLY, 0)
		_, err = f.Read(make([]byte, 1))
		r.e("read on wronly", err)
		r.must(f.Close())
		r.must(r.fs.Mkdir("/d", 0o755))
		_, err = r.fs.OpenFile("/d", os.O_WRONLY, 0)
		r.e("open dir for writing", err)
		d := r.open("/d", os.O_RDONLY, 0)
		_, err = d.Read(make([]byte, 1))
		r.e("read dir", err)
		_, err = f.Readdir(-1)
		r.e("readdir closed file", err)
		g := r.open("/f", os.O_RDONLY, 0)
		_, err = g.Readdir(-1)
		r.e("readdir file", err)
		r.must(g.Close())
		r.must(d.Close())
	}, want: []string{
		"open /f: ok", "write on rdonly: EBADF", "truncate on rdonly: EBADF", "open /f: ok",
		"read on wronly: EBADF", "open dir for writing: EISDIR", "open /d: ok", "read dir: EISDIR",
		"readdir closed file: closed", "open /f: ok", "readdir file: ENOTDIR",
	}},
	{name: "offsets", run: func(r *rec) {
		r.write("/f", "0123456789")
		f := r.open("/f", os.O_RDWR, 0)
		r.seek(f, -1, io.SeekStart)
		r.seek(f, 0, 7)
		r.seek(f, 2, io.SeekStart)
		_, err := f.WriteAt([]byte("ab"), 8)
		r.e("writeat", err)
		r.read(f, 2)
		buf := make([]byte, 5)
		n, err := f.ReadAt(buf, 7)
		r.log("readat past end %q %s", buf[:n], kind(err))
		n, err = f.ReadAt(buf, 20)
		r.log("readat beyond %d %s", n, kind(err))
		r.seek(f, 20, io.SeekStart)
		r.read(f, 2)
		r.must(f.Close())
		a := r.open("/f", os.O_RDWR|os.O_APPEND, 0)
		r.seek(a, 0, io.SeekStart)
		_, err = a.WriteString("END")
		r.e("append after seek", err)
		_, err = a.WriteAt([]byte("x"), 0)
		r.log("writeat on append: %v", err != nil)
		r.must(a.Close())
		r.content("/f")
	}, want: []string{
		"open /f: ok", "seek(-1,0) = 0 EINVAL", "seek(0,7) = 0 EINVAL", "seek(2,0) = 2 ok",
		"writeat: ok", `read(2) = "23" ok`, `readat past end "7ab" EOF`, "readat beyond 0 EOF",
		"seek(20,0) = 20 ok", `read(2) = "" EOF`, "open /f: ok", "seek(0,0) = 0 ok",
		"append after seek: ok", "writeat on append: true", `content /f = "01234567abEND" (ok)`,
	}},
	{name: "close-twice-and-stat-after-close", run: func(r *rec) {
		f := r.open("/f", os.O_RDWR|os.O_CREATE, 0o644)
		r.e("close", f.Close())
		r.e("close again", f.Close())
		_, err := f.Stat()
		r.e("stat", err)
		r.e("sync", f.Sync())
	}, want: []string{"open /f: ok", "close: ok", "close again: closed", "stat: closed", "sync: closed"}},
	{name: "metadata", run: func(r *rec) {
		f, err := r.fs.Create("/c")
		r.must(err)
		r.must(f.Close())
		r.stat("/c", true)
		r.must(r.fs.Mkdir("/d", 0o755))
		fi, err := r.fs.Stat("/d")
		r.must(err)
		r.log("dir size %d", fi.Size())
		fi, _ = r.fs.Stat("/")
		r.log("root name %q", fi.Name())
	}, want: []string{"stat /c: name=c dir=false size=0 mode=-rw-r--r--", "dir size 0", `root name "/"`}},
	{name: "relative-paths", run: func(r *rec) {
		r.write("a", "x")
		r.stat("/a", false)
		r.must(r.fs.Mkdir("d", 0o755))
		r.write("/d/f", "y")
		r.content("d/f")
		r.content(`d/../d/f`)
	}, want: []string{"stat /a: name=a dir=false size=1", `content d/f = "y" (ok)`, `content d/../d/f = "y" (ok)`}},
	{name: "create-truncates-in-place", run: func(r *rec) {
		r.write("/f", "hello")
		old := r.open("/f", os.O_RDONLY, 0)
		f, err := r.fs.Create("/f")
		r.must(err)
		r.must(f.Close())
		r.read(old, 10)
		r.must(old.Close())
	}, want: []string{"open /f: ok", `read(10) = "" EOF`}},
}

// iotestHalf returns a reader that returns at most half the requested bytes
// per Read (like testing/iotest.HalfReader, but never 0 bytes).
func iotestHalf(r io.Reader) io.Reader { return &halfReader{r} }

type halfReader struct{ r io.Reader }

func (h *halfReader) Read(p []byte) (int, error) {
	return h.r.Read(p[:max(1, (len(p)+1)/2)])
}

func runScenario(t *testing.T, c fsCtor, sc scenario) []string {
	t.Helper()
	r := &rec{t: t, fs: c.new()}
	sc.run(r)
	return r.lines
}

// TestSharedBehaviour runs every scenario against MemMapFs and memfs and
// requires identical transcripts.
func TestSharedBehaviour(t *testing.T) {
	for _, sc := range sharedScenarios {
		t.Run(sc.name, func(t *testing.T) {
			ref := runScenario(t, constructors[0], sc)
			if len(ref) == 0 {
				t.Fatal("empty transcript")
			}
			for _, c := range constructors[1:] {
				got := runScenario(t, c, sc)
				if d := diffLines(ref, got); d != "" {
					t.Errorf("%s differs from %s:\n%s", c.name, constructors[0].name, d)
				}
			}
		})
	}
}

// TestDivergentBehaviour checks the documented POSIX behaviour of memfs where
// MemMapFs differs; MemMapFs's transcript is logged for comparison.
func TestDivergentBehaviour(t *testing.T) {
	for _, sc := range divergentScenarios {
		t.Run(sc.name, func(t *testing.T) {
			for _, c := range constructors[1:] {
				got := runScenario(t, c, sc)
				if d := diffLines(sc.want, got); d != "" {
					t.Errorf("%s:\n%s", c.name, d)
				}
			}
			if sc.refCrashes {
				t.Log("not run on MemMapFs: it crashes the process")
				return
			}
			ref := func() (lines []string) {
				defer func() {
					if p := recover(); p != nil {
						lines = []string{fmt.Sprint("panic: ", p)}
					}
				}()
				return runScenario(t, constructors[0], sc)
			}()
			if slices.Equal(ref, sc.want) {
				t.Errorf("MemMapFs now matches; move %q to sharedScenarios", sc.name)
			}
			t.Logf("MemMapFs: %q", ref)
		})
	}
}

func diffLines(want, got []string) string {
	var b strings.Builder
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			fmt.Fprintf(&b, "  line %d:\n    want %q\n    got  %q\n", i, w, g)
		}
	}
	return b.String()
}
