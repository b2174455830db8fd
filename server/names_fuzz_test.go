package server_test

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tc "github.com/mockftpd/mockftpd/internal/testclient"
	"github.com/mockftpd/mockftpd/server"
)

// FuzzNamesInReplies gives a file and a directory of a -root folder an
// arbitrary name, then lists and names them every way a client can:
// STAT (a multi-line reply), LIST, NLST and MLSD (data connections), and,
// where the name can be sent on a command line, CWD, PWD and MKD (the 257
// reply quotes the path). Whatever the name, each reply stays one
// well-formed reply, every listing has one line per entry, the 257 reply's
// quoted path reads back as the directory's path, and the session stays in
// step (a NOOP afterwards gets its 200).
func FuzzNamesInReplies(f *testing.F) {
	for _, seed := range []string{
		"plain.txt", "with space", `quo"te`, `""`, "a\r\n212 forged", "\n", "\r", "a\rb", "%s", " leading",
		"trailing ", "ünïcödé", "\xff\xfe", "x;y=z", "-rw-r--r-- 1 a b 0 Jan 1 2024 x", "226 Transfer complete",
		"\x1b[31mred", strings.Repeat("x", 255), "end\r\n", "211-\r\n211 End",
	} {
		f.Add(seed)
	}
	root := f.TempDir()
	srv, err := server.Start(server.Config{Root: root, DataTimeout: 2 * time.Second, IdleTimeout: 10 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = srv.Close() })
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, name string) {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") || len(name) > 255 {
			return // no host file can have it
		}
		dir := fmt.Sprintf("/d%d", n.Add(1))
		host := filepath.Join(root, dir)
		if err := os.MkdirAll(filepath.Join(host, "sub", name), 0o755); err != nil {
			return // the host filesystem refuses the name
		}
		if err := os.WriteFile(filepath.Join(host, name), []byte("x"), 0o644); err != nil {
			return
		}
		c := rawDial(t, srv.Addr())
		c.Login("u", "p")
		c.Cmd(200, "TYPE I")

		// STAT: one reply, a line for the file and one for "sub"
		if lines := strings.Split(c.Cmd(212, "STAT %s", dir), "\n"); len(lines) != 4 {
			t.Fatalf("STAT %s: %d lines: %q", dir, len(lines), lines)
		}
		c.Cmd(200, "NOOP")

		// listings: one line per entry, whatever the name
		for _, verb := range []string{"NLST", "LIST", "MLSD"} {
			lines := listing(t, c, verb+" "+dir)
			if len(lines) != 2 {
				t.Fatalf("%s %s: %d lines: %q", verb, dir, len(lines), lines)
			}
		}
		c.Cmd(200, "NOOP")

		if strings.ContainsAny(name, "\r\n") {
			return // no command line can carry it
		}
		// the 257 replies quote the path, quotes doubled (RFC 959); on the
		// command line a 0xff byte goes as Telnet's IAC IAC
		want := dir + "/sub/" + name
		c.Cmd(250, "CWD %s", strings.ReplaceAll(want, "\xff", "\xff\xff"))
		if got := quotedPath(t, c.Cmd(257, "PWD")); got != want {
			t.Fatalf("PWD: %q, want %q", got, want)
		}
		if got := quotedPath(t, c.Cmd(257, "MKD %s/made", strings.ReplaceAll(want, "\xff", "\xff\xff"))); got != want+"/made" {
			t.Fatalf("MKD: %q, want %q", got, want+"/made")
		}
		c.Cmd(200, "NOOP")
	})
}

// listing runs a listing command over a passive data connection and
// returns its lines, each of which must end with CRLF.
func listing(t *testing.T, c *tc.Raw, line string) []string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", pasvAddr(t, c.Cmd(227, "PASV")), clientTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c.Send("%s", line)
	c.Expect(150)
	_ = conn.SetReadDeadline(time.Now().Add(clientTimeout))
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	c.Expect(226)
	text := string(b)
	if !strings.HasSuffix(text, "\r\n") {
		t.Fatalf("%s: %q does not end with CRLF", line, text)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	for _, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("%s: a line holds a bare CR or LF: %q", line, l)
		}
	}
	return lines
}

// quotedPath reads the quoted path at the start of a 257 reply's text.
func quotedPath(t *testing.T, text string) string {
	t.Helper()
	if !strings.HasPrefix(text, `"`) {
		t.Fatalf("257 %q does not start with a quoted path", text)
	}
	var b strings.Builder
	for i := 1; i < len(text); i++ {
		if text[i] != '"' {
			b.WriteByte(text[i])
			continue
		}
		if i+1 < len(text) && text[i+1] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		return b.String()
	}
	t.Fatalf("257 %q: the quoted path does not end", text)
	return ""
}
