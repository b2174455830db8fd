package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Client is a minimal FTP client for measurements: one command at a time
// (never pipelined), EPSV data connections, binary type. It is the same
// client for every target, so that its own cost is the same in every
// figure.
type Client struct {
	conn net.Conn
	r    *bufio.Reader
	wbuf []byte
}

// bufPool holds the 1 MiB buffers data connections are read with.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 1<<20)
	return &b
}}

// clientTimeout bounds every network wait of a Client.
const clientTimeout = 60 * time.Second

// Dial connects and reads the 220 greeting.
func Dial(addr string) (*Client, error) {
	conn, err := net.DialTimeout("tcp", addr, clientTimeout)
	if err != nil {
		return nil, err
	}
	c := &Client{conn: conn, r: bufio.NewReaderSize(conn, 4096)}
	_ = conn.SetDeadline(time.Now().Add(clientTimeout))
	code, msg, err := c.readReply()
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	if code != 220 {
		_ = conn.Close()
		return nil, fmt.Errorf("greeting: %d %s", code, msg)
	}
	return c, nil
}

// DialLogin connects and logs in (USER, PASS); it does not set the type.
func DialLogin(addr string) (*Client, error) {
	c, err := Dial(addr)
	if err != nil {
		return nil, err
	}
	if err := c.Login(); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// DialReady connects, logs in and switches to binary type: ready to
// transfer.
func DialReady(addr string) (*Client, error) {
	c, err := DialLogin(addr)
	if err != nil {
		return nil, err
	}
	if err := c.Expect(200, "TYPE I"); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// Close closes the control connection without QUIT.
func (c *Client) Close() error { return c.conn.Close() }

// Quit sends QUIT, reads the 221 and closes.
func (c *Client) Quit() error {
	err := c.Expect(221, "QUIT")
	if cerr := c.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// Login sends USER and PASS with the benchmarks' login.
func (c *Client) Login() error { return c.LoginAs("bench", "bench") }

// LoginAs sends USER and PASS with the given login.
func (c *Client) LoginAs(user, pass string) error {
	code, msg, err := c.Cmd("USER " + user)
	if err != nil {
		return err
	}
	if code == 331 {
		code, msg, err = c.Cmd("PASS " + pass)
		if err != nil {
			return err
		}
	}
	if code != 230 {
		return fmt.Errorf("login: %d %s", code, msg)
	}
	return nil
}

// Cmd sends one command line and reads its reply (the final one, after
// any 1xx for commands without a data connection there is none).
func (c *Client) Cmd(line string) (int, string, error) {
	_ = c.conn.SetDeadline(time.Now().Add(clientTimeout))
	c.wbuf = append(append(c.wbuf[:0], line...), '\r', '\n')
	if _, err := c.conn.Write(c.wbuf); err != nil {
		return 0, "", err
	}
	return c.readReply()
}

// Expect sends a command and checks the reply code.
func (c *Client) Expect(code int, line string) error {
	got, msg, err := c.Cmd(line)
	if err != nil {
		return fmt.Errorf("%s: %w", verbOf(line), err)
	}
	if got != code {
		return fmt.Errorf("%s: want %d, got %d %s", verbOf(line), code, got, msg)
	}
	return nil
}

func verbOf(line string) string {
	v, _, _ := strings.Cut(line, " ")
	return v
}

var errBadReply = errors.New("malformed reply")

// readReply reads one reply, single or multi-line.
func (c *Client) readReply() (int, string, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, "", err
	}
	line = bytes.TrimRight(line, "\r\n")
	if len(line) < 3 {
		return 0, "", errBadReply
	}
	code, err := strconv.Atoi(string(line[:3]))
	if err != nil {
		return 0, "", errBadReply
	}
	msg := ""
	if len(line) > 4 {
		msg = string(line[4:])
	}
	if len(line) > 3 && line[3] == '-' {
		end := string(line[:3]) + " "
		for range 100000 {
			l, err := c.r.ReadSlice('\n')
			if err != nil {
				return 0, "", err
			}
			if strings.HasPrefix(string(l), end) {
				return code, msg, nil
			}
		}
		return 0, "", errBadReply
	}
	return code, msg, nil
}

// openData sends EPSV and connects to the advertised port.
func (c *Client) openData() (net.Conn, error) {
	code, msg, err := c.Cmd("EPSV")
	if err != nil {
		return nil, err
	}
	if code != 229 {
		return nil, fmt.Errorf("EPSV: %d %s", code, msg)
	}
	i := strings.Index(msg, "(|||")
	if i < 0 {
		return nil, fmt.Errorf("EPSV: %s", msg)
	}
	rest := msg[i+4:]
	j := strings.IndexByte(rest, '|')
	if j < 0 {
		return nil, fmt.Errorf("EPSV: %s", msg)
	}
	port, err := strconv.Atoi(rest[:j])
	if err != nil {
		return nil, fmt.Errorf("EPSV: %s", msg)
	}
	host, _, _ := net.SplitHostPort(c.conn.RemoteAddr().String())
	d, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), clientTimeout)
	if err != nil {
		return nil, err
	}
	_ = d.SetDeadline(time.Now().Add(clientTimeout))
	return d, nil
}

