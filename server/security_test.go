package server_test

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/server"
)

// TestActiveModeRefusesBounces (issue 14.10): PORT and EPRT may not name a
// port below 1024 (RFC 2577) or one of mockftpd's own listening ports
// (control, admin, passive range, an open passive listener), unless
// AllowForeignDataAddress says so.
func TestActiveModeRefusesBounces(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t, ftptest.WithConfig(func(c *server.Config) {
		c.PassivePorts = server.PortRange{Start: 40100, End: 40109}
		c.AdminAddr = "127.0.0.1:40188"
	}))
	_, ctl, _ := net.SplitHostPort(srv.Addr())
	control, _ := strconv.Atoi(ctl)
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	port := func(p int) string { return "127,0,0,1," + strconv.Itoa(p>>8) + "," + strconv.Itoa(p&0xff) }
	for _, tc := range []struct{ line, why string }{
		{"PORT " + port(22), "port 22 is below 1024"},
		{"EPRT |1|127.0.0.1|21|", "port 21 is below 1024"},
		{"PORT " + port(control), "is one of the server's own"},
		{"EPRT |1|127.0.0.1|" + ctl + "|", "is one of the server's own"},
		{"PORT " + port(40188), "is one of the server's own"},
		{"PORT " + port(40105), "is one of the server's own"},
		{"PORT 10,1,2,3,200,1", "the address is not the client's"},
	} {
		if msg := c.Cmd(501, "%s", tc.line); !strings.Contains(msg, tc.why) {
			t.Errorf("%s: %q, want it to say %q", tc.line, msg, tc.why)
		}
	}
	c.Cmd(200, "PORT %s", port(40500))

	open := ftptest.New(t, ftptest.WithConfig(func(c *server.Config) { c.AllowForeignDataAddress = true }))
	oc := rawDial(t, open.Addr())
	oc.Login("u", "p")
	oc.Cmd(200, "PORT %s", port(22))
}

// TestNoLineBreakInReplies (issue 14.7): a name with CR or LF in it (from
// a -root directory, or a command line with a bare CR) never ends a reply
// early or forges one: each such byte is sent as '?'.
func TestNoLineBreakInReplies(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "d2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "d2", "a\r\n212 forged"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := withYAML(t, "version: 1\nrules:\n  - {when: {command: NOOP}, reply: {code: 200, text: \"one\\rtwo\"}}\n", ftptest.WithRoot(root))
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	msg := c.Cmd(212, "STAT /d2")
	if !strings.Contains(msg, "a??212 forged") || strings.Count(msg, "\n") != 2 {
		t.Fatalf("STAT /d2: %q", msg)
	}
	if _, err := c.Conn.Write([]byte("MKD /x\ry\r\n")); err != nil {
		t.Fatal(err)
	}
	if msg := c.Expect(550); !strings.Contains(msg, `/x?y`) { // no such name can be made
		t.Fatalf("MKD with a CR: %q", msg)
	}
	if msg := c.Cmd(200, "NOOP"); msg != "one?two" {
		t.Fatalf("scripted text with a CR: %q", msg)
	}
	for _, e := range srv.Journal() {
		for _, l := range e.Replies {
			if strings.ContainsAny(l, "\r\n") {
				t.Fatalf("the journal has a reply line with a line break: %q", l)
			}
		}
	}
}

// TestStatAndSiteRmdir (issue 14): STAT of a directory lists its entries
// as ls -l lines (ftpserverlib printed a literal "%s" before each), and
// SITE RMDIR answers 250 only when it removed a directory.
func TestStatAndSiteRmdir(t *testing.T) {
	t.Parallel()
	srv := ftptest.New(t)
	for _, f := range []string{"/dir/a.txt", "/dir/sub/b.txt", "/file.txt"} {
		if err := srv.WriteFile(f, []byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	c := rawDial(t, srv.Addr())
	c.Expect(220)
	c.Cmd(530, "STAT /dir") // before a login, as ftpserverlib says
	c.Cmd(331, "USER u")
	c.Cmd(230, "PASS p")
	lines := strings.Split(c.Cmd(212, "STAT /dir"), "\n")
	if len(lines) != 4 || lines[0] != "STAT /dir" || lines[3] != "End" ||
		!strings.HasPrefix(lines[1], " -rw") || !strings.HasSuffix(lines[1], " a.txt") ||
		!strings.HasPrefix(lines[2], " d") || !strings.HasSuffix(lines[2], " sub") {
		t.Fatalf("STAT /dir: %q", lines)
	}
	c.Cmd(250, "CWD /dir")
	if msg := c.Cmd(213, "STAT a.txt"); !strings.Contains(msg, " 5 ") || !strings.HasSuffix(strings.Split(msg, "\n")[1], " a.txt") {
		t.Fatalf("STAT a.txt: %q", msg)
	}
	c.Cmd(450, "STAT /nothing")
	c.Cmd(550, "SITE RMDIR ../outside")
	c.Cmd(550, "SITE RMDIR /file.txt")
	c.Cmd(550, "SITE RMDIR /")
	c.Cmd(250, "SITE RMDIR sub")
	if _, err := srv.Fs().Stat("/dir/sub"); !os.IsNotExist(err) {
		t.Fatalf("/dir/sub is still there: %v", err)
	}
	if _, err := srv.ReadFile("/file.txt"); err != nil {
		t.Fatal(err)
	}
	c.Cmd(200, "SITE CHMOD 644 /file.txt") // other SITE commands are ftpserverlib's
}
