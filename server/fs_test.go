package server_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/scenario"
	"github.com/mockftpd/mockftpd/server"
)

// heapAlloc is the live heap after a collection: what the process keeps.
func heapAlloc() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// heapFlat fails the test if the live heap grew by more than limit since
// before. Other parallel tests share the heap, so the margin is wide next
// to what a stored hole or generated file would take (gigabytes).
func heapFlat(t *testing.T, what string, before, limit int64) {
	t.Helper()
	grew := heapAlloc() - before
	t.Logf("%s: live heap %+d KiB", what, grew>>10)
	if grew > limit {
		t.Errorf("%s: the live heap grew by %d MiB", what, grew>>20)
	}
}

// TestRestHugeThenStor: REST far past the end then STOR of one byte used
// to kill the server (out of memory) or cost hundreds of MiB. Past the
// maximum file size it gets 552; below it, the hole costs nothing.
func TestRestHugeThenStor(t *testing.T) {
	srv := ftptest.New(t)
	c := login(t, srv.Addr(), "u", "p")
	for _, off := range []uint64{4611686018427387904, 17592186044416, server.DefaultMaxFileSize + 1} {
		wantCode(t, c.StorFrom("/h.bin", bytes.NewReader([]byte{1}), off), 552, "")
	}
	if err := c.NoOp(); err != nil {
		t.Fatalf("the server after REST huge + STOR: %v", err)
	}
	// Just past 4 GiB: how a client's 32-bit size handling is tested.
	before := heapAlloc()
	const size = 1<<32 + 10
	if err := c.StorFrom("/h.bin", strings.NewReader("0123456789"), size-10); err != nil {
		t.Fatal(err)
	}
	if got, err := c.FileSize("/h.bin"); err != nil || got != size {
		t.Fatalf("SIZE = %d, %v; want %d", got, err, size)
	}
	if got, err := retr(c, "/h.bin", size-12); err != nil || string(got) != "\x00\x000123456789" {
		t.Fatalf("the file's end: %q, %v", got, err)
	}
	heapFlat(t, "a 4 GiB hole", before, 16<<20)
}

// TestRestHugeThenStorWithoutLimit: with no maximum file size, REST 2^62
// and one byte is a file of 2^62+1 bytes that stores one chunk.
func TestRestHugeThenStorWithoutLimit(t *testing.T) {
	srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.MaxFileSize = -1 }))
	c := login(t, srv.Addr(), "u", "p")
	before := heapAlloc()
	const off = 4611686018427387904
	if err := c.StorFrom("/h.bin", bytes.NewReader([]byte{1}), off); err != nil {
		t.Fatal(err)
	}
	if got, err := c.FileSize("/h.bin"); err != nil || got != off+1 {
		t.Fatalf("SIZE = %d, %v", got, err)
	}
	heapFlat(t, "a 4 EiB hole", before, 16<<20)
}