// transferCmd opens a data connection, sends the command and reads its 1xx.
func (c *Client) transferCmd(line string) (net.Conn, error) {
	d, err := c.openData()
	if err != nil {
		return nil, err
	}
	code, msg, err := c.Cmd(line)
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	if code != 150 && code != 125 {
		_ = d.Close()
		return nil, fmt.Errorf("%s: %d %s", verbOf(line), code, msg)
	}
	return d, nil
}

// finish reads the final reply of a transfer.
func (c *Client) finish(line string) error {
	_ = c.conn.SetDeadline(time.Now().Add(clientTimeout))
	code, msg, err := c.readReply()
	if err != nil {
		return err
	}
	if code != 226 && code != 250 {
		return fmt.Errorf("%s: %d %s", verbOf(line), code, msg)
	}
	return nil
}

// Stor uploads src (read through its WriteTo when it has one, so that
// large writes reach the socket) as name.
func (c *Client) Stor(name string, src io.Reader) (int64, error) {
	line := "STOR " + name
	d, err := c.transferCmd(line)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(d, src)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = c.finish(line)
		return n, err
	}
	return n, c.finish(line)
}

// StorBytes uploads b as name.
func (c *Client) StorBytes(name string, b []byte) error {
	line := "STOR " + name
	d, err := c.transferCmd(line)
	if err != nil {
		return err
	}
	_, err = d.Write(b)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if ferr := c.finish(line); err == nil {
		err = ferr
	}
	return err
}

// Retr downloads name and returns how many bytes arrived; when w is not
// nil the bytes are written to it.
func (c *Client) Retr(name string, w io.Writer) (int64, error) {
	return c.readData("RETR "+name, w)
}

// List runs LIST, NLST or MLSD on dir and returns the listing's size.
func (c *Client) List(verb, dir string) (int64, error) {
	return c.readData(verb+" "+dir, nil)
}

// ListBytes runs verb on dir and returns the listing.
func (c *Client) ListBytes(verb, dir string) ([]byte, error) {
	var b bytes.Buffer
	_, err := c.readData(verb+" "+dir, &b)
	return b.Bytes(), err
}

func (c *Client) readData(line string, w io.Writer) (int64, error) {
	d, err := c.transferCmd(line)
	if err != nil {
		return 0, err
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var n int64
	for {
		k, rerr := d.Read(buf)
		n += int64(k)
		if w != nil && k > 0 {
			if _, werr := w.Write(buf[:k]); werr != nil {
				err = werr
				break
			}
		}
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) {
				err = rerr
			}
			break
		}
	}
	_ = d.Close()
	if ferr := c.finish(line); err == nil {
		err = ferr
	}
	return n, err
}

// Pattern is a reader of n bytes of a fixed pattern; its WriteTo hands
// the destination 1 MiB writes straight from a shared buffer, so that a
// client costs little and the same for every target.
type Pattern struct {
	left int64
	off  int // position in the pattern buffer
}

// NewPattern returns a reader of n pattern bytes.
func NewPattern(n int64) *Pattern { return &Pattern{left: n} }

var patternBuf = func() []byte {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i*7 + i>>9)
	}
	return b
}()

// PatternBytes returns the first n bytes of the pattern (n ≤ 1 MiB).
func PatternBytes(n int) []byte { return patternBuf[:n] }

func (p *Pattern) Read(b []byte) (int, error) {
	if p.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n := 0
	for n < len(b) {
		k := copy(b[n:], patternBuf[p.off:])
		n += k
		p.off = (p.off + k) % len(patternBuf)
	}
	p.left -= int64(n)
	return n, nil
}

// WriteTo writes the remaining bytes in 1 MiB writes.
func (p *Pattern) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for p.left > 0 {
		chunk := patternBuf[p.off:]
		if int64(len(chunk)) > p.left {
			chunk = chunk[:p.left]
		}
		n, err := w.Write(chunk)
		total += int64(n)
		p.left -= int64(n)
		p.off = (p.off + n) % len(patternBuf)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
