package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockftpd/mockftpd/scenario"
)

// pendingCmd is a command handed to the real server whose final reply has
// not arrived yet.
type pendingCmd struct {
	verb, arg string
	internal  bool // sent by the engine itself: its replies are not relayed
	entry     *Entry
	step      *scenario.Step // the step of the rule that fired, if any
	transfer  *transfer
	onFinal   func(r reply) // runs when the final reply arrives, before it is relayed
}

// session is the engine for one control connection: it reads the client's
// commands, asks the scenario, and either answers itself or hands the
// command to ftpserverlib, relaying (or rewriting) its replies.
//
// The engine has no goroutine of its own. ftpserverlib reads its control
// connection (an upstreamConn) when it wants the next command: inside that
// Read the engine reads the client's next line, answers it itself when the
// scenario says so, and returns the lines ftpserverlib is to see. Replies
// reach the engine as ftpserverlib's Writes, which relay them to the
// client at once. A command round trip thus costs what it costs
// ftpserverlib alone, plus the engine's own work; the ordering the engine
// guarantees (one final reply per command, no injected reply overtaking a
// reply still owed) comes from Read waiting while a reply is owed.
type session struct {
	srv    *Server
	log    atomic.Pointer[slog.Logger] // made at first use, see logger
	number int
	ip     string // the client's address, for the per-address limit
	rt     *scenario.Session

	up   upstreamConn // the control connection ftpserverlib is given
	addr sessionAddr  // the client's address as ftpserverlib sees it

	raw  net.Conn   // the client's TCP connection
	conn net.Conn   // raw, or TLS over raw
	wmu  sync.Mutex // guards conn's writes, wbuf and a TLS upgrade's change of conn
	wbuf []byte     // the reply being written
	in   lineReader // the client's lines; read inside upstreamRead (and its watcher)

	// state is held while a command or a reply is handled; it guards
	// the fields below. It is let go while the engine waits for the client
	// or for a reply.
	state      sync.Mutex
	upq        []byte // lines for ftpserverlib's next Read
	pending    []*pendingCmd
	user       string
	loggedIn   bool
	tlsControl bool
	protP      bool
	dataMode   string // last data channel command accepted: PASV, EPSV, PORT or EPRT
	stalled    bool
	clientGone bool
	goneAt     time.Time // when the client went, to bound finishing its commands
	ended      bool      // the engine ended the session: ftpserverlib reads EOF
	upClosed   bool      // ftpserverlib closed its end
	lastLine   time.Time // when the client's last line arrived, for the idle timeout

	parser replyParser // guarded by state: ftpserverlib writes from two goroutines
	// unjournaled is the current command's entry while it is not yet in the
	// journal: it goes in with its first reply, which spares the command's
	// round trip a journal lock, or before the session waits for anything
	// (journalNow), so that a command still owed a reply shows.
	unjournaled atomic.Pointer[Entry]

	kick    chan struct{} // a token when a reply was handled or the session is ending
	closing atomic.Bool   // the server shuts down: end once nothing is owed

	transfer atomic.Pointer[transfer] // the transfer under way, read by every reply
	mu       sync.Mutex               // guards active
	active   *activeProxy

	done       chan struct{}
	doneOnce   sync.Once
	finishOnce sync.Once
	wg         sync.WaitGroup // the session's own goroutines (active-mode proxies)
}

// matchConnect asks the scenario about the new connection.
func (s *session) matchConnect() (scenario.Decision, bool) {
	return s.rt.Match(scenario.Request{Event: scenario.EventConnect})
}

// greet prepares the greeting, which the real server sends first: a
// connect rule may script it (d, when fired). false means the session
// ends here.
func (s *session) greet(d scenario.Decision, fired bool) bool {
	s.state.Lock()
	defer s.state.Unlock()
	s.lastLine = time.Now()
	greet := &pendingCmd{verb: "<connect>"}
	greet.entry = s.newEntry("<connect>", "", s.lastLine)
	s.pending = append(s.pending, greet)
	if fired {
		s.fire(greet.entry, d)
		if !s.runStep(greet, d.Step, true) {
			s.ended = true
			return false
		}
	}
	return true
}