// TestGeneratedTerabyte: a 1 TiB generated file is listed, sized and its
// end downloaded with REST, byte for byte the generator's, with the heap
// flat; writes into it behave as on any file.
func TestGeneratedTerabyte(t *testing.T) {
	before := heapAlloc()
	const size = 1 << 40
	srv := ftptest.New(t, ftptest.WithScenarioText("version: 1\nseed: 7\nfiles: [{path: /huge.bin, size: 1TiB}]\n"))
	c := login(t, srv.Addr(), "u", "p")
	if got, err := c.FileSize("/huge.bin"); err != nil || got != size {
		t.Fatalf("SIZE = %d, %v", got, err)
	}
	entries, err := c.List("/")
	if err != nil || len(entries) != 1 || entries[0].Name != "huge.bin" || entries[0].Size != size {
		t.Fatalf("LIST: %v, %v", entries, err)
	}
	const tail = 3<<20 + 5
	got, err := retr(c, "/huge.bin", size-tail)
	if err != nil || len(got) != tail {
		t.Fatalf("RETR of the tail: %d bytes, %v", len(got), err)
	}
	for i, b := range got {
		if want := scenario.GeneratedByte(7, size-tail+int64(i)); b != want {
			t.Fatalf("byte %d is %d, want %d", size-tail+int64(i), b, want)
		}
	}
	heapFlat(t, "a generated TiB", before, 32<<20)

	// REST + STOR inside it overwrites a few bytes; APPE would take it
	// past the maximum file size.
	if err := c.StorFrom("/huge.bin", strings.NewReader("abc"), 10); err != nil {
		t.Fatal(err)
	}
	got, err = retr(c, "/huge.bin", size-2)
	if err != nil || len(got) != 2 || got[1] != scenario.GeneratedByte(7, size-1) {
		t.Fatalf("the end after a write inside: %v, %v", got, err)
	}
	head, err := readRange(c, "/huge.bin", 9, 5)
	if err != nil || head[0] != scenario.GeneratedByte(7, 9) || string(head[1:4]) != "abc" || head[4] != scenario.GeneratedByte(7, 13) {
		t.Fatalf("bytes 9-13 after the write: %q, %v", head, err)
	}
	wantCode(t, c.Append("/huge.bin", strings.NewReader("x")), 552, "")
	// STOR replaces it with a stored file.
	if err := c.Stor("/huge.bin", strings.NewReader("small")); err != nil {
		t.Fatal(err)
	}
	if got, err := c.FileSize("/huge.bin"); err != nil || got != 5 {
		t.Fatalf("SIZE after STOR = %d, %v", got, err)
	}
}

// readRange reads n bytes of path from off, then drops the transfer (the
// server's reply to that is not checked).
func readRange(c *ftp.ServerConn, path string, off uint64, n int) ([]byte, error) {
	r, err := c.RetrFrom(path, off)
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	_ = r.Close()
	return b, err
}

