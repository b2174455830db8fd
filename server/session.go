package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/mockftpd/mockftpd/internal/rules"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// session is the engine for one control connection: it reads the client's
// commands, asks the rules, and either answers itself or hands the command
// to ftpserverlib, relaying (or rewriting) its replies.
//
// The engine has no goroutine of its own. ftpserverlib reads its control
// connection (an upstreamConn) when it wants the next command: inside that
// Read the engine reads the client's next line, answers it itself when the
// scenario or the engine's own commands say so (commands.go, script.go),
// and returns the lines ftpserverlib is to see. Replies reach the engine as
// ftpserverlib's Writes (relay.go), which relay them to the client at once.
// The ordering the engine guarantees (one final reply per command, no reply
// overtaking one still owed) comes from Read waiting while a reply is owed.
//
// mu guards the session's protocol state and the client connection's
// writes; every function takes and lets go of it itself (functions named
// ...Locked are called with it held and never let it go). Nothing waits
// with it held but a write to the client.
type session struct {
	srv    *Server
	number int
	ip     string // the client's address, for the per-address limit
	began  time.Time
	rt     *rules.Session
	raw    net.Conn // the client's TCP connection
	up     upstreamConn
	addr   sessionAddr
	// in is the client's lines; only ftpserverlib's command goroutine
	// reads it, inside Read (and the watcher it starts while it waits).
	in  lineReader
	log atomic.Pointer[slog.Logger] // made at first use, see logger

	mu         sync.Mutex
	conn       net.Conn // raw, or TLS over raw: where replies are written
	wbuf       []byte   // the reply being written
	upq        []byte   // lines for ftpserverlib's next Read
	pending    []*command
	parser     replyParser
	cc         ftpserver.ClientContext // ftpserverlib's view, for the working directory
	user       string                  // the user rules and the journal see
	userArg    string                  // the name given with the last USER
	loggedIn   bool
	tlsControl bool
	protP      bool
	dataMode   string        // the last data channel command accepted: PASV, EPSV, PORT or EPRT
	dataLn     *dataListener // the passive listener the last PASV/EPSV bound to the session
	stalled    bool
	clientGone bool
	goneAt     time.Time // when the client went, to bound finishing its commands
	ended      bool      // the engine ended the session: ftpserverlib reads EOF
	endReason  string    // why the session ends (the first reason given)
	hungUp     hangUp    // how the client connection was ended so far
	upClosed   bool      // ftpserverlib closed its end
	lastLine   time.Time // when the client's last line arrived, for the idle timeout
	transfer   *transfer // the transfer command under way
	dia        dialectState

	kick       chan struct{} // a token when a reply was handled or the session is ending
	closing    atomic.Bool   // the server shuts down: end once nothing is owed
	done       chan struct{} // closed when the client connection is being closed
	doneOnce   sync.Once
	finishOnce sync.Once
}

// hangUp is how the client connection was ended.
type hangUp int

const (
	notHungUp hangUp = iota
	closeFIN         // shut for writing; what the client still sends is read and dropped
	closeRST         // reset
	closeNow         // closed at once (the server stops)
)

// step is what upstreamRead does next.
type step int

const (
	stepLines step = iota // ftpserverlib gets lines
	stepEOF               // ftpserverlib's session ends
	stepOwed              // wait for replies owed to a departed client or at shutdown
	stepRead              // read the client's next line
)

// upstreamRead is ftpserverlib reading its control connection, on its
// command goroutine. It returns the lines the engine passes on; to find
// them it reads the client's commands and handles each one. io.EOF ends
// ftpserverlib's session.
func (s *session) upstreamRead(b []byte) (int, error) {
	for {
		n, next := s.next(b)
		switch next {
		case stepLines:
			return n, nil
		case stepEOF:
			return 0, io.EOF
		case stepOwed:
			s.awaitOwed()
		case stepRead:
			if l, ok := s.readLine(); ok {
				s.take(l)
			}
		}
	}
}

