package server

import (
	"slices"
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// command is one client command (or the greeting, journal.Connect) the
// session handles: its journal entry, what the scenario scripted for it,
// and what the engine does with its replies. The session's lock guards it
// once it is pending.
type command struct {
	verb, arg string
	// entry is the journal entry until it is journaled (with its first
	// reply, or when the session waits on it); ref names it from then on.
	entry     *journal.Entry
	ref       journal.Ref
	journaled bool
	answered  bool           // its final reply is recorded (and dated)
	step      *scenario.Step // the step of the rule that fired, if any
	internal  bool           // the engine's own command to ftpserverlib: its replies are not relayed
	finalUsed bool           // the step's final reply was used already (AUTH)
	own       bool           // the engine's own complete answer: no dialect rewrites it
	completed bool
	transfer  *transfer
	// final, when set, runs (the lock held) on ftpserverlib's final reply
	// before anything else and returns the reply to go on with: the
	// engine's own reactions (login, data channel bindings, PORT's answer).
	final func(r reply) reply
	info  *journal.Transfer // the transfer's record, journaled with the final reply
}

// upstreamWrite is ftpserverlib writing replies, from its command goroutine
// or a transfer's goroutine. Each complete reply is relayed (or rewritten)
// to the client before Write returns.
func (s *session) upstreamWrite(b []byte) (int, error) {
	var buf [2]reply
	s.mu.Lock()
	rs, err := s.parser.feed(b, buf[:0])
	for _, r := range rs {
		cmd := s.routeLocked(r)
		if d := faultDelay(cmd, r); !d.IsZero() {
			// a scripted pause before a transfer's 1xx or final reply
			s.journalLocked(cmd)
			s.mu.Unlock()
			ok := s.sleep(s.srv.rt.Delay(d))
			s.mu.Lock()
			if !ok {
				break
			}
		}
		s.relayLocked(cmd, r)
	}
	s.mu.Unlock()
	if err != nil {
		s.debugf("malformed reply from the FTP server", "err", err)
	}
	if len(rs) > 0 {
		s.wake()
	}
	return len(b), nil
}

// routeLocked finds which pending command a reply from ftpserverlib
// answers: the oldest, except that a server STAT answered during a
// transfer overtakes it; nil for an unsolicited reply.
func (s *session) routeLocked(r reply) *command {
	if len(s.pending) == 0 {
		return nil
	}
	if len(s.pending) > 1 && (r.code == 211 || r.code == 212 || r.code == 213) {
		for _, p := range s.pending {
			if p.verb == "STAT" && p.arg == "" {
				return p
			}
		}
	}
	return s.pending[0]
}

// faultDelay is the pause a data fault scripts before this reply of a
// transfer command.
func faultDelay(cmd *command, r reply) scenario.DelaySpec {
	if cmd == nil || cmd.internal || cmd.transfer == nil || cmd.transfer.fault == nil {
		return scenario.DelaySpec{}
	}
	if r.preliminary() {
		return cmd.transfer.fault.DelayPreliminary
	}
	return cmd.transfer.fault.DelayFinal
}

// relayLocked relays (or rewrites) one reply of ftpserverlib to cmd.
// Once the client connection is closing nothing more is sent or recorded:
// what a transfer still running then became, finish says (see abandon).
func (s *session) relayLocked(cmd *command, r reply) {
	if s.isDone() {
		return
	}
	if cmd == nil {
		if !s.stalled {
			s.emitLocked(nil, r) // unsolicited: relayed as it is
		}
		return
	}
	if r.preliminary() {
		if cmd.internal || s.stalled {
			return
		}
		if p := cmd.step; p != nil && len(p.Preliminary) > 0 {
			for _, pr := range p.Preliminary {
				s.emitLocked(cmd, fromScenario(pr))
			}
			return
		}
		if r, ok := s.speakPrelimLocked(cmd, r); ok { // dialect.go
			s.emitLocked(cmd, r)
		}
		return
	}
	if i := slices.Index(s.pending, cmd); i >= 0 {
		s.pending = slices.Delete(s.pending, i, i+1)
	}
	if cmd.final != nil {
		r = cmd.final(r)
	}
	send := true
	if tr := cmd.transfer; tr != nil {
		r, send = s.concludeLocked(cmd, tr, r)
	}
	if cmd.internal {
		return
	}
	if s.stalled {
		return // a stalled session says nothing more
	}
	if cmd.verb == "FEAT" && r.code == 211 {
		r = s.filterFeatures(r)
	}
	if send || s.finalScripted(cmd) {
		s.replyLocked(cmd, r)
		return
	}
	s.completeLocked(cmd)
}

// answer sends r to the client as (part of) the engine's own answer to cmd.
func (s *session) answer(cmd *command, r reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replyLocked(cmd, r)
}

// finalScripted reports whether the rule that fired for cmd replaces its
// final reply.
func (s *session) finalScripted(cmd *command) bool {
	return cmd.step != nil && len(cmd.step.Final) > 0 && !cmd.finalUsed
}

// finalLocked returns the reply that goes to the client as cmd's final
// reply r: the step's last final reply when it scripts them (sending the
// others first), else r.
func (s *session) finalLocked(cmd *command, r reply) reply {
	if !s.finalScripted(cmd) {
		return r
	}
	cmd.finalUsed = true
	rs := scriptedFinal(cmd.step.Final, r)
	for _, x := range rs[:len(rs)-1] {
		s.emitLocked(cmd, x)
	}
	return rs[len(rs)-1]
}

// scriptedFinal is the final replies a step scripts in place of real, the
// server's: "{address}" becomes the address real advertises (to a passed
// PASV or EPSV: h1,h2,h3,h4,p1,p2 in a 227, |||port| in a 229). When real
// advertises none (the server could not open a passive port), real stands.
func scriptedFinal(final []scenario.Reply, real reply) []reply {
	out := make([]reply, 0, len(final))
	for _, f := range final {
		if strings.Contains(f.Text+f.Raw, scenario.AddressTemplate) {
			addr, ok := advertised(real)
			if !ok {
				return []reply{real}
			}
			f.Text = strings.ReplaceAll(f.Text, scenario.AddressTemplate, addr)
			f.Raw = strings.ReplaceAll(f.Raw, scenario.AddressTemplate, addr)
		}
		out = append(out, fromScenario(f))
	}
	return out
}

// advertised is the data address a 227 or 229 reply advertises, as it
// writes it between its parentheses.
func advertised(r reply) (string, bool) {
	if r.code != 227 && r.code != 229 {
		return "", false
	}
	t := r.text()
	open, end := strings.IndexByte(t, '('), strings.LastIndexByte(t, ')')
	if open < 0 || end < open {
		return "", false
	}
	return t[open+1 : end], true
}

// replyLocked sends a reply of the engine or ftpserverlib for cmd: the
// step's final replies replace a final one, and a final reply completes
// the command.
func (s *session) replyLocked(cmd *command, r reply) {
	if !r.preliminary() {
		r = s.finalLocked(cmd, s.speakLocked(cmd, r)) // the dialect beneath the rules (dialect.go)
	}
	s.emitLocked(cmd, r)
	if !r.preliminary() {
		s.completeLocked(cmd)
		s.afterSpeakLocked()
	}
}

// emitLocked is the one way a reply reaches the client: made safe (no CR
// or LF inside a line), recorded in cmd's journal entry (before the client
// can read it, so that a test that checks the journal once its client has
// an answer sees that answer), then written.
func (s *session) emitLocked(cmd *command, r reply) {
	if s.isDone() {
		return // the connection is closing: nothing more is sent
	}
	r = r.sanitized()
	if cmd != nil && cmd.hasEntry() {
		s.recordLocked(cmd, r)
	}
	s.wbuf = r.appendWire(s.wbuf[:0])
	if s.debug() {
		s.debugf("reply", "text", string(trimEOL(s.wbuf)))
	}
	_, err := s.conn.Write(s.wbuf)
	if cap(s.wbuf) > 4096 {
		s.wbuf = nil // a long reply's buffer is not kept by an idle session
	}
	if err != nil {
		s.debugf("client write failed", "err", err)
	}
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// recordLocked adds reply r to cmd's journal entry (journaling the entry
// with it, the usual case, costs one journal lock per command).
func (s *session) recordLocked(cmd *command, r reply) {
	final := !r.preliminary()
	cmd.answered = cmd.answered || final
	if !cmd.journaled {
		addReply(cmd.entry, r, final, cmd.info)
		s.journalLocked(cmd)
		return
	}
	s.srv.journal.Update(cmd.ref, func(e *journal.Entry) { addReply(e, r, final, cmd.info) })
}

// addReply records reply r (and, for a final one, when it was sent and
// the transfer's record) in e.
func addReply(e *journal.Entry, r reply, final bool, info *journal.Transfer) {
	lines := r.journalLines()
	if e.Replies == nil {
		e.Replies = slices.Clip(lines) // a reply's lines are never changed once made
	} else {
		e.Replies = append(e.Replies, lines...)
	}
	e.Codes = append(e.Codes, r.code)
	if final {
		e.Done = time.Now()
		if info != nil {
			e.Transfer = info
		}
	}
}

// hasEntry reports whether cmd is journaled (the engine's own commands to
// ftpserverlib are not).
func (c *command) hasEntry() bool { return c.journaled || c.entry != nil }

// journalLocked puts cmd's entry in the journal if it is not there yet.
func (s *session) journalLocked(cmd *command) {
	if cmd == nil || !cmd.hasEntry() || cmd.journaled {
		return
	}
	cmd.ref = s.srv.journal.Add(cmd.entry)
	cmd.journaled, cmd.entry = true, nil
}

// journalPendingLocked journals the commands still owed a reply.
func (s *session) journalPendingLocked() {
	for _, p := range s.pending {
		if p.hasEntry() {
			s.journalLocked(p)
		}
	}
}

// updateLocked changes cmd's entry, journaled or not.
func (s *session) updateLocked(cmd *command, fn func(e *journal.Entry)) {
	if !cmd.journaled {
		fn(cmd.entry)
		return
	}
	s.srv.journal.Update(cmd.ref, fn)
}

// completeLocked closes cmd's answer: its entry is done, and the step's
// then is carried out. It is the one place a then applies.
func (s *session) completeLocked(cmd *command) {
	if cmd.completed {
		return
	}
	cmd.completed = true
	if cmd.hasEntry() && !cmd.answered {
		now := time.Now()
		s.updateLocked(cmd, func(e *journal.Entry) {
			if e.Done.IsZero() {
				e.Done = now
				if cmd.info != nil {
					e.Transfer = cmd.info
				}
			}
		})
		s.journalLocked(cmd)
	}
	if cmd.step == nil {
		return
	}
	switch cmd.step.Then {
	case scenario.ThenClose:
		s.endLocked(journal.ReasonRuleClose, closeFIN)
	case scenario.ThenReset:
		s.endLocked(journal.ReasonRuleReset, closeRST)
	case scenario.ThenStall:
		s.stalled = true
		s.debugf("stalled by scenario")
	}
}

// forwardLocked hands a command line to ftpserverlib: its next Read
// returns it. Only upstreamRead's goroutine forwards (ftpserverlib is
// reading). A session whose ftpserverlib end is gone ends.
func (s *session) forwardLocked(cmd *command, line string) {
	if s.upClosed {
		s.endLocked(journal.ReasonServerClosed, closeFIN)
		return
	}
	s.storedBytesLocked(cmd) // settings.ascii: ignore (ascii.go)
	s.pending = append(s.pending, cmd)
	s.upq = append(s.upq, line...)
	s.upq = append(s.upq, '\r', '\n')
}

// forward is forwardLocked with the lock taken.
func (s *session) forward(cmd *command, line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forwardLocked(cmd, line)
}
