package server

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mockftpd/mockftpd/dialect"
)

// The FTPS rules no shipped dialect sets, as a dialect may: AUTH SSL
// that protects data connections at once, and transfers refused without
// PROT P.
func TestDialectTLSRulesUnshipped(t *testing.T) {
	base, _ := dialect.Lookup("proftpd")
	d := *base
	d.TLS.SSLIsPROTP, d.TLS.RequirePROTP = true, true
	d.Replies = map[dialect.Key]dialect.Reply{"PROT required": "521 PROT P required"}
	srv, err := Start(Config{Listen: "127.0.0.1:0", TLS: TLSExplicit, Dialect: "proftpd"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	e := *srv.effective()
	e.dialect = &d
	srv.settings.Store(&e)

	session := func(mech string) (protP bool, reply string) {
		conn, err := net.DialTimeout("tcp", srv.Addr(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		var c net.Conn = conn
		br := bufio.NewReader(c)
		read := func() string {
			l, err := br.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			return strings.TrimSpace(l)
		}
		cmd := func(line string) string {
			if _, err := c.Write([]byte(line + "\r\n")); err != nil {
				t.Fatal(err)
			}
			return read()
		}
		read()
		if got := cmd("AUTH " + mech); !strings.HasPrefix(got, "234") {
			t.Fatalf("AUTH %s: %s", mech, got)
		}
		tc := tls.Client(conn, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // the server's own certificate
		c, br = tc, bufio.NewReader(tc)
		cmd("USER u")
		cmd("PASS p")
		sess := srv.firstSession()
		sess.mu.Lock()
		protP = sess.protP
		sess.mu.Unlock()
		return protP, cmd("RETR /x")
	}
	if protP, got := session("SSL"); !protP || strings.HasPrefix(got, "521") {
		t.Errorf("AUTH SSL with SSLIsPROTP: protected %v, RETR %q", protP, got)
	}
	if protP, got := session("TLS"); protP || got != "521 PROT P required" {
		t.Errorf("AUTH TLS without PROT P: protected %v, RETR %q", protP, got)
	}
}

// firstSession is a session of the server (a test has one at a time).
func (s *Server) firstSession() *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sess := range s.sessions {
		return sess
	}
	return nil
}
