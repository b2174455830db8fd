package server_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// clientTimeout bounds every client operation: jlaffaye/ftp has no read
// timeout of its own.
const clientTimeout = 10 * time.Second

// deadlineDial dials with a deadline on the connection, for the control
// and the data connections alike.
func deadlineDial(network, addr string) (net.Conn, error) {
	c, err := net.DialTimeout(network, addr, clientTimeout)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(clientTimeout))
	return c, nil
}

// dial connects a jlaffaye/ftp client with deadlines; it is closed at cleanup.
func dial(t testing.TB, addr string, opts ...ftp.DialOption) *ftp.ServerConn {
	t.Helper()
	c, err := ftp.Dial(addr, append([]ftp.DialOption{ftp.DialWithDialFunc(deadlineDial)}, opts...)...)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Quit() })
	return c
}

// login dials and logs in.
func login(t testing.TB, addr, user, pass string, opts ...ftp.DialOption) *ftp.ServerConn {
	t.Helper()
	c := dial(t, addr, opts...)
	if err := c.Login(user, pass); err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return c
}

// dialTLS connects with TLS (explicit or implicit). jlaffaye/ftp does not
// use a custom dial function for TLS, so the deadline is a watchdog that
// closes the client's connections through the server.
func dialTLS(t testing.TB, addr string, explicit bool, closer io.Closer) *ftp.ServerConn {
	t.Helper()
	cfg := &tls.Config{InsecureSkipVerify: true} //nolint:gosec // a test against a self-signed certificate
	opt := ftp.DialWithTLS(cfg)
	if explicit {
		opt = ftp.DialWithExplicitTLS(cfg)
	}
	w := time.AfterFunc(clientTimeout, func() { _ = closer.Close() })
	t.Cleanup(func() { w.Stop() })
	c, err := ftp.Dial(addr, opt, ftp.DialWithTimeout(clientTimeout))
	if err != nil {
		t.Fatalf("dial TLS %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Quit() })
	return c
}

// rawClient speaks FTP by hand through net/textproto, for what jlaffaye/ftp
// cannot do (active mode, pipelining, arbitrary commands).
type rawClient struct {
	t    testing.TB
	conn net.Conn
	tp   *textproto.Conn
	r    *bufio.Reader
}

func rawDial(t testing.TB, addr string) *rawClient {
	t.Helper()
	conn, err := deadlineDial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &rawClient{t: t, conn: conn, tp: textproto.NewConn(conn)}
}

// expect reads one reply and checks its code; it returns the message.
func (c *rawClient) expect(code int) string {
	c.t.Helper()
	got, msg, err := c.tp.ReadResponse(code)
	if err != nil {
		c.t.Fatalf("want %d, got %d %q: %v", code, got, msg, err)
	}
	return msg
}

// read reads one reply whatever its code.
func (c *rawClient) read() (int, string, error) {
	return c.tp.ReadResponse(0)
}

func (c *rawClient) send(format string, args ...any) {
	c.t.Helper()
	if err := c.tp.PrintfLine(format, args...); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// cmd sends a command and checks the reply code.
func (c *rawClient) cmd(code int, format string, args ...any) string {
	c.t.Helper()
	c.send(format, args...)
	return c.expect(code)
}

func (c *rawClient) login(user, pass string) {
	c.t.Helper()
	c.expect(220)
	c.cmd(331, "USER %s", user)
	c.cmd(230, "PASS %s", pass)
}

// portArg formats a PORT argument for a listener.
func portArg(l net.Listener) string {
	a := l.Addr().(*net.TCPAddr)
	ip := a.IP.To4()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", ip[0], ip[1], ip[2], ip[3], a.Port>>8, a.Port&0xff)
}

// pasvAddr reads the address of a 227 reply.
func pasvAddr(t testing.TB, msg string) string {
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

// retr downloads a file; the error is the first of the read and of the
// final reply (Close checks for 226).
func retr(c *ftp.ServerConn, path string, offset uint64) ([]byte, error) {
	r, err := c.RetrFrom(path, offset)
	if err != nil {
		return nil, err
	}
	_ = r.SetDeadline(time.Now().Add(clientTimeout))
	b, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return b, err
}