// TestRootDanglingSymlink: with -root, STOR through a symbolic link that
// leads out (dangling or not) is refused, and nothing is made outside.
func TestRootDanglingSymlink(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "elsewhere")
	for _, d := range []string{root, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"dangling":     filepath.Join(outside, "newfile"),
		"rel-dangling": "../elsewhere/newfile2",
		"out":          outside,
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	srv := ftptest.New(t, ftptest.WithRoot(root))
	c := login(t, srv.Addr(), "u", "p")
	for _, p := range []string{"/dangling", "/rel-dangling", "/out/planted"} {
		err := c.Stor(p, strings.NewReader("planted"))
		if err == nil {
			t.Errorf("STOR %s succeeded", p)
		} else if strings.Contains(err.Error(), base) {
			t.Errorf("STOR %s: the reply shows a host path: %v", p, err)
		}
		if err := c.MakeDir(p + "/d"); err == nil {
			t.Errorf("MKD %s/d succeeded", p)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("%d files were made outside the root", len(entries))
	}
}

// TestRootRepliesShowNoHostPath: errors of open host files (a negative
// REST, then RETR) name the FTP path only.
func TestRootRepliesShowNoHostPath(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "done0.bin"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := ftptest.New(t, ftptest.WithRoot(root))
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(200, "TYPE I")
	c.Cmd(229, "EPSV")
	c.Cmd(350, "REST -5")
	c.Send("RETR /done0.bin")
	code, msg, _ := c.Read()
	if code < 500 || strings.Contains(msg, root) || !strings.Contains(msg, "/done0.bin") {
		t.Fatalf("RETR after REST -5: %d %q", code, msg)
	}
	c.Cmd(550, "SIZE /missing/x")
	if msg := c.Cmd(550, "CWD /missing"); strings.Contains(msg, root) {
		t.Fatalf("CWD: %q", msg)
	}
}

// TestRootGeneratedFiles: with -root generated files are written to disk,
// so one over the maximum file size is a start-up error, not terabytes
// written.
func TestRootGeneratedFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	sc, err := scenario.Parse("<test>", []byte("version: 1\nfiles: [{path: /huge.bin, size: 1TiB}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.Start(server.Config{Root: root, Scenario: sc})
	if err == nil || !strings.Contains(err.Error(), "/huge.bin") || !strings.Contains(err.Error(), "maximum file size") {
		t.Fatalf("start with a 1 TiB generated file on disk: %v", err)
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Fatalf("%d files written before the refusal", len(entries))
	}
	srv := ftptest.New(t, ftptest.WithRoot(root), ftptest.WithScenarioText("version: 1\nseed: 3\nfiles: [{path: /small.bin, size: 100KiB}]\n"))
	b, err := os.ReadFile(filepath.Join(root, "small.bin"))
	if err != nil || len(b) != 100<<10 {
		t.Fatalf("the generated file on disk: %d bytes, %v", len(b), err)
	}
	for i, c := range b {
		if c != scenario.GeneratedByte(3, int64(i)) {
			t.Fatalf("byte %d differs", i)
		}
	}
	c := login(t, srv.Addr(), "u", "p")
	wantCode(t, c.StorFrom("/small.bin", strings.NewReader("x"), server.DefaultMaxFileSize), 552, "")
}

// TestNamesWithLineBreaksRefused: no command makes a name with CR, LF or
// NUL in either filesystem.
func TestNamesWithLineBreaksRefused(t *testing.T) {
	t.Parallel()
	for _, root := range []string{"", t.TempDir()} {
		srv := ftptest.New(t, ftptest.WithConfig(func(cfg *server.Config) { cfg.Root = root }))
		c := rawDial(t, srv.Addr())
		c.Login("u", "p")
		c.Cmd(257, "MKD /ok")
		// A NUL on the command line is the engine's (it becomes a
		// space); a bare CR reaches the filesystem.
		for _, bad := range []string{"/a\rb"} {
			c.Send("MKD %s", bad)
			if code, msg, _ := c.Read(); code < 500 {
				t.Errorf("MKD %q: %d %q", bad, code, msg)
			} else {
				t.Logf("MKD %q: %d %q", bad, code, msg)
			}
			c.Cmd(350, "RNFR /ok")
			c.Send("RNTO %s", bad)
			if code, msg, _ := c.Read(); code < 500 {
				t.Errorf("RNTO %q: %d %q", bad, code, msg)
			}
		}
		c.Cmd(200, "TYPE I")
		dc, err := deadlineDial("tcp", pasvAddr(t, c.Cmd(227, "PASV")))
		if err != nil {
			t.Fatal(err)
		}
		c.Send("STOR /s\rt")
		if code, msg, _ := c.Read(); code != 553 {
			t.Errorf("STOR with a CR: %d %q", code, msg)
		}
		_ = dc.Close()
		if err := srv.WriteFile("/d/a\r\n212 forged", []byte("x")); err == nil {
			t.Error("a file name with CR LF was written")
		}
		if root != "" {
			if entries, _ := os.ReadDir(root); len(entries) != 2 { // ok and d
				t.Errorf("%d entries in the root", len(entries))
			}
		}
	}
}

// TestGeneratedReset: a reset (POST /api/reset, PUT /api/scenario?reset=true)
// seeds generated files again without storing them.
func TestGeneratedReset(t *testing.T) {
	sc, err := scenario.Parse("<test>", []byte("version: 1\nfiles: [{path: /a/huge.bin, size: 4TiB}, {path: /b.bin, size: 1TiB, seed: 9}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	before := heapAlloc()
	srv, err := server.Start(server.Config{Listen: "127.0.0.1:0", Scenario: sc})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for range 3 {
		if err := srv.Reset(); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := srv.Fs().Stat("/a/huge.bin"); err != nil || fi.Size() != 4<<40 {
		t.Fatalf("after reset: %v, %v", fi, err)
	}
	heapFlat(t, "5 TiB generated, reset three times", before, 16<<20)
}
