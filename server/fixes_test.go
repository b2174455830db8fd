package server_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/journal"
)

// TestMKDReply: the 257 reply to MKD starts with the quoted path (RFC 959
// 4.2), its quotes doubled, as clients read it.
func TestMKDReply(t *testing.T) {
	t.Parallel()
	srv := withYAML(t, "version: 1\n")
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	if msg := c.Cmd(257, "MKD /made"); msg != `"/made" created` {
		t.Fatalf("257 %q", msg)
	}
	if msg := c.Cmd(257, `XMKD /a"b`); msg != `"/a""b" created` {
		t.Fatalf("257 %q", msg)
	}
	c.Cmd(550, "MKD /made") // it exists: the error is the server's
}

// TestHTTPRequestClosesSession: a web page can make a browser POST to the
// FTP port; the session ends at the request line, so no FTP command in
// the body is ever served.
func TestHTTPRequestClosesSession(t *testing.T) {
	t.Parallel()
	for name, req := range map[string]string{
		"POST":        "POST /api HTTP/1.1\r\nHost: 127.0.0.1:2121\r\nContent-Type: text/plain\r\nContent-Length: 40\r\n\r\nUSER a\r\nPASS b\r\nMKD /pwned\r\nQUIT\r\n",
		"GET":         "GET / HTTP/1.0\r\n\r\n",
		"header line": "Host: 127.0.0.1:2121\r\nUSER a\r\nPASS b\r\nMKD /pwned\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := withYAML(t, "version: 1\n")
			c := rawDial(t, srv.Addr())
			c.Expect(220)
			if _, err := io.WriteString(c.Conn, req); err != nil {
				t.Fatal(err)
			}
			if msg := c.Expect(421); !strings.Contains(msg, "not an HTTP one") {
				t.Fatalf("421 %q", msg)
			}
			_ = c.Conn.SetReadDeadline(time.Now().Add(clientTimeout))
			if rest, err := io.ReadAll(c.Conn); len(rest) > 0 || err != nil {
				t.Fatalf("after the 421: %q, %v; want a clean close", rest, err)
			}
			end, err := srv.WaitSessionEnd(1, clientTimeout)
			if err != nil {
				t.Fatal(err)
			}
			if end.Reason != journal.ReasonHTTP {
				t.Fatalf("disconnect reason %q", end.Reason)
			}
			if _, err := srv.Fs().Stat("/pwned"); err == nil {
				t.Fatal("a command of the request body was served")
			}
		})
	}
	// after a login, such a line is only an unknown command
	srv := withYAML(t, "version: 1\n")
	c := rawDial(t, srv.Addr())
	c.Login("u", "p")
	c.Cmd(500, "GET / HTTP/1.1")
	c.Cmd(200, "NOOP")
}
