package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/mockftpd/mockftpd/internal/rules"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// A rule's step is carried out in three places, one per kind of action:
//   - here: its delay, its own replies, the login they imply (runStep,
//     greet);
//   - relay.go: the replies of the real server it rewrites (preliminary,
//     final, a data fault's final reply) and its then, when the command's
//     answer is complete (completeLocked);
//   - transfer.go and faultconn.go: its data fault.

// fire records that a rule fired for cmd (not shared yet: no lock).
func (s *session) fire(cmd *command, d rules.Decision) {
	label := d.Rule.Label()
	cmd.entry.Rule = label
	cmd.entry.Fire = d.Fire
	cmd.step = d.Step
	if s.srv.cfg.Logger.Enabled(context.Background(), slog.LevelInfo) {
		s.logger().Info("rule fired", "rule", label, "command", cmd.verb, "fire", d.Fire)
	}
}

// answersItself reports whether a step sends replies of its own rather
// than (only) rewriting the real server's.
func answersItself(st *scenario.Step) bool {
	return len(st.Replies) > 0 || (!st.Pass && st.Then != scenario.ThenContinue && st.Preliminary == nil && st.Final == nil && st.Data == nil)
}

// runStep carries out the step of the rule that fired for cmd: its delay,
// then its own replies (with the login they imply, then its then), or the
// command handed on as usual with its replies rewritten as the step says.
// A step with replies and pass sends its replies, then hands the command on.
func (s *session) runStep(cmd *command, st *scenario.Step) {
	if st == nil {
		s.dispatch(cmd)
		return
	}
	if d := s.srv.rt.Delay(st.Delay); d > 0 {
		s.mu.Lock()
		s.journalLocked(cmd) // it shows while the session waits
		s.mu.Unlock()
		if !s.sleep(d) {
			return
		}
	}
	if !answersItself(st) {
		s.dispatch(cmd)
		return
	}
	s.mu.Lock()
	last := 0
	for _, r := range st.Replies {
		rep := fromScenario(r)
		s.emitLocked(cmd, rep)
		last = rep.code
	}
	s.scriptedLoginLocked(cmd)
	if !st.Pass {
		s.completeLocked(cmd)
	}
	// a scripted 234 to AUTH means what it says: the client starts TLS now
	startTLS := cmd.verb == "AUTH" && last == 234 && s.srv.cfg.TLS != TLSNone && !s.tlsControl && !s.ended
	s.mu.Unlock()
	if startTLS && !s.startTLS(false) {
		s.end(journal.ReasonTLSFailed, closeNow)
		return
	}
	if st.Pass {
		s.dispatch(cmd)
	}
}

// scriptedLoginLocked keeps the real server in step with a scripted login:
// a scripted 230 or 232 to USER, PASS, ACCT or ADAT logs the session in for
// real, so the client can go on.
func (s *session) scriptedLoginLocked(cmd *command) {
	final := 0
	for _, r := range cmd.step.Replies {
		if c := fromScenario(r).code; c >= 200 {
			final = c
		}
	}
	if cmd.verb == "USER" {
		s.userLocked(cmd)
		if !s.loggedIn {
			// the real server must know the user for a PASS that is passed on
			s.forwardLocked(&command{verb: "USER", internal: true}, "USER "+cmd.arg)
		}
	}
	switch cmd.verb {
	case "USER", "PASS", "ACCT", "ADAT":
	default:
		return
	}
	if (final != 230 && final != 232) || s.loggedIn {
		return
	}
	if s.user == "" {
		s.user, s.userArg = "anonymous", "anonymous"
	}
	if cmd.verb != "USER" {
		s.forwardLocked(&command{verb: "USER", internal: true}, "USER "+s.user)
	}
	s.forwardLocked(&command{verb: "PASS", internal: true}, "PASS "+s.srv.token)
	s.loggedIn = true
}

// greet prepares the greeting, which ftpserverlib sends first: a connect
// rule may script it (d, when fired). A scripted preliminary reply comes
// first, then the delay, then the real greeting or the scripted replies
// that replace it. false means the session ends here.
func (s *session) greet(d rules.Decision, fired bool) bool {
	now := time.Now()
	cmd := s.newCommand(journal.Connect, "", now, "")
	cmd.entry.Arg = s.raw.RemoteAddr().String() // the client's address
	if fired {
		s.fire(cmd, d)
	}
	s.mu.Lock()
	s.lastLine = now
	s.pending = append(s.pending, cmd) // ftpserverlib's 220 answers it
	s.mu.Unlock()
	st := cmd.step
	if st == nil {
		return true
	}
	if st.Preliminary != nil {
		s.answer(cmd, fromScenario(*st.Preliminary))
	}
	if !s.sleep(s.srv.rt.Delay(st.Delay)) {
		return false
	}
	if !answersItself(st) {
		return true // the real greeting comes in due course, rewritten if scripted
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd.internal = true // the real greeting is swallowed: the scripted replies replace it
	for _, r := range st.Replies {
		s.emitLocked(cmd, fromScenario(r))
	}
	s.completeLocked(cmd)
	return !s.ended
}
