package server

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
)

// clientLine is one command line read from the client, or the reason
// reading stopped.
type clientLine struct {
	text    string
	tooLong bool
	err     error
}

// maxDiscard bounds how much of an over-long line is skipped before the
// connection is dropped.
const maxDiscard = 1 << 20

// firstLineBuffer is the line reader's starting buffer: most command lines
// fit, and an idle session (there may be thousands) holds no more.
const firstLineBuffer = 128

var errLineTooLong = errors.New("command line longer than the discard limit")

// lineReader reads the client's command lines. Unlike bufio.Reader it keeps
// a partial line when a read times out (the engine's idle check and
// shutdown interrupt reads with deadlines), and its buffer starts small and
// grows up to the line limit.
type lineReader struct {
	rd       io.Reader
	buf      []byte
	r, w     int // buf[r:w] is read and not yet consumed
	max      int // the longest line accepted, line end included
	skipped  int // bytes of an over-long line dropped so far
	deferred error
}

func newLineReader(rd io.Reader, max int) lineReader {
	return lineReader{rd: rd, buf: make([]byte, min(firstLineBuffer, max)), max: max}
}

// readLine returns the next line, a too-long marker once the rest of an
// over-long line has gone by, or the error that stopped reading. After a
// timeout the reader may be used again: nothing read is lost.
func (lr *lineReader) readLine() clientLine {
	for {
		if i := bytes.IndexByte(lr.buf[lr.r:lr.w], '\n'); i >= 0 {
			line := lr.buf[lr.r : lr.r+i+1]
			lr.r += i + 1
			if lr.skipped > 0 {
				lr.skipped = 0
				return clientLine{tooLong: true}
			}
			return clientLine{text: cleanLine(line)}
		}
		if n := lr.w - lr.r; lr.skipped > 0 || n >= lr.max {
			// over-long: drop what is buffered and look for the line's end
			lr.skipped += n
			lr.r, lr.w = 0, 0
			if lr.skipped >= maxDiscard {
				return clientLine{err: errLineTooLong}
			}
		}
		if lr.deferred != nil {
			err := lr.deferred
			lr.deferred = nil
			return clientLine{err: err}
		}
		lr.makeRoom() // always room here: a full buffer at the limit was dropped above
		n, err := lr.rd.Read(lr.buf[lr.w:])
		lr.w += n
		if err != nil {
			if n == 0 {
				return clientLine{err: err}
			}
			lr.deferred = err // after the lines already read
		}
	}
}

// makeRoom moves the unread bytes to the front and grows the buffer, up to
// the line limit, when it is full; false when it is full at the limit.
func (lr *lineReader) makeRoom() bool {
	if lr.r > 0 {
		lr.w = copy(lr.buf, lr.buf[lr.r:lr.w])
		lr.r = 0
	}
	if lr.w < len(lr.buf) {
		return true
	}
	if len(lr.buf) >= lr.max {
		return false
	}
	grown := make([]byte, min(2*len(lr.buf), lr.max))
	copy(grown, lr.buf[:lr.w])
	lr.buf = grown
	return true
}

// fill reads more of the client's bytes into the buffer, consuming no
// line, until the buffer is full (nil) or reading fails. A failure other
// than a timeout is also kept for readLine, after the lines before it.
func (lr *lineReader) fill() error {
	for lr.deferred == nil {
		if !lr.makeRoom() {
			return nil // nothing more to hold until lines are read
		}
		n, err := lr.rd.Read(lr.buf[lr.w:])
		lr.w += n
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				lr.deferred = err
			}
			return err
		}
	}
	return lr.deferred
}

// Read reads what is buffered first, then from the connection: the TLS
// handshake after AUTH reads through it, since the client may have sent its
// ClientHello right behind the AUTH line.
func (lr *lineReader) Read(p []byte) (int, error) {
	if lr.r < lr.w {
		n := copy(p, lr.buf[lr.r:lr.w])
		lr.r += n
		return n, nil
	}
	return lr.rd.Read(p)
}

// cleanLine strips the line end and Telnet IAC sequences (RFC 854), and
// replaces NUL bytes, which would cut the line in the real server.
func cleanLine(b []byte) string {
	b = bytes.TrimRight(b, "\r\n")
	if bytes.IndexByte(b, 0xff) < 0 && bytes.IndexByte(b, 0) < 0 {
		if s, ok := commonLines[string(b)]; ok {
			return s
		}
		return string(b)
	}
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == 0xff && i+1 < len(b) && b[i+1] == 0xff:
			out = append(out, 0xff)
			i++
		case c == 0xff && i+1 < len(b) && b[i+1] >= 0xfb && b[i+1] <= 0xfe:
			i += 2 // WILL/WONT/DO/DONT and their option byte
		case c == 0xff:
			i++ // IP, DM, and other two-byte commands
		case c == 0:
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

// commonLines are command lines sent often and always alike: reading one
// allocates nothing.
var commonLines = func() map[string]string {
	m := map[string]string{}
	for _, l := range []string{
		"NOOP", "PWD", "XPWD", "CDUP", "PASV", "EPSV", "LIST", "NLST", "MLSD",
		"FEAT", "SYST", "STAT", "ABOR", "QUIT", "REIN",
		"TYPE I", "TYPE A", "MODE S", "STRU F", "OPTS UTF8 ON",
		"PBSZ 0", "PROT P", "PROT C", "AUTH TLS", "EPSV ALL",
	} {
		m[l] = l
		m[strings.ToLower(l)] = strings.ToLower(l)
	}
	return m
}()