// upstreamRead is ftpserverlib reading its control connection, on its
// command goroutine. It returns the lines the engine passes on; to find
// them it reads the client's commands and handles each one, answering the
// scripted ones itself. io.EOF ends ftpserverlib's session.
func (s *session) upstreamRead(b []byte) (int, error) {
	s.state.Lock()
	defer s.state.Unlock()
	for {
		if len(s.upq) > 0 {
			n := copy(b, s.upq)
			if n == len(s.upq) {
				s.upq = s.upq[:0]
			} else {
				s.upq = s.upq[:copy(s.upq, s.upq[n:])]
			}
			return n, nil
		}
		if s.ended || s.isDone() {
			s.ended = true
			return 0, io.EOF
		}
		if s.clientGone || s.closing.Load() {
			// Like a real server, finish what the client sent (the journal
			// stays complete): a departed client for a bounded time, a
			// shutdown until its grace period ends.
			if len(s.pending) > 0 {
				var limit time.Time
				if s.clientGone {
					limit = s.goneAt.Add(s.srv.cfg.DataTimeout)
				}
				if !s.waitReply(limit) {
					s.end()
				}
				continue
			}
			if !s.clientGone && !s.stalled {
				s.send(newReply(421, "Server shutting down"))
			}
			s.end()
			continue
		}
		l, ok := s.nextLine()
		if !ok {
			s.end()
			continue
		}
		if l.err != nil {
			s.clientGone = true
			s.goneAt = time.Now()
			continue
		}
		// A command waits while the real server still owes a reply, except
		// ABOR, STAT and QUIT during a transfer, which it handles at once.
		for len(s.pending) > 0 && !s.ended && !s.closing.Load() &&
			!(len(s.pending) == 1 && s.pending[0].transfer != nil && isSpecial(l.text)) {
			if !s.waitReplyWatching() {
				s.end()
			}
		}
		if s.ended || s.stalled || s.closing.Load() {
			continue
		}
		if !s.handleLine(l) {
			s.end()
		}
	}
}

// nextLine reads the client's next line with the state let go (it holds
// it again on return). It enforces the idle timeout: false means the
// session must end (the client was told).
func (s *session) nextLine() (clientLine, bool) {
	s.journalNow()
	s.state.Unlock()
	for {
		l := s.in.readLine()
		if l.err == nil || !errors.Is(l.err, os.ErrDeadlineExceeded) {
			now := time.Now()
			s.state.Lock() // held on return
			s.lastLine = now
			if s.stalled && l.err == nil {
				s.state.Unlock()
				continue // a stalled session ignores the client
			}
			return l, true
		}
		// a deadline: the idle timeout, or a shutdown waking the reader
		if s.closing.Load() {
			s.state.Lock()
			return clientLine{}, true
		}
		s.state.Lock()
		busy := s.stalled || s.transferRunning() || s.ended
		last := s.lastLine
		s.state.Unlock()
		idle := s.idleTimeout()
		switch {
		case busy:
			last = time.Now()
		case time.Since(last) >= idle:
			secs := int(idle.Round(time.Second) / time.Second)
			s.send(newReply(421, fmt.Sprintf("command timeout (%d seconds): closing control connection", secs)))
			s.state.Lock()
			return clientLine{}, false
		}
		_ = s.raw.SetReadDeadline(last.Add(idle))
		if s.closing.Load() {
			s.state.Lock()
			return clientLine{}, true // the shutdown's deadline may have been overwritten
		}
	}
}

// armIdle starts the idle timeout's clock again (after a TLS handshake,
// which sets deadlines of its own).
func (s *session) armIdle() {
	_ = s.raw.SetReadDeadline(time.Now().Add(s.idleTimeout()))
}

