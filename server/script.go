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
	return len(st.Replies) > 0 || (!st.Pass && st.Then != scenario.ThenContinue && len(st.Preliminary) == 0 && len(st.Final) == 0 && st.Data == nil)
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
	if last >= 400 && !st.Pass && isTransfer(cmd.verb) {
		s.dropData() // the transfer never starts: its data connection ends
	}
	if startTLS && !s.startTLS(false) {
		s.end(journal.ReasonTLSFailed, closeNow)
		return
	}
	if st.Pass {
		s.dispatch(cmd)
	}
}

// scriptedLoginLocked keeps the real server in step with a scripted login:
// a step's replies to the greeting, USER, PASS, ACCT or ADAT log the
// session in for real when its login says so, which a final 230 or 232
// implies, so the client can go on. The session logs in as the step's
// login names, else as the user the client named, else as the scenario's
// first user, else as anonymous.
func (s *session) scriptedLoginLocked(cmd *command) {
	if cmd.verb == "USER" {
		s.userLocked(cmd)
		if !s.loggedIn {
			// the real server must know the user for a PASS that is passed on
			s.forwardLocked(&command{verb: "USER", internal: true}, "USER "+cmd.arg)
		}
	}
	if !logsIn(cmd.verb, cmd.step) || s.loggedIn {
		return
	}
	name := s.user
	if l := cmd.step.Login; l != nil && l.User != "" {
		name = l.User
	}
	if name == "" {
		name = "anonymous"
		if users := s.srv.effective().users; len(users) > 0 {
			name = users[0].Name
		}
	}
	if cmd.verb != "USER" || name != cmd.arg {
		s.forwardLocked(&command{verb: "USER", internal: true}, "USER "+name)
	}
	s.forwardLocked(&command{verb: "PASS", internal: true}, "PASS "+s.srv.token)
	s.user, s.userArg = name, name
	s.loggedIn = true
}

// logsIn reports whether a step's own replies to verb log the session in:
// as its login says, or, without one, when its last final reply to the
// greeting or a login command is 230 or 232.
func logsIn(verb string, st *scenario.Step) bool {
	if st.Login != nil {
		return !st.Login.Off
	}
	switch verb {
	case journal.Connect, "USER", "PASS", "ACCT", "ADAT":
	default:
		return false
	}
	final := 0
	for _, r := range st.Replies {
		if c := fromScenario(r).code; c >= 200 {
			final = c
		}
	}
	return final == 230 || final == 232
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
	for _, p := range st.Preliminary {
		s.answer(cmd, fromScenario(p))
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
	s.scriptedLoginLocked(cmd)
	s.completeLocked(cmd)
	return !s.ended
}
