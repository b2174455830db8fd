package server

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// pipeListener is the listener handed to ftpserverlib: instead of sockets it
// yields the server end of an in-memory pipe for each control connection
// the engine accepts, so that the engine stands in front of every byte.
type pipeListener struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener(addr net.Addr) *pipeListener {
	return &pipeListener{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

// Accept returns the next upstream connection, or a closed-network error
// (the one ftpserverlib's Serve treats as a clean stop).
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: "pipe", Addr: l.addr, Err: net.ErrClosed}
	}
}

// hand gives conn to ftpserverlib; false when the listener is closed.
func (l *pipeListener) hand(conn net.Conn) bool {
	select {
	case l.conns <- conn:
		return true
	case <-l.closed:
		return false
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return l.addr }

// sessionAddr is the client address ftpserverlib sees. It prints as the real
// client address (ftpserverlib parses it) and carries the engine session, so
// that driver callbacks find the session without any shared map.
type sessionAddr struct {
	net.Addr
	sess *session
}

// upstreamConn is ftpserverlib's end of the session's control pipe,
// reporting the real addresses of the client connection.
type upstreamConn struct {
	local  net.Addr
	remote *sessionAddr
}

var _ net.Conn = (*upstreamConn)(nil)

func (c *upstreamConn) LocalAddr() net.Addr  { return c.local }
func (c *upstreamConn) RemoteAddr() net.Addr { return c.remote }

// sessionOf finds the engine session behind an address ftpserverlib gives.
func sessionOf(a net.Addr) *session {
	if sa, ok := a.(*sessionAddr); ok {
		return sa.sess
	}
	return nil
}

// The control connection between the engine and ftpserverlib is a pair of
// byte queues rather than net.Pipe: net.Pipe's Write waits until the
// reader has copied the bytes (two goroutine hand-offs per write), and
// its SetDeadline allocates a timer on every call (ftpserverlib calls it
// before every command). Here a write appends to a buffer and wakes the
// reader (one hand-off), and a deadline is a time a blocked read checks.

// ctrlPipe is the control connection of one session.
type ctrlPipe struct {
	up     pipeQueue // engine to ftpserverlib
	engine pipeQueue // ftpserverlib to engine
}

// newCtrlPipe makes a session's control pipe.
func newCtrlPipe() *ctrlPipe {
	p := &ctrlPipe{}
	p.up.init()
	p.engine.init()
	return p
}

// close ends both directions, as the engine closing its end: ftpserverlib
// reads what is left then EOF, and its writes fail.
func (p *ctrlPipe) close() {
	p.up.closeWriter()
	p.engine.closeReader()
}

// pipeQueue is one direction: bytes written and not yet read.
type pipeQueue struct {
	mu       sync.Mutex
	buf      []byte
	wclosed  bool // the writing end closed: the reader gets EOF once buf is empty
	rclosed  bool // the reading end closed: reads and writes fail
	deadline time.Time
	ready    chan struct{} // a token when bytes, a close or a new deadline arrived
	timer    *time.Timer   // the reader's deadline wait, reused
}

func (q *pipeQueue) init() { q.ready = make(chan struct{}, 1) }

func (q *pipeQueue) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *pipeQueue) write(parts ...string) (int, error) {
	q.mu.Lock()
	if q.wclosed || q.rclosed {
		q.mu.Unlock()
		return 0, io.ErrClosedPipe
	}
	n := 0
	for _, b := range parts {
		q.buf = append(q.buf, b...)
		n += len(b)
	}
	q.mu.Unlock()
	q.wake()
	return n, nil
}

func (q *pipeQueue) writeBytes(b []byte) (int, error) {
	q.mu.Lock()
	if q.wclosed || q.rclosed {
		q.mu.Unlock()
		return 0, io.ErrClosedPipe
	}
	q.buf = append(q.buf, b...)
	q.mu.Unlock()
	q.wake()
	return len(b), nil
}

func (q *pipeQueue) read(b []byte) (int, error) {
	for {
		q.mu.Lock()
		switch {
		case q.rclosed:
			q.mu.Unlock()
			return 0, io.ErrClosedPipe
		case len(q.buf) > 0:
			n := copy(b, q.buf)
			if n == len(q.buf) {
				q.buf = q.buf[:0]
			} else {
				q.buf = q.buf[:copy(q.buf, q.buf[n:])]
			}
			q.mu.Unlock()
			return n, nil
		case q.wclosed:
			q.mu.Unlock()
			return 0, io.EOF
		}
		dl := q.deadline
		q.mu.Unlock()
		if dl.IsZero() {
			<-q.ready
			continue
		}
		d := time.Until(dl)
		if d <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
		if q.timer == nil {
			q.timer = time.NewTimer(d)
		} else {
			q.timer.Reset(d)
		}
		select {
		case <-q.ready:
			q.timer.Stop()
		case <-q.timer.C:
		}
	}
}

func (q *pipeQueue) setDeadline(t time.Time) {
	q.mu.Lock()
	q.deadline = t
	q.mu.Unlock()
	q.wake()
}

func (q *pipeQueue) closeWriter() {
	q.mu.Lock()
	q.wclosed = true
	q.mu.Unlock()
	q.wake()
}

func (q *pipeQueue) closeReader() {
	q.mu.Lock()
	q.rclosed = true
	q.buf = nil
	q.mu.Unlock()
	q.wake()
}

// engineReader is the engine's reading end.
type engineReader struct{ p *ctrlPipe }

func (r engineReader) Read(b []byte) (int, error) { return r.p.engine.read(b) }

// Read, Write, Close and the deadlines of ftpserverlib's end use the
// session's control pipe.
func (c *upstreamConn) Read(b []byte) (int, error)  { return c.remote.sess.ctrl.up.read(b) }
func (c *upstreamConn) Write(b []byte) (int, error) { return c.remote.sess.ctrl.engine.writeBytes(b) }

// Close is ftpserverlib closing the connection: the engine reads what it
// wrote, then EOF; the engine's writes fail.
func (c *upstreamConn) Close() error {
	p := c.remote.sess.ctrl
	p.engine.closeWriter()
	p.up.closeReader()
	return nil
}

func (c *upstreamConn) SetDeadline(t time.Time) error {
	c.remote.sess.ctrl.up.setDeadline(t)
	return nil
}

func (c *upstreamConn) SetReadDeadline(t time.Time) error {
	c.remote.sess.ctrl.up.setDeadline(t)
	return nil
}

// SetWriteDeadline has nothing to bound: writes never wait.
func (c *upstreamConn) SetWriteDeadline(time.Time) error { return nil }