// waitReply lets the state go until a reply was handled, the session ends,
// or limit (if set) passes; false when the session ended or limit passed.
func (s *session) waitReply(limit time.Time) bool {
	s.journalNow()
	s.state.Unlock()
	defer s.state.Lock()
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
	s.journalNow()
	if s.clientGone {
		return s.waitReply(s.goneAt.Add(s.srv.cfg.DataTimeout))
	}
	gone := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		if err := s.in.fill(); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			close(gone)
		}
	}()
	s.state.Unlock()
	ok, left := false, false
	select {
	case <-s.kick:
		ok = true
	case <-s.done:
	case <-gone:
		left = true
	}
	_ = s.raw.SetReadDeadline(time.Now()) // stop the watcher; nothing read is lost
	<-watched
	s.state.Lock()
	s.armIdle() // the client waited for a reply: it was not idle
	if s.closing.Load() {
		_ = s.raw.SetReadDeadline(time.Now()) // keep the shutdown's wake-up
	}
	if left {
		s.clientGone = true
		s.goneAt = time.Now()
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

// end ends the session from the engine's side (state held): the client's
// connection closes and ftpserverlib reads EOF.
func (s *session) end() {
	s.ended = true
	s.stop()
}

// upstreamWrite is ftpserverlib writing replies, from its command goroutine
// or a transfer's goroutine. Each complete reply is relayed (or rewritten)
// to the client before Write returns.
func (s *session) upstreamWrite(b []byte) (int, error) {
	var buf [2]reply
	s.state.Lock()
	rs, err := s.parser.feed(b, buf[:0])
	if tr := s.transfer.Load(); tr == nil || tr.relay == nil {
		// The usual case: no reply waits for an active-mode relay (see
		// gateReply), and only this session's reads start a transfer, under
		// the state held here.
		for _, r := range rs {
			if !s.ended && !s.onUpstreamReply(r) {
				s.end()
			}
		}
		s.state.Unlock()
		s.wroteUpstream(rs, err)
		return len(b), nil
	}
	s.state.Unlock()
	if err != nil {
		s.debugf("malformed reply from the FTP server", "err", err)
	}
	for _, r := range rs {
		if !s.gateReply(r) {
			continue
		}
		s.state.Lock()
		if !s.ended && !s.onUpstreamReply(r) {
			s.end()
		}
		s.state.Unlock()
		s.wake()
	}
	return len(b), nil
}

// wroteUpstream finishes an upstreamWrite that handled rs.
func (s *session) wroteUpstream(rs []reply, err error) {
	if err != nil {
		s.debugf("malformed reply from the FTP server", "err", err)
	}
	if len(rs) > 0 {
		s.wake()
	}
}

// upstreamClosed is ftpserverlib closing the connection (after QUIT, a
// failed login, an ended session...): all it said is relayed, so the
// session ends, unless the scenario stalls it: then it ends with the client.
func (s *session) upstreamClosed() {
	s.state.Lock()
	s.upClosed = true
	// (a server closing stops the session first: nothing to hold then,
	// and its upstreamRead may still be reading the client)
	hold := s.stalled && !s.ended && !s.clientGone && !s.isDone()
	s.state.Unlock()
	s.wake()
	if hold {
		go s.awaitClient()
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
}

func (s *session) idleTimeout() time.Duration {
	if sc := s.srv.runtime().Scenario(); sc != nil && sc.Settings.IdleTimeout > 0 {
		return sc.Settings.IdleTimeout.Std()
	}
	return s.srv.cfg.IdleTimeout
}

func isSpecial(line string) bool {
	verb, arg := splitCommand(line)
	return verb == "ABOR" || (verb == "STAT" && arg == "") || verb == "QUIT"
}

// splitCommand splits a command line into its upper-case verb and argument.
func splitCommand(line string) (string, string) {
	verb, arg, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	// Telnet "synch" leftovers before ABOR and friends (RFC 959 4.1.3)
	for _, special := range [...]string{"ABOR", "STAT", "QUIT"} {
		if len(verb) > len(special) && strings.HasSuffix(verb, special) {
			verb = special
		}
	}
	return verb, arg
}

// handleLine processes one client command; false ends the session.
func (s *session) handleLine(l clientLine) bool {
	if l.tooLong {
		e := s.newEntry("<too-long>", "", s.lastLine)
		s.answer(e, newReply(500, "Command line too long"))
		return true
	}
	verb, arg := splitCommand(l.text)
	if verb == "" {
		e := s.newEntry("", "", s.lastLine)
		s.answer(e, newReply(500, "Empty command"))
		return true
	}
	// the entry joins the journal later (see unjournaled), unless a rule fires
	e := &Entry{Session: s.number, Time: s.lastLine, User: s.user, Command: verb, Arg: arg}
	if s.unjournaled.Load() != nil {
		s.journalNow() // (nextLine did already: the last command is in)
	}
	s.unjournaled.Store(e)
	if s.debug() {
		shown := arg
		if verb == "PASS" {
			shown = "****"
		}
		s.debugf("command", "verb", verb, "arg", shown)
	}
	cmd := &pendingCmd{verb: verb, arg: arg, entry: e}
	authTLS := verb == "AUTH" && s.srv.cfg.TLS != TLSNone
	ok := true
	if d, fired := s.rt.Match(scenario.Request{Event: scenario.EventCommand, Verb: verb, Arg: arg, User: s.user}); fired {
		s.journalNow()
		s.fire(e, d)
		ok = s.runStep(cmd, d.Step, false)
		if authTLS && ok && !s.tlsControl && lastCode(e) == 234 {
			// a scripted 234 means what it says: the client starts TLS now
			cfg, err := s.srv.tls.get()
			if err != nil {
				return false
			}
			return s.startTLS(cfg, false)
		}
	} else {
		ok = s.defaultCommand(cmd)
	}
	return ok
}

// lastCode is the code of the last reply recorded for e. Only the
// session's own goroutine writes e, so it may read it without the lock.
func lastCode(e *Entry) int {
	if len(e.Codes) == 0 {
		return 0
	}
	return e.Codes[len(e.Codes)-1]
}

func (s *session) fire(e *Entry, d scenario.Decision) {
	label := d.Rule.Label()
	s.srv.journal.update(e, func() { e.Rule = label })
	s.debugf("rule fired", "rule", label, "fire", d.Fire)
}

// runStep carries out one scripted step for cmd; connect is true for the
// greeting. It returns false when the session must end.
func (s *session) runStep(cmd *pendingCmd, st *scenario.Step, connect bool) bool {
	if st == nil {
		return s.defaultCommand(cmd)
	}
	if connect && st.Preliminary != nil {
		// the greeting has no 1xx of its own: a scripted one comes first,
		// then the delay, then the greeting (e.g. 120, a pause, 220)
		s.answer(cmd.entry, fromScenario(*st.Preliminary))
	}
	if !s.sleep(s.srv.runtime().Delay(st.Delay)) {
		return false
	}
	cmd.step = st
	if len(st.Replies) > 0 || (!st.Pass && st.Then != scenario.ThenContinue && st.Preliminary == nil && st.Final == nil && st.Data == nil) {
		if connect {
			// the real greeting is swallowed: the scripted replies replace it
			cmd.internal = true
		}
		for _, r := range st.Replies {
			s.answer(cmd.entry, fromScenario(r))
		}
		if !connect {
			s.scriptedLogin(cmd, st.Replies)
		}
		if !s.applyThen(st.Then) {
			return false
		}
		if !st.Pass {
			return true
		}
	}
	if connect {
		return true // the real greeting comes in due course, rewritten if scripted
	}
	return s.defaultCommand(cmd)
}

// applyThen ends a step: close, reset or stall the control connection.
func (s *session) applyThen(t scenario.Then) bool {
	switch t {
	case scenario.ThenClose:
		return false
	case scenario.ThenReset:
		resetConn(s.raw)
		return false
	case scenario.ThenStall:
		s.stalled = true
		s.debugf("stalled by scenario")
	}
	return true
}

// resetConn makes the next close send a TCP RST instead of a FIN.
func resetConn(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// scriptedLogin keeps the real server in step with a scripted login: a
// scripted 230 logs the session in for real, so the client can go on.
func (s *session) scriptedLogin(cmd *pendingCmd, replies []scenario.Reply) {
	final := 0
	for _, r := range replies {
		if c := fromScenario(r).code; c >= 200 {
			final = c
		}
	}
	switch cmd.verb {
	case "USER":
		s.user = cmd.arg
		s.srv.journal.update(cmd.entry, func() { cmd.entry.User = s.user })
		if !s.loggedIn {
			// the real server must know the user for a PASS that is passed on
			s.forward(&pendingCmd{verb: "USER", arg: cmd.arg, internal: true}, "USER "+cmd.arg)
		}
	}
	if (final == 230 || final == 232) && !s.loggedIn && (cmd.verb == "USER" || cmd.verb == "PASS" || cmd.verb == "ACCT" || cmd.verb == "ADAT") {
		user := s.user
		if user == "" {
			user = "anonymous"
			s.user = user
		}
		if cmd.verb != "USER" {
			s.forward(&pendingCmd{verb: "USER", arg: user, internal: true}, "USER "+user)
		}
		s.forward(&pendingCmd{verb: "PASS", internal: true, onFinal: func(r reply) {
			if r.code == 230 {
				s.loggedIn = true
			}
		}}, "PASS "+s.srv.token)
		s.loggedIn = true
	}
}

// defaultCommand does what a correct FTP server does with cmd: mostly hand
// it to ftpserverlib, with the few commands the engine owns (TLS, data
// addresses) and the scenario's settings.
func (s *session) defaultCommand(cmd *pendingCmd) bool {
	st := cmd.step
	set := s.srv.runtime().Scenario().Settings
	if isDisabled(set, cmd.verb) {
		s.answer(cmd.entry, newReply(502, "Command not implemented"))
		return true
	}
	switch cmd.verb {
	case "AUTH":
		return s.handleAUTH(cmd)
	case "FEAT":
		if len(set.Features) > 0 {
			s.finalReply(cmd, featReply(set.Features))
			return true
		}
	case "SYST":
		if set.Syst != "" {
			s.finalReply(cmd, newReply(215, set.Syst))
			return true
		}
	case "USER":
		s.user = cmd.arg
		s.srv.journal.update(cmd.entry, func() { cmd.entry.User = s.user })
		cmd.onFinal = func(r reply) {
			if r.code == 230 {
				s.loggedIn = true
			}
		}
	case "PASS":
		cmd.onFinal = func(r reply) {
			if r.code == 230 {
				s.loggedIn = true
			}
		}
	case "PROT":
		level := strings.ToUpper(strings.TrimSpace(cmd.arg))
		if level == "P" || level == "C" {
			cmd.onFinal = func(r reply) {
				if r.code/100 == 2 {
					s.protP = level == "P"
				}
			}
			// the engine owns TLS on data connections: the real server always sees clear
			return s.forward(cmd, "PROT C")
		}
	case "PASV", "EPSV":
		s.closeActive()
		cmd.onFinal = func(r reply) { s.bindPassive(cmd, r) }
	case "PORT", "EPRT":
		return s.handlePORT(cmd)
	case "ABOR":
		s.abortTransfer()
	case "RETR", "STOR", "APPE", "STOU", "LIST", "NLST", "MLSD":
		var fault *scenario.DataFault
		if st != nil {
			fault = st.Data
		}
		if fault != nil && fault.Refuse == scenario.Refuse425 {
			return s.refuse425(cmd, fault)
		}
		if s.loggedIn {
			cmd.transfer = s.startTransfer(cmd, fault)
		}
	}
	return s.forward(cmd, joinCommand(cmd.verb, cmd.arg))
}

func joinCommand(verb, arg string) string {
	if arg == "" {
		return verb
	}
	return verb + " " + arg
}

func featReply(features []string) reply {
	lines := make([]string, 0, len(features)+2)
	lines = append(lines, "211-Features:")
	for _, f := range features {
		lines = append(lines, " "+f)
	}
	lines = append(lines, "211 End")
	return reply{code: 211, lines: lines}
}

// handleAUTH answers AUTH TLS itself and terminates TLS on the control
// connection, so that scripted replies keep working on FTPS sessions.
func (s *session) handleAUTH(cmd *pendingCmd) bool {
	if s.srv.cfg.TLS == TLSNone {
		return s.forward(cmd, joinCommand(cmd.verb, cmd.arg))
	}
	mech := strings.ToUpper(strings.TrimSpace(cmd.arg))
	switch {
	case s.tlsControl:
		s.finalReply(cmd, newReply(503, "Already using TLS"))
		return true
	case mech != "TLS" && mech != "TLS-C" && mech != "SSL" && mech != "TLS-P":
		s.finalReply(cmd, newReply(504, "AUTH type not supported"))
		return true
	}
	cfg, err := s.srv.tls.get()
	if err != nil {
		s.finalReply(cmd, newReply(431, "TLS is not available: "+err.Error()))
		return true
	}
	r := newReply(234, "AUTH command ok. Expecting TLS Negotiation.")
	if cmd.step != nil && cmd.step.Final != nil {
		r = fromScenario(*cmd.step.Final)
	}
	s.finalReply(cmd, r)
	if r.code != 234 {
		return true
	}
	return s.startTLS(cfg, mech == "TLS-P" || mech == "SSL")
}

// startTLS upgrades the control connection; the line reader goes on on it.
func (s *session) startTLS(cfg *tls.Config, protP bool) bool {
	// the handshake reads through the line reader: the client may have
	// sent its ClientHello right behind the AUTH line
	prev := new(lineReader)
	*prev = s.in // what it holds is read first; s.in changes below
	tc := tls.Server(&bufferedConn{Conn: s.raw, r: prev}, cfg)
	_ = s.raw.SetDeadline(time.Now().Add(s.srv.cfg.DataTimeout))
	if err := tc.Handshake(); err != nil {
		s.debugf("TLS handshake failed", "err", err)
		return false
	}
	_ = s.raw.SetDeadline(time.Time{})
	s.armIdle()
	s.wmu.Lock()
	s.conn = tc
	s.wmu.Unlock()
	s.tlsControl = true
	if protP {
		s.protP = true
	}
	s.in = newLineReader(tc, s.srv.cfg.MaxLineLength+2)
	return true
}

// bufferedConn reads first what the line reader already holds.
type bufferedConn struct {
	net.Conn
	r io.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// forward hands a command line to the real server: its next Read returns
// it. Only upstreamRead's goroutine forwards (ftpserverlib is reading).
func (s *session) forward(cmd *pendingCmd, line string) bool {
	if s.upClosed {
		return false
	}
	s.pending = append(s.pending, cmd)
	s.upq = append(s.upq, line...)
	s.upq = append(s.upq, '\r', '\n')
	return true
}

// route finds which pending command a reply from the real server answers:
// the oldest, except that a server STAT answered during a transfer
// overtakes it.
func (s *session) route(r reply) int {
	if len(s.pending) > 1 && (r.code == 211 || r.code == 212 || r.code == 213) {
		for i, p := range s.pending {
			if p.verb == "STAT" && p.arg == "" {
				return i
			}
		}
	}
	return 0
}

// onUpstreamReply relays (or rewrites) one reply of the real server.
func (s *session) onUpstreamReply(r reply) bool {
	if len(s.pending) == 0 {
		// unsolicited: relay it as it is
		if !s.stalled {
			s.send(r)
		}
		return true
	}
	i := s.route(r)
	cmd := s.pending[i]
	if r.preliminary() {
		if cmd.internal || s.stalled {
			return true
		}
		if tr := cmd.transfer; tr != nil && tr.fault != nil {
			if !s.sleep(s.srv.runtime().Delay(tr.fault.DelayPreliminary)) {
				return false
			}
		}
		if cmd.step != nil && cmd.step.Preliminary != nil {
			r = fromScenario(*cmd.step.Preliminary)
		}
		s.answer(cmd.entry, r)
		return true
	}
	s.pending = append(s.pending[:i], s.pending[i+1:]...)
	if cmd.onFinal != nil {
		cmd.onFinal(r)
	}
	if cmd.internal || s.stalled {
		return true
	}
	send := true
	if tr := cmd.transfer; tr != nil {
		var ok bool
		if r, send, ok = s.endTransfer(tr, r); !ok {
			return false
		}
	}
	if cmd.verb == "FEAT" && r.code == 211 {
		r = s.filterFeatures(r)
	}
	if (cmd.verb == "PASV" || cmd.verb == "EPSV") && cmd.step != nil && cmd.step.Data != nil {
		r = rewritePassive(r, cmd.step.Data)
	}
	if cmd.step != nil && cmd.step.Final != nil {
		r = fromScenario(*cmd.step.Final)
		send = true
	}
	if send {
		s.answer(cmd.entry, r)
	}
	if !send || r.preliminary() {
		s.completeEntry(cmd.entry) // answer dated the entry otherwise
	}
	if cmd.step != nil && cmd.step.Then != scenario.ThenContinue && cmd.step.Pass {
		return s.applyThen(cmd.step.Then)
	}
	return true
}

// filterFeatures drops the FEAT lines of the commands the scenario
// disables (REST STREAM with REST).
func (s *session) filterFeatures(r reply) reply {
	set := s.srv.runtime().Scenario().Settings
	out := reply{code: r.code, lines: make([]string, 0, len(r.lines))}
	for i, l := range r.lines {
		if i > 0 && i < len(r.lines)-1 {
			word, _, _ := strings.Cut(strings.TrimSpace(l), " ")
			word = strings.ToUpper(word)
			if isDisabled(set, word) {
				continue
			}
		}
		out.lines = append(out.lines, l)
	}
	return out
}

// finalReply answers cmd without the real server.
func (s *session) finalReply(cmd *pendingCmd, r reply) {
	if cmd.step != nil && cmd.step.Final != nil && cmd.verb != "AUTH" {
		r = fromScenario(*cmd.step.Final)
	}
	s.answer(cmd.entry, r)
	if r.preliminary() {
		s.completeEntry(cmd.entry) // answer dated the entry otherwise
	}
}

// answer records a reply in the journal and sends it to the client.
// The journal has the reply before the client can read it: a test that
// checks the journal once its client got an answer sees that answer.
func (s *session) answer(e *Entry, r reply) {
	switch {
	case e == nil:
	case s.unjournaled.CompareAndSwap(e, nil):
		s.srv.journal.addReplied(e, r)
	default:
		s.srv.journal.replied(e, r)
	}
	s.send(r)
	s.srv.journal.sealIfDue() // off the round trip: the reply is sent
}

// journalNow puts the current command's entry in the journal if it is not
// there yet.
func (s *session) journalNow() {
	if e := s.unjournaled.Swap(nil); e != nil {
		s.srv.journal.add(e)
	}
}

func (s *session) completeEntry(e *Entry) {
	if e == nil {
		return
	}
	s.srv.journal.update(e, func() {
		if e.Done.IsZero() {
			e.Done = time.Now()
		}
	})
}

// send writes one reply to the client.
func (s *session) send(r reply) {
	s.wmu.Lock()
	s.wbuf = r.appendWire(s.wbuf[:0])
	if s.debug() {
		s.debugf("reply", "text", string(bytes.TrimRight(s.wbuf, "\r\n")))
	}
	_, err := s.conn.Write(s.wbuf)
	if cap(s.wbuf) > 4096 {
		s.wbuf = nil // a long reply's buffer is not kept by an idle session
	}
	s.wmu.Unlock()
	if err != nil {
		s.debugf("client write failed", "err", err)
	}
}

// newEntry journals a command (or event) that arrived at t.
func (s *session) newEntry(verb, arg string, t time.Time) *Entry {
	e := &Entry{Session: s.number, Time: t, User: s.user, Command: verb, Arg: arg}
	s.srv.journal.add(e)
	return e
}

// sleep waits d, or less when the session ends; false if it ended.
func (s *session) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	s.journalNow()
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

// isDisabled reports whether the scenario's settings switch verb off.
func isDisabled(set scenario.Settings, verb string) bool {
	for _, d := range set.Disable {
		if strings.EqualFold(d, verb) {
			return true
		}
	}
	return false
}

// stop ends the session's connections and wakes everything waiting on it;
// safe to call twice.
func (s *session) stop() {
	s.doneOnce.Do(func() {
		close(s.done)
		_ = s.raw.Close() // first: it ends a write blocked on a client that does not read
		s.wmu.Lock()
		c := s.conn // changed under wmu by a TLS upgrade
		s.wmu.Unlock()
		_ = c.Close()
	})
}

// finish releases everything the session holds, once ftpserverlib is done
// with it (or never got it).
func (s *session) finish() {
	s.finishOnce.Do(func() {
		s.journalNow()
		s.endAllTransfers()
		s.closeActive()
		s.stop()
		s.wg.Wait()
		s.srv.sessionEnded(s)
		s.srv.wg.Done()
	})
}

// parsePassivePort reads the port of a 227 or 229 reply.
func parsePassivePort(r reply) (int, bool) {
	t := r.text()
	switch r.code {
	case 227:
		open, close := strings.IndexByte(t, '('), strings.IndexByte(t, ')')
		if open < 0 || close < open {
			return 0, false
		}
		f := strings.Split(t[open+1:close], ",")
		if len(f) != 6 {
			return 0, false
		}
		p1, e1 := strconv.Atoi(strings.TrimSpace(f[4]))
		p2, e2 := strconv.Atoi(strings.TrimSpace(f[5]))
		if e1 != nil || e2 != nil {
			return 0, false
		}
		return p1<<8 | p2, true
	case 229:
		open := strings.Index(t, "(|||")
		if open < 0 {
			return 0, false
		}
		rest := t[open+4:]
		end := strings.IndexByte(rest, '|')
		if end < 0 {
			return 0, false
		}
		p, err := strconv.Atoi(rest[:end])
		return p, err == nil
	}
	return 0, false
}

// implicitTLS does the TLS handshake of an implicit FTPS connection.
func (s *session) implicitTLS() bool {
	cfg, err := s.srv.tls.get()
	if err != nil {
		s.logger().Warn("implicit TLS unavailable", "err", err)
		return false
	}
	tc := tls.Server(s.raw, cfg)
	_ = s.raw.SetDeadline(time.Now().Add(s.srv.cfg.DataTimeout))
	if err := tc.Handshake(); err != nil {
		s.debugf("TLS handshake failed", "err", err)
		return false
	}
	_ = s.raw.SetDeadline(time.Time{})
	s.armIdle()
	s.wmu.Lock()
	s.conn = tc
	s.wmu.Unlock()
	s.tlsControl = true
	s.in = newLineReader(tc, s.srv.cfg.MaxLineLength+2)
	return true
}