// next decides what upstreamRead does: hand over queued lines, end, wait
// for what is owed, or read the client.
func (s *session) next(b []byte) (int, step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.upq) > 0 {
		n := copy(b, s.upq)
		s.upq = s.upq[:copy(s.upq, s.upq[n:])]
		return n, stepLines
	}
	if s.ended || s.isDone() {
		s.ended = true
		return 0, stepEOF
	}
	if s.clientGone || s.closing.Load() {
		// Like a real server, finish what the client sent (the journal
		// stays complete): a departed client's commands for a bounded
		// time, a shutdown's until its grace period ends.
		if len(s.pending) > 0 {
			return 0, stepOwed
		}
		reason := journal.ReasonClientClosed
		if !s.clientGone {
			reason = journal.ReasonShutdown
			if !s.stalled {
				s.emitLocked(nil, newReply(421, "Server shutting down"))
			}
		}
		s.endLocked(reason, closeFIN)
		return 0, stepEOF
	}
	s.journalPendingLocked() // a command still owed a reply shows while the client is read
	return 0, stepRead
}

// awaitOwed waits for a reply owed to a departed client (for at most the
// data timeout) or at shutdown (until the server closes).
func (s *session) awaitOwed() {
	s.mu.Lock()
	var limit time.Time
	if s.clientGone {
		limit = s.goneAt.Add(s.srv.cfg.DataTimeout)
	}
	s.mu.Unlock()
	if !s.waitReply(limit) {
		s.end(journal.ReasonClientClosed, closeFIN)
	}
}

// readLine reads the client's next line and enforces the idle timeout;
// false when there is no line to handle (the client went, the session
// ends, or a stalled session ignored it).
func (s *session) readLine() (clientLine, bool) {
	for {
		l := s.in.readLine()
		if l.err == nil || !errors.Is(l.err, os.ErrDeadlineExceeded) {
			now := time.Now()
			s.mu.Lock()
			s.lastLine = now
			stalled := s.stalled
			if l.err != nil {
				s.clientGone, s.goneAt = true, now
			}
			s.mu.Unlock()
			if l.err != nil {
				return l, false
			}
			if stalled {
				continue // a stalled session ignores the client
			}
			return l, true
		}
		// a deadline: the idle timeout, or a shutdown or a hang-up waking the reader
		if s.closing.Load() || s.isDone() {
			return clientLine{}, false
		}
		if !s.checkIdle() {
			return clientLine{}, false
		}
	}
}

// checkIdle ends an idle session with 421, or sets the read deadline for
// the next check; false when it ended the session.
func (s *session) checkIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	idle := s.srv.effective().idle
	last := s.lastLine
	switch {
	case s.stalled || s.transfer != nil || s.ended:
		last = time.Now()
	case time.Since(last) >= idle:
		secs := int(idle.Round(time.Second) / time.Second)
		s.emitLocked(nil, newReply(421, fmt.Sprintf("command timeout (%d seconds): closing control connection", secs)))
		s.endLocked(journal.ReasonIdle, closeFIN)
		return false
	}
	_ = s.raw.SetReadDeadline(last.Add(idle))
	if s.closing.Load() {
		_ = s.raw.SetReadDeadline(time.Now()) // keep the shutdown's wake-up
	}
	return true
}

// armIdle starts the idle timeout's clock again (after a TLS handshake,
// which sets deadlines of its own, or a wait for a reply).
func (s *session) armIdle() {
	_ = s.raw.SetReadDeadline(time.Now().Add(s.srv.effective().idle))
	if s.closing.Load() {
		_ = s.raw.SetReadDeadline(time.Now())
	}
}

// take handles a client line once no reply is owed, except ABOR, STAT and
// QUIT during a transfer, which ftpserverlib handles at once.
func (s *session) take(l clientLine) {
	for {
		s.mu.Lock()
		stop := s.ended || s.stalled || s.closing.Load() || s.isDone()
		owed := len(s.pending) > 0 && !(len(s.pending) == 1 && s.pending[0].transfer != nil && isSpecial(l.text))
		s.mu.Unlock()
		if stop {
			return
		}
		if !owed {
			break
		}
		if !s.waitReplyWatching() {
			s.end(journal.ReasonClientClosed, closeFIN)
			return
		}
	}
	s.handleLine(l)
}

