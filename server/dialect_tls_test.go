package server_test

import (
	"crypto/tls"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/mockftpd/mockftpd/ftptest"
	"github.com/mockftpd/mockftpd/internal/realclient"
	"github.com/mockftpd/mockftpd/server"
)

func tlsDialectServer(t *testing.T, name string) *ftptest.Server {
	t.Helper()
	srv := ftptest.New(t, ftptest.WithTLS(server.TLSExplicit), ftptest.WithConfig(func(c *server.Config) { c.Dialect = name }))
	if err := srv.WriteFile("/a.txt", []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	return srv
}

// vsftpd and FileZilla Server refuse a PROT P data connection that does
// not resume the control connection's TLS session; a client that resumes
// (a Go client with a session cache, curl, lftp) transfers as usual.
func TestDialectTLSSessionReuse(t *testing.T) {
	for _, tc := range []struct {
		dialect, refusal string
		ends             bool
	}{
		{"vsftpd", "522 SSL connection failed: session reuse required", true},
		{"filezilla-server", "425 Unable to build data connection: TLS session of data connection not resumed.", false},
		{"proftpd", "425 Unable to build data connection: Operation not permitted", false},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			srv := tlsDialectServer(t, tc.dialect)
			login := func(conf *tls.Config) *ftp.ServerConn {
				c, err := ftp.Dial(srv.Addr(), ftp.DialWithExplicitTLS(conf), ftp.DialWithTimeout(clientTimeout), ftp.DialWithDisabledEPSV(true))
				if err != nil {
					t.Fatal(err)
				}
				if err := c.Login("bob", "x"); err != nil {
					t.Fatal(err)
				}
				return c
			}
			resumes := clientTLS.Clone()
			resumes.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			resumes.ServerName = "mockftpd" // the cache's key for both connections (else host:port)
			c := login(resumes)
			r, err := c.Retr("/a.txt")
			if err != nil {
				t.Fatalf("a client that resumes: %v", err)
			}
			b, _ := io.ReadAll(r)
			if err := r.Close(); err != nil || string(b) != "hello\n" {
				t.Fatalf("a client that resumes: %q, %v", b, err)
			}
			_ = c.Quit()

			c = login(clientTLS.Clone()) // no session cache: no resumption
			r, err = c.Retr("/a.txt")
			if err == nil {
				_, _ = io.ReadAll(r)
				err = r.Close()
			}
			if code, msg, _ := strings.Cut(tc.refusal, " "); err == nil || err.Error() != code+" "+strconv.Quote(msg) {
				t.Fatalf("a client that does not resume: %v, want %q", err, tc.refusal)
			}
			err = c.NoOp()
			if tc.ends != (err != nil) {
				t.Errorf("NOOP after the refusal: %v (the session ends: %v)", err, tc.ends)
			}
			_ = c.Quit()
		})
	}
}

// Python's ftplib does not resume the TLS session: with vsftpd's dialect
// it gets vsftpd's 522, as it does from vsftpd itself.
func TestDialectTLSReuseFtplib(t *testing.T) {
	srv := tlsDialectServer(t, "vsftpd")
	s := realclient.Session{Addr: srv.Addr(), Mode: realclient.Mode{TLS: realclient.Explicit}, User: "bob", Password: "x", Timeout: 5 * time.Second}
	res := s.Ftplib(t, s.FtplibLogin(realclient.Step{Op: "retr", Path: "/a.txt"})...)
	last := res.Steps[len(res.Steps)-1]
	if !strings.Contains(last.Message, "522 SSL connection failed: session reuse required") {
		t.Errorf("ftplib's RETR: %s", last.Observed())
	}
}
