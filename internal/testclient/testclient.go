// Package testclient holds the FTP clients mockftpd's own tests drive:
// jlaffaye/ftp with deadlines, and a raw net/textproto client for what
// jlaffaye/ftp cannot do (active mode, pipelining, arbitrary commands).
package testclient

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// Timeout bounds every client operation: jlaffaye/ftp has no read timeout
// of its own.
const Timeout = 10 * time.Second

// DeadlineDial dials with a deadline on the connection; jlaffaye/ftp uses
// it for the control and the data connections alike.
func DeadlineDial(network, addr string) (net.Conn, error) {
	c, err := net.DialTimeout(network, addr, Timeout)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(Timeout))
	return c, nil
}

// Dial connects a jlaffaye/ftp client with deadlines; it quits at cleanup.
func Dial(t testing.TB, addr string, opts ...ftp.DialOption) *ftp.ServerConn {
	t.Helper()
	c, err := ftp.Dial(addr, append([]ftp.DialOption{ftp.DialWithDialFunc(DeadlineDial)}, opts...)...)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Quit() })
	return c
}

// Login dials and logs in.
func Login(t testing.TB, addr, user, pass string, opts ...ftp.DialOption) *ftp.ServerConn {
	t.Helper()
	c := Dial(t, addr, opts...)
	if err := c.Login(user, pass); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return c
}

// DialTLS connects with explicit or implicit TLS. jlaffaye/ftp uses no
// custom dial function with TLS, so the deadline is a watchdog that closes
// closer (the server) when it passes.
func DialTLS(t testing.TB, addr string, explicit bool, closer io.Closer) *ftp.ServerConn {
	t.Helper()
	cfg := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the server's certificate is self-signed
	opt := ftp.DialWithTLS(cfg)
	if explicit {
		opt = ftp.DialWithExplicitTLS(cfg)
	}
	w := time.AfterFunc(Timeout, func() { _ = closer.Close() })
	t.Cleanup(func() { w.Stop() })
	c, err := ftp.Dial(addr, opt, ftp.DialWithTimeout(Timeout))
	if err != nil {
		t.Fatalf("dial TLS %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Quit() })
	return c
}

// Retr downloads path from offset; the error is the first of the read's
// and the final reply's (Close checks for 226).
func Retr(c *ftp.ServerConn, path string, offset uint64) ([]byte, error) {
	r, err := c.RetrFrom(path, offset)
	if err != nil {
		return nil, err
	}
	_ = r.SetDeadline(time.Now().Add(Timeout))
	b, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return b, err
}

// WantReply fails the test unless err is an FTP reply with code (and
// text, when text is not empty).
func WantReply(t testing.TB, err error, code int, text string) {
	t.Helper()
	var te *textproto.Error
	if !errors.As(err, &te) {
		t.Fatalf("want a %d reply, got %v", code, err)
	}
	if te.Code != code || (text != "" && te.Msg != text) {
		t.Fatalf("want %d %q, got %d %q", code, text, te.Code, te.Msg)
	}
}

// Raw speaks FTP by hand through net/textproto.
type Raw struct {
	t    testing.TB
	Conn net.Conn
	TP   *textproto.Conn
}

// RawDial connects a raw client with a deadline; it is closed at cleanup.
func RawDial(t testing.TB, addr string) *Raw {
	t.Helper()
	conn, err := DeadlineDial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &Raw{t: t, Conn: conn, TP: textproto.NewConn(conn)}
}

// Expect reads one reply, checks its code and returns its text.
func (c *Raw) Expect(code int) string {
	c.t.Helper()
	got, msg, err := c.TP.ReadResponse(code)
	if err != nil {
		c.t.Fatalf("want %d, got %d %q: %v", code, got, msg, err)
	}
	return msg
}

// Read reads one reply whatever its code.
func (c *Raw) Read() (int, string, error) { return c.TP.ReadResponse(0) }

// Send sends one command line.
func (c *Raw) Send(format string, args ...any) {
	c.t.Helper()
	if err := c.TP.PrintfLine(format, args...); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// Cmd sends a command, checks the reply's code and returns its text.
func (c *Raw) Cmd(code int, format string, args ...any) string {
	c.t.Helper()
	c.Send(format, args...)
	return c.Expect(code)
}

// Login reads the greeting and logs in.
func (c *Raw) Login(user, pass string) {
	c.t.Helper()
	c.Expect(220)
	c.Cmd(331, "USER %s", user)
	c.Cmd(230, "PASS %s", pass)
}

// PortArg formats the PORT argument for a listener.
func PortArg(l net.Listener) string {
	a := l.Addr().(*net.TCPAddr)
	ip := a.IP.To4()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", ip[0], ip[1], ip[2], ip[3], a.Port>>8, a.Port&0xff)
}

// PasvAddr reads the address of a 227 reply's text.
func PasvAddr(t testing.TB, msg string) string {
	t.Helper()
	open, end := strings.IndexByte(msg, '('), strings.IndexByte(msg, ')')
	if open < 0 || end < open {
		t.Fatalf("no address in %q", msg)
	}
	var h1, h2, h3, h4, p1, p2 int
	if _, err := fmt.Sscanf(msg[open+1:end], "%d,%d,%d,%d,%d,%d", &h1, &h2, &h3, &h4, &p1, &p2); err != nil {
		t.Fatalf("bad address in %q: %v", msg, err)
	}
	return fmt.Sprintf("%d.%d.%d.%d:%d", h1, h2, h3, h4, p1<<8|p2)
}

// EPSVPort reads the port of a 229 reply's text.
func EPSVPort(t testing.TB, msg string) int {
	t.Helper()
	open := strings.Index(msg, "(|||")
	if open < 0 {
		t.Fatalf("no port in %q", msg)
	}
	rest := msg[open+4:]
	end := strings.IndexByte(rest, '|')
	if end < 0 {
		t.Fatalf("no port in %q", msg)
	}
	p, err := strconv.Atoi(rest[:end])
	if err != nil {
		t.Fatalf("bad port in %q", msg)
	}
	return p
}