// waitReply waits until a reply was handled, the session ends, or limit (if
// set) passes; false when the session ended or limit passed.
func (s *session) waitReply(limit time.Time) bool {
	var timeout <-chan time.Time
	if !limit.IsZero() {
		t := time.NewTimer(time.Until(limit))
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-s.kick:
		return true
	case <-s.done:
	case <-timeout:
	}
	return false
}

// waitReplyWatching is waitReply for a client line that must wait for a
// reply still owed (a command sent during a transfer): meanwhile a
// goroutine reads on into the line reader's buffer, so that a client that
// goes away is noticed. Its commands are then finished like those of any
// departed client, for at most the data timeout.
func (s *session) waitReplyWatching() bool {
	s.mu.Lock()
	s.journalPendingLocked()
	gone, goneAt := s.clientGone, s.goneAt
	s.mu.Unlock()
	if gone {
		return s.waitReply(goneAt.Add(s.srv.cfg.DataTimeout))
	}
	left := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		if err := s.in.fill(); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			close(left)
		}
	}()
	ok, departed := false, false
	select {
	case <-s.kick:
		ok = true
	case <-s.done:
	case <-left:
		departed = true
	}
	_ = s.raw.SetReadDeadline(time.Now()) // stop the watcher; nothing read is lost
	<-watched
	s.armIdle() // the client waited for a reply: it was not idle
	if departed {
		s.mu.Lock()
		s.clientGone, s.goneAt = true, time.Now()
		s.mu.Unlock()
		return true // upstreamRead waits on, bounded by the data timeout
	}
	return ok
}

func (s *session) isDone() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// wake tells a waiting upstreamRead that something changed.
func (s *session) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// beginClose is the server shutting down: the session ends once the real
// server owes nothing.
func (s *session) beginClose() {
	s.closing.Store(true)
	_ = s.raw.SetReadDeadline(time.Now()) // wake a read of the client
	s.wake()
}

// end ends the session from the engine's side; see endLocked.
func (s *session) end(reason string, how hangUp) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endLocked(reason, how)
}

// endLocked ends the session for reason (the first reason given is the
// one journaled): ftpserverlib reads EOF, and the client connection ends
// as how says (closeFIN lets the last replies arrive and drains the
// client's last bytes when the session finishes; closeRST resets it now).
func (s *session) endLocked(reason string, how hangUp) {
	s.ended = true
	if s.endReason == "" {
		s.endReason = reason
	}
	if s.hungUp != notHungUp {
		return
	}
	s.hungUp = how
	switch how {
	case closeRST:
		resetConn(s.raw)
	case closeFIN:
		// the FIN goes now, after the last reply; the client's last bytes
		// are read when the session finishes (see finish)
		if tc, ok := s.conn.(interface{ CloseWrite() error }); ok && s.conn != s.raw {
			_ = s.raw.SetWriteDeadline(time.Now().Add(time.Second))
			_ = tc.CloseWrite() // TLS close_notify
		}
		if tc, ok := s.raw.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		} else {
			_ = s.raw.Close()
		}
		_ = s.raw.SetReadDeadline(time.Now()) // wake a read of the client
	}
	s.doneOnce.Do(func() { close(s.done) })
}

// resetConn makes the next close send a TCP RST instead of a FIN.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// stop closes the client connection at once (the server stops); safe to
// call twice.
func (s *session) stop() {
	// first, without the lock: a write blocked on a client that does not
	// read holds it, and this ends the write
	_ = s.raw.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.endReason == "" {
		s.endReason = journal.ReasonShutdown
	}
	s.ended = true
	if s.hungUp == notHungUp || s.hungUp == closeFIN {
		s.hungUp = closeNow
	}
	s.doneOnce.Do(func() { close(s.done) })
}

