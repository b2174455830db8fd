package server

import (
	"net"
	"sync"
	"time"
)

// pipeListener is the listener handed to ftpserverlib: instead of sockets it
// yields an upstreamConn for each control connection the engine accepts,
// so that the engine stands in front of every byte.
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

// upstreamConn is the control connection as ftpserverlib sees it: reading
// it yields the commands the engine passes on, writing it gives the engine
// the replies to relay. It reports the real addresses of the client.
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

// Read, Write and Close are ftpserverlib using its control connection;
// the engine does its work inside them, on ftpserverlib's goroutines (see
// session.go): no goroutine of its own, no hand-off per command.
func (c *upstreamConn) Read(b []byte) (int, error)  { return c.remote.sess.upstreamRead(b) }
func (c *upstreamConn) Write(b []byte) (int, error) { return c.remote.sess.upstreamWrite(b) }

// Close is ftpserverlib ending the connection.
func (c *upstreamConn) Close() error {
	c.remote.sess.upstreamClosed()
	return nil
}

// The deadlines ftpserverlib sets before each command are its idle timeout,
// which the engine enforces itself (per scenario); writes never wait.
func (c *upstreamConn) SetDeadline(time.Time) error      { return nil }
func (c *upstreamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *upstreamConn) SetWriteDeadline(time.Time) error { return nil }
