package server

import (
	"errors"
	"net"
	"sync"
	"time"
)

// controlListener is the listener handed to ftpserverlib. Its Accept, on
// ftpserverlib's accept goroutine, accepts the client's TCP connection,
// starts the engine's session for it and returns the session's
// upstreamConn: the engine stands in front of every byte without an accept
// goroutine of its own. A session that needs time before ftpserverlib may
// have it (an implicit TLS handshake, a scripted greeting) gets it on a
// goroutine of its own, then is queued for Accept, which a deadline on the
// TCP listener wakes.
type controlListener struct {
	srv *Server
	ln  net.Listener

	mu     sync.Mutex
	queue  []net.Conn // sessions prepared off the accept goroutine
	closed bool

	stopped  chan struct{} // closed by Close: ftpserverlib's Stop
	stopOnce sync.Once
}

// Accept returns the next session's upstream connection, or a
// closed-network error (the one ftpserverlib's Serve treats as a clean stop).
func (l *controlListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if len(l.queue) > 0 {
			c := l.queue[0]
			l.queue = l.queue[1:]
			l.mu.Unlock()
			return c, nil
		}
		closed := l.closed
		l.mu.Unlock()
		if closed {
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.ln.Addr(), Err: net.ErrClosed}
		}
		conn, err := l.ln.Accept()
		if err != nil {
			var ne net.Error
			switch {
			case errors.Is(err, net.ErrClosed):
				// The server closed the TCP listener (Close, Shutdown): no
				// session more. Serve ends only when ftpserverlib's Stop
				// closes this listener: a Serve that has ended makes Stop
				// return at once, leaving its passive listeners open.
				l.shut()
				<-l.stopped
			case errors.As(err, &ne) && ne.Timeout():
				l.setDeadline(time.Time{}) // woken by queue; it is checked next
			default:
				l.srv.cfg.Logger.Warn("accept failed", "err", err)
				select {
				case <-l.srv.closed:
				case <-time.After(10 * time.Millisecond):
				}
			}
			continue
		}
		if up := l.srv.startSession(conn); up != nil {
			return up, nil
		}
	}
}

// deliver queues a session prepared on its own goroutine for Accept.
func (l *controlListener) deliver(up *upstreamConn) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.srv.unserved(up.remote.sess)
		return
	}
	l.queue = append(l.queue, up)
	l.mu.Unlock()
	l.setDeadline(time.Now()) // wake Accept
}

func (l *controlListener) setDeadline(t time.Time) {
	if d, ok := l.ln.(interface{ SetDeadline(time.Time) error }); ok {
		_ = d.SetDeadline(t)
	}
}

// Close closes the TCP listener and ends Accept; sessions still queued
// end unserved.
func (l *controlListener) Close() error {
	l.shut()
	l.stopOnce.Do(func() { close(l.stopped) })
	return nil
}

// shut closes the TCP listener; sessions still queued end unserved.
func (l *controlListener) shut() {
	l.mu.Lock()
	l.closed = true
	queued := l.queue
	l.queue = nil
	l.mu.Unlock()
	_ = l.ln.Close()
	for _, c := range queued {
		l.srv.unserved(c.(*upstreamConn).remote.sess)
	}
}

func (l *controlListener) Addr() net.Addr { return l.ln.Addr() }

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
// session.go and relay.go): no goroutine of its own, no hand-off per
// command.
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