// upstreamClosed is ftpserverlib closing the connection (after QUIT, a
// failed login, an ended session...): all it said is relayed, so the
// session ends, unless the scenario stalls it: then it ends with the client.
func (s *session) upstreamClosed() {
	s.mu.Lock()
	s.upClosed = true
	hold := s.stalled && !s.ended && !s.clientGone && !s.isDone()
	s.mu.Unlock()
	s.wake()
	if hold {
		s.srv.wg.Add(1)
		go func() {
			defer s.srv.wg.Done()
			s.awaitClient()
		}()
		return
	}
	s.finish()
}

// awaitClient keeps a stalled session's connection until the client
// closes it (or the server stops), reading and ignoring what it sends.
func (s *session) awaitClient() {
	defer s.finish()
	_ = s.raw.SetReadDeadline(time.Time{})
	for s.in.readLine().err == nil {
	}
	s.end(journal.ReasonClientClosed, closeNow)
}

// finish releases everything the session holds once ftpserverlib is done
// with it (or never got it): the transfer under way, the journal's
// <disconnect> entry, the client connection.
func (s *session) finish() {
	s.finishOnce.Do(func() {
		s.mu.Lock()
		s.journalPendingLocked()
		reason := s.endReason
		switch {
		case reason != "":
		case s.clientGone:
			reason = journal.ReasonClientClosed
		case s.closing.Load():
			reason = journal.ReasonShutdown
		default:
			reason = journal.ReasonServerClosed
		}
		s.endReason = reason
		tr := s.transfer
		s.transfer = nil
		if s.hungUp == notHungUp {
			s.endLocked(reason, closeFIN)
		}
		how := s.hungUp
		user := s.user
		s.mu.Unlock()
		if tr != nil {
			s.abandon(tr, reason)
		}
		now := time.Now()
		s.srv.journal.Add(&journal.Entry{Session: s.number, Time: now, User: user, Command: journal.Disconnect, Reason: reason, Done: now})
		if s.srv.cfg.Logger.Enabled(context.Background(), slog.LevelInfo) {
			s.logger().Info("session ended", "reason", reason, "user", user, "duration", now.Sub(s.began).Round(time.Millisecond).String())
		}
		s.srv.sessionEnded(s) // Sessions no longer counts it; Close still stops the drain
		if how == closeFIN {
			s.drain()
		}
		_ = s.raw.Close()
		s.srv.sessionGone(s)
		s.srv.wg.Done()
	})
}

// Bounds of what a closed session still reads from its client.
const (
	drainBytes = 256 << 10
	drainTime  = time.Second
)

// drain reads and drops what the client still sends after the session
// shut the connection for writing, until it closes its side or a bound
// passes: closing with unread bytes would send a TCP RST, and the client
// could lose the last replies.
func (s *session) drain() {
	if _, ok := s.raw.(*net.TCPConn); !ok {
		return
	}
	_ = s.raw.SetReadDeadline(time.Now().Add(drainTime))
	_, _ = io.CopyN(io.Discard, s.raw, drainBytes)
}

// logger is the session's logger, made when first needed: most sessions
// never log, and a logger with attributes costs a few allocations.
func (s *session) logger() *slog.Logger {
	if l := s.log.Load(); l != nil {
		return l
	}
	l := s.srv.cfg.Logger.With("session", s.number, "client", s.raw.RemoteAddr().String())
	if !s.log.CompareAndSwap(nil, l) {
		return s.log.Load()
	}
	return l
}

// debugf logs at debug level, when that is on.
func (s *session) debugf(msg string, args ...any) {
	if s.debug() {
		s.logger().Debug(msg, args...)
	}
}

func (s *session) debug() bool {
	return s.srv.cfg.Logger.Enabled(context.Background(), slog.LevelDebug)
}

// sleep waits d, or less when the session ends; false if it ended.
func (s *session) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.done:
		return false
	case <-s.srv.closed:
		return false
	}
}

// isDisabled reports whether the scenario's settings switch verb off.
func isDisabled(set *scenario.Settings, verb string) bool {
	for _, d := range set.Disable {
		if strings.EqualFold(d, verb) {
			return true
		}
	}
	return false
}
