package record

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// handshakeTimeout bounds a TLS handshake on any connection.
const handshakeTimeout = 30 * time.Second

// maxLine bounds one command line from a client and one reply line from
// the upstream server.
const maxLine = 1 << 20

// maxReplyLines bounds a multi-line reply.
const maxReplyLines = 1 << 17

// pend is a command (or the greeting) still owed its final reply.
type pend struct {
	ex   *Exchange
	sent time.Time
	link *dataLink // the data link a transfer command took, if any
}

// session relays one client connection. Two goroutines do the work: the
// client loop reads commands and sends them upstream; the reply loop reads
// the upstream's replies, pairs each with the oldest command owed one, and
// sends it to the client. Data connections have goroutines of their own.
type session struct {
	p      *Proxy
	number int
	start  time.Time
	raw    net.Conn // the client's TCP connection
	upTLS  *tls.Config
	log    *slog.Logger

	// mu guards the fields below it.
	mu      sync.Mutex
	rec     Session
	pending []*pend
	cwd     string
	user    string
	protP   bool
	tlsOn   bool
	link    *dataLink   // the data address last set up, until a transfer command takes it
	links   []*dataLink // every data link, to cut them at the end
	client  net.Conn    // the client connection (TLS once upgraded)
	upRaw   net.Conn    // the upstream's TCP connection
	up      net.Conn    // the upstream connection (TLS once upgraded)
	ended   bool

	cwmu sync.Mutex // serialises writes to the client, and holds them during a TLS upgrade

	upgrade chan bool     // reply loop to client loop: AUTH answered; true for 234
	upReady chan net.Conn // reply loop to client loop: the upstream's TLS connection, nil on failure
	done    chan struct{} // closed when the session is being torn down
	doneMu  sync.Once
	linkWG  sync.WaitGroup
}

func newSession(p *Proxy, c net.Conn, n int) *session {
	now := time.Now()
	s := &session{
		p: p, number: n, start: now, raw: c, client: c, cwd: "/",
		upTLS:   p.upstreamTLS(),
		log:     p.log.With("session", n, "client", c.RemoteAddr().String()),
		upgrade: make(chan bool, 1), upReady: make(chan net.Conn, 1), done: make(chan struct{}),
	}
	s.rec = Session{Number: n, Client: c.RemoteAddr().String(), Started: now, Implicit: p.cfg.ImplicitTLS}
	return s
}

// snapshot copies the session's record.
func (s *session) snapshot() *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := s.rec
	cp.Exchanges = make([]*Exchange, len(s.rec.Exchanges))
	for i, e := range s.rec.Exchanges {
		ec := *e
		ec.Replies = append([]Reply(nil), e.Replies...)
		if e.Transfer != nil {
			tc := *e.Transfer
			tc.Data = append([]byte(nil), e.Transfer.Data...)
			ec.Transfer = &tc
		}
		cp.Exchanges[i] = &ec
	}
	return &cp
}

// setEnd records why the session ends; the first reason wins.
func (s *session) setEnd(reason string, upstreamClosed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rec.End == "" {
		s.rec.End = reason
		s.rec.UpstreamClosed = upstreamClosed
	}
}

// stop cuts the session from outside (the recording stops).
func (s *session) stop(reason string) {
	s.setEnd(reason, false)
	s.teardown()
}

// teardown closes both control connections and every data connection.
func (s *session) teardown() {
	s.doneMu.Do(func() { close(s.done) })
	s.mu.Lock()
	s.ended = true
	up := s.upRaw
	links := append([]*dataLink(nil), s.links...)
	s.mu.Unlock()
	_ = s.raw.Close()
	if up != nil {
		_ = up.Close()
	}
	for _, l := range links {
		l.cut()
	}
}

// run relays the session until either side ends it.
func (s *session) run() {
	defer func() {
		s.mu.Lock()
		s.rec.Ended = time.Now()
		s.mu.Unlock()
	}()
	if !s.connect() {
		s.teardown()
		return
	}
	s.mu.Lock()
	stopped := s.ended // the recording stopped while the upstream was dialled
	s.mu.Unlock()
	if stopped {
		s.teardown()
		return
	}
	clientDone := make(chan struct{})
	go func() {
		defer close(clientDone)
		s.clientLoop()
	}()
	s.replyLoop()
	// the upstream is done: the client gets what was relayed, then EOF
	_ = s.raw.Close()
	select {
	case <-clientDone:
	case <-time.After(5 * time.Second):
	}
	s.doneMu.Do(func() { close(s.done) })
	<-clientDone
	s.waitLinks()
	s.teardown()
}

// waitLinks lets data transfers in flight finish, for a while; a data
// address nobody connected to yet is closed.
func (s *session) waitLinks() {
	s.mu.Lock()
	for _, l := range s.links {
		_ = l.ln.Close()
	}
	s.mu.Unlock()
	finished := make(chan struct{})
	go func() {
		s.linkWG.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return
	case <-time.After(s.p.cfg.DataTimeout):
	}
	s.mu.Lock()
	links := append([]*dataLink(nil), s.links...)
	s.mu.Unlock()
	for _, l := range links {
		l.cut()
	}
	<-finished
}

// connect completes the client's implicit TLS handshake, if any, and
// connects to the upstream. A client the upstream cannot be reached for
// gets a 421 that says why (it is not part of the recording).
func (s *session) connect() bool {
	if s.p.cfg.ImplicitTLS {
		tc := tls.Server(s.raw, s.p.clientTLS)
		if err := handshake(tc); err != nil {
			s.setEnd("client TLS handshake failed: "+err.Error(), false)
			s.log.Warn("client TLS handshake failed", "err", err)
			return false
		}
		s.client = tc
	}
	up, err := net.DialTimeout("tcp", s.p.cfg.Upstream, s.p.cfg.DialTimeout)
	if err != nil {
		s.refuse(fmt.Sprintf("cannot reach the upstream server %s: %v", s.p.cfg.Upstream, err))
		return false
	}
	s.mu.Lock()
	s.upRaw, s.up = up, up
	s.mu.Unlock()
	if s.p.cfg.ImplicitTLS {
		tc := tls.Client(up, s.upTLS)
		if err := handshake(tc); err != nil {
			s.refuse(fmt.Sprintf("TLS handshake with the upstream server %s failed: %v", s.p.cfg.Upstream, err))
			return false
		}
		s.mu.Lock()
		s.up, s.tlsOn = tc, true
		s.mu.Unlock()
	}
	s.mu.Lock()
	greeting := &Exchange{Cwd: s.cwd, TLS: s.tlsOn}
	s.rec.Exchanges = append(s.rec.Exchanges, greeting)
	s.pending = append(s.pending, &pend{ex: greeting, sent: s.start})
	s.mu.Unlock()
	s.log.Debug("session relayed", "upstream", s.p.cfg.Upstream)
	return true
}

// refuse tells the client why the session cannot go on, and records it.
func (s *session) refuse(why string) {
	s.setEnd(why, true)
	s.log.Warn("session refused", "why", why)
	_ = s.client.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(s.client, "421 mockftpd record: "+why+"\r\n")
}

func handshake(c *tls.Conn) error {
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	err := c.Handshake()
	_ = c.SetDeadline(time.Time{})
	return err
}

// buffered returns a reader's leftovers in front of its connection.
func buffered(r *bufio.Reader, c net.Conn) net.Conn {
	if r.Buffered() == 0 {
		return c
	}
	b, _ := r.Peek(r.Buffered())
	return &prefixConn{Conn: c, r: io.MultiReader(bytes.NewReader(bytes.Clone(b)), c)}
}
