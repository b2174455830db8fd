package clientscript

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// tap records what crosses a control connection, in order.
type tap struct {
	net.Conn
	mu     sync.Mutex
	events []tapEvent
}

type tapEvent struct {
	sent bool
	b    []byte
}

func (c *tap) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.add(false, b[:n])
	return n, err
}

func (c *tap) Write(b []byte) (int, error) {
	c.add(true, b)
	return c.Conn.Write(b)
}

func (c *tap) add(sent bool, b []byte) {
	if len(b) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, tapEvent{sent: sent, b: bytes.Clone(b)})
}

// lines returns the recorded traffic as "> " and "< " lines, in the
// order their last bytes crossed.
func (c *tap) lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	var partial [2][]byte
	for _, e := range c.events {
		i, prefix := 0, "< "
		if e.sent {
			i, prefix = 1, "> "
		}
		partial[i] = append(partial[i], e.b...)
		for {
			j := bytes.IndexByte(partial[i], '\n')
			if j < 0 {
				break
			}
			out = append(out, prefix+strings.TrimRight(string(partial[i][:j]), "\r"))
			partial[i] = partial[i][j+1:]
		}
	}
	return out
}

// runJLaffaye runs the script with jlaffaye/ftp, watching its control
// connection through the dial function (passive mode, no TLS: the library
// dials no TLS connection through it).
func runJLaffaye(t testing.TB, tg Target) Transcript {
	t.Helper()
	var tr, results Transcript
	session := func(run func(c *ftp.ServerConn) error, name string) {
		var control *tap
		dial := func(network, addr string) (net.Conn, error) {
			c, err := net.DialTimeout(network, addr, 10*time.Second)
			if err != nil {
				return nil, err
			}
			_ = c.SetDeadline(time.Now().Add(runTimeout))
			if control == nil {
				control = &tap{Conn: c}
				return control, nil
			}
			return c, nil
		}
		c, err := ftp.Dial(tg.Addr, ftp.DialWithDialFunc(dial), ftp.DialWithDisabledEPSV(tg.NoEPSV))
		if err != nil {
			t.Fatalf("jlaffaye dial: %v", err)
		}
		err = run(c)
		if control != nil {
			// the library does not wait for QUIT's reply: read it here
			_ = control.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.Copy(io.Discard, control)
			tr = append(tr, control.lines()...)
		}
		if err != nil {
			results = append(results, result(name, "error: "+err.Error()))
		}
		// results come after the session's control lines
		tr = append(tr, results...)
		results = nil
	}
	d, f := tg.Dir, tg.File
	session(func(c *ftp.ServerConn) error {
		if err := c.Login(tg.User, tg.Password); err != nil {
			return err
		}
		step := func(name string, fn func() (any, error)) {
			v, err := fn()
			if err != nil {
				results = append(results, result(name, "error: "+err.Error()))
				return
			}
			if v != nil {
				results = append(results, result(name, v))
			}
		}
		step("PWD", func() (any, error) { return c.CurrentDir() })
		step("CWD", func() (any, error) { return nil, c.ChangeDir(d) })
		step("LIST", func() (any, error) { return entryNames(c.List("")) })
		step("NLST", func() (any, error) { return c.NameList("") })
		step("SIZE", func() (any, error) { return c.FileSize(f) })
		step("MDTM", func() (any, error) {
			tm, err := c.GetTime(f)
			return tm.UTC().Format(time.RFC3339), err
		})
		step("RETR", func() (any, error) { return retr(c, f, 0) })
		step("STOR", func() (any, error) { return nil, c.Stor("up.txt", strings.NewReader("first line\n")) })
		step("APPE", func() (any, error) { return nil, c.Append("up.txt", strings.NewReader("second line\n")) })
		step("REST+RETR", func() (any, error) { return retr(c, "up.txt", 6) })
		step("RNFR/RNTO", func() (any, error) { return nil, c.Rename("up.txt", "renamed.txt") })
		step("MKD", func() (any, error) { return nil, c.MakeDir("newdir") })
		step("RMD", func() (any, error) { return nil, c.RemoveDir("newdir") })
		step("LIST after", func() (any, error) { return entryNames(c.List("")) })
		step("DELE", func() (any, error) { return nil, c.Delete("renamed.txt") })
		step("RETR missing", func() (any, error) { return retr(c, "missing.txt", 0) })
		return c.Quit()
	}, "session")
	session(func(c *ftp.ServerConn) error {
		err := c.Login(tg.BadUser, tg.BadPassword)
		_ = c.Quit()
		if err == nil {
			return errors.New("the bad login worked")
		}
		results = append(results, result("bad login", "error: "+err.Error()))
		return nil
	}, "bad login session")
	return tr
}

func entryNames(entries []*ftp.Entry, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name+" "+e.Type.String()+" "+strconv.FormatUint(e.Size, 10))
	}
	return names, nil
}

func retr(c *ftp.ServerConn, path string, offset uint64) (any, error) {
	r, err := c.RetrFrom(path, offset)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return strconv.Quote(string(b)), err
}
