package dialectprobe

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// conn is a raw control connection: lines go out as they are, replies
// come back as their lines.
type conn struct {
	raw     net.Conn // the TCP connection
	c       net.Conn // raw, or TLS over it
	br      *bufio.Reader
	timeout time.Duration
	tlsConf *tls.Config // the client's configuration once AUTH TLS worked
}

func dial(addr string, timeout time.Duration) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &conn{raw: c, c: c, br: bufio.NewReader(c), timeout: timeout}, nil
}

func (c *conn) close() { _ = c.c.Close() }

func (c *conn) send(line string) error {
	_ = c.c.SetDeadline(time.Now().Add(c.timeout))
	_, err := io.WriteString(c.c, line+"\r\n")
	return err
}

// reply reads one reply, following a multi-line one to its end; it
// returns its lines without CR/LF and its code.
func (c *conn) reply() (int, []string, error) {
	_ = c.c.SetDeadline(time.Now().Add(c.timeout))
	var lines []string
	for len(lines) < 200 {
		l, err := c.br.ReadString('\n')
		if err != nil {
			return 0, lines, err
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		first := lines[0]
		if len(first) < 4 {
			return 0, lines, fmt.Errorf("malformed reply %q", first)
		}
		code, err := strconv.Atoi(first[:3])
		if err != nil {
			return 0, lines, fmt.Errorf("malformed reply %q", first)
		}
		if first[3] != '-' || (len(lines) > 1 && len(l) >= 4 && l[:3] == first[:3] && l[3] == ' ') {
			return code, lines, nil
		}
	}
	return 0, lines, errors.New("multi-line reply without an end")
}

// startTLS makes the control connection TLS (after a 234).
func (c *conn) startTLS(conf *tls.Config) error {
	tc := tls.Client(c.raw, conf)
	_ = tc.SetDeadline(time.Now().Add(c.timeout))
	if err := tc.Handshake(); err != nil {
		return err
	}
	c.c, c.br, c.tlsConf = tc, bufio.NewReader(tc), conf
	return nil
}

// clearTLS ends TLS on the control connection after CCC (RFC 4217 12.3):
// both sides send close_notify, and the connection goes on in plain text.
func (c *conn) clearTLS() error {
	tc, ok := c.c.(*tls.Conn)
	if !ok {
		return nil
	}
	if err := tc.CloseWrite(); err != nil {
		return err
	}
	_ = tc.SetReadDeadline(time.Now().Add(c.timeout))
	if _, err := io.Copy(io.Discard, c.br); err != nil {
		return err
	}
	c.c, c.br = c.raw, bufio.NewReader(c.raw)
	return nil
}

// pasvAddr reads the data address of a 227 or 229 reply; a 229 names only
// the port, on the control connection's host.
func pasvAddr(code int, text, controlAddr string) (string, error) {
	host, _, _ := net.SplitHostPort(controlAddr)
	switch code {
	case 229:
		i, j := strings.Index(text, "(|||"), strings.LastIndex(text, "|)")
		if i < 0 || j < i+4 {
			return "", fmt.Errorf("no port in %q", text)
		}
		return net.JoinHostPort(host, text[i+4:j]), nil
	case 227:
		i := strings.IndexAny(text, "0123456789")
		if i < 0 {
			return "", fmt.Errorf("no address in %q", text)
		}
		f := strings.FieldsFunc(text[i:], func(r rune) bool { return r == ',' || r == ')' || r == ' ' || r == '.' })
		if len(f) < 6 {
			return "", fmt.Errorf("no address in %q", text)
		}
		p1, err1 := strconv.Atoi(f[4])
		p2, err2 := strconv.Atoi(f[5])
		if err1 != nil || err2 != nil {
			return "", fmt.Errorf("no port in %q", text)
		}
		return net.JoinHostPort(strings.Join(f[:4], "."), strconv.Itoa(p1*256+p2)), nil
	}
	return "", fmt.Errorf("not a passive reply: %d %s", code, text)
}

// portArg is the argument of PORT for a listener's address.
func portArg(l net.Listener) string {
	a := l.Addr().(*net.TCPAddr)
	ip := a.IP.To4()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", ip[0], ip[1], ip[2], ip[3], a.Port/256, a.Port%256)
}
