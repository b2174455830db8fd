package server

import (
	"strings"
	"time"

	"github.com/mockftpd/mockftpd/internal/rules"
	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// engineCommands are the commands the engine answers itself, or whose
// replies it acts on, by verb (miniredis and ftpserverlib dispatch the same
// way). Every other command goes to ftpserverlib as it is. Each handler
// runs on ftpserverlib's command goroutine with no reply owed, and takes
// the session's lock itself.
var engineCommands = map[string]func(*session, *command){
	"AUTH": (*session).cmdAUTH,
	"PROT": (*session).cmdPROT,
	"FEAT": (*session).cmdFEAT,
	"SYST": (*session).cmdSYST,
	"USER": (*session).cmdUSER,
	"PASS": (*session).cmdPASS,
	"QUIT": (*session).cmdQUIT,
	"PASV": (*session).cmdPASV,
	"EPSV": (*session).cmdPASV,
	"PORT": (*session).cmdPORT,
	"EPRT": (*session).cmdPORT,
	"ABOR": (*session).cmdABOR,
	"RETR": (*session).cmdTransfer,
	"STOR": (*session).cmdTransfer,
	"APPE": (*session).cmdTransfer,
	"STOU": (*session).cmdTransfer,
	"LIST": (*session).cmdTransfer,
	"NLST": (*session).cmdTransfer,
	"MLSD": (*session).cmdTransfer,
	"STAT": (*session).cmdSTAT, // listing.go
	"SITE": (*session).cmdSITE, // listing.go
	"MKD":  (*session).cmdMKD,  // fixes.go
	"XMKD": (*session).cmdMKD,
	"TYPE": (*session).cmdTYPE, // dialect.go
	"REST": (*session).cmdREST, // dialect_ascii.go
	"SIZE": (*session).cmdSIZE,
	"CCC":  (*session).cmdCCC, // dialect_tls.go
}

// newCommand makes a command that arrived at at, with its journal entry.
func (s *session) newCommand(verb, arg string, at time.Time, user string) *command {
	return &command{verb: verb, arg: arg, entry: &journal.Entry{Session: s.number, Time: at, User: user, Command: verb, Arg: arg}}
}

// line is the command as ftpserverlib gets it.
func (c *command) line() string {
	if c.arg == "" {
		return c.verb
	}
	return c.verb + " " + c.arg
}

// handleLine handles one client command line.
func (s *session) handleLine(l clientLine) {
	s.mu.Lock()
	at, user := s.lastLine, s.user
	s.mu.Unlock()
	if l.tooLong {
		s.answer(s.newCommand("<too-long>", "", at, user), newReply(500, "Command line too long"))
		return
	}
	verb, arg := splitCommand(l.text)
	if verb == "" {
		s.answer(s.newCommand("", "", at, user), newReply(500, "Empty command"))
		return
	}
	cmd := s.newCommand(verb, arg, at, user)
	if s.refuseHTTP(cmd) { // http.go
		return
	}
	if s.debug() {
		shown := arg
		if verb == "PASS" {
			shown = "****"
		}
		s.debugf("command", "verb", verb, "arg", shown)
	}
	req := rules.Request{Verb: verb, Arg: arg, User: user}
	if scenario.TakesPath(verb) { // the working directory only when needed
		if p, ok := scenario.CommandPath(verb, arg, s.cwd()); ok {
			req.Path, cmd.entry.Path = p, p
		}
	}
	if d, fired := s.rt.Match(req); fired {
		s.fire(cmd, d)
		s.runStep(cmd, d.Step)
		return
	}
	if s.srv.effective().strict && verb != "QUIT" {
		s.refuseUncovered(cmd, req)
		return
	}
	s.dispatch(cmd)
}

// refuseUncovered answers a command no rule fired for in a strict
// scenario (a replay covering only what was recorded) with 502, and notes
// in its journal entry why no rule fired, so that a test shows what its
// client did that the recording did not cover.
func (s *session) refuseUncovered(cmd *command, req rules.Request) {
	miss := &journal.NearMiss{Why: "no rule for " + req.Verb}
	if r, why, ok := s.srv.rt.NearMiss(req, ""); ok {
		miss = &journal.NearMiss{Rule: r.Label(), Why: why}
	}
	cmd.entry.NearMiss = miss // not shared yet: no lock
	cmd.own = true
	s.answer(cmd, newReply(502, "Command not covered by the recording (strict replay)"))
}

// dispatch does what a correct FTP server does with cmd: the scenario's
// disabled commands get 502, the engine's own commands go to their
// handlers, the rest to ftpserverlib.
func (s *session) dispatch(cmd *command) {
	if isDisabled(&s.srv.rt.Scenario().Settings, cmd.verb) {
		s.answer(cmd, newReply(502, "Command not implemented"))
		return
	}
	if h := engineCommands[cmd.verb]; h != nil {
		h(s, cmd)
		return
	}
	if !upstreamVerbs[cmd.verb] {
		s.answer(cmd, unknownCommand(cmd.verb)) // upstream.go
		return
	}
	s.forward(cmd, cmd.line())
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

// cmdAUTH answers AUTH TLS itself and terminates TLS on the control
// connection, so that scripted replies keep working on FTPS sessions.
func (s *session) cmdAUTH(cmd *command) {
	if s.srv.cfg.TLS == TLSNone {
		s.forward(cmd, cmd.line())
		return
	}
	mech := strings.ToUpper(strings.TrimSpace(cmd.arg))
	if s.dialectRefusesAUTH(cmd, mech) { // dialect_tls.go
		return
	}
	s.mu.Lock()
	already := s.tlsControl
	s.mu.Unlock()
	switch {
	case already:
		s.answer(cmd, newReply(503, "Already using TLS"))
		return
	case mech != "TLS" && mech != "TLS-C" && mech != "SSL" && mech != "TLS-P":
		s.answer(cmd, newReply(504, "AUTH type not supported"))
		return
	}
	if _, err := s.srv.tls.get(); err != nil {
		s.answer(cmd, newReply(431, "TLS is not available: "+err.Error()))
		return
	}
	s.mu.Lock()
	r := s.finalLocked(cmd, newReply(234, "AUTH command ok. Expecting TLS Negotiation.")) // a scripted final reply decides whether TLS starts
	cmd.finalUsed = true
	s.replyLocked(cmd, r)
	s.mu.Unlock()
	if r.code == 234 && !s.startTLS(s.authProtects(mech)) { // dialect_tls.go
		s.end(journal.ReasonTLSFailed, closeNow)
	}
}

// cmdPROT keeps PROT's level for the data connections, whose TLS the
// engine terminates: ftpserverlib always hears PROT C.
func (s *session) cmdPROT(cmd *command) {
	level := strings.ToUpper(strings.TrimSpace(cmd.arg))
	if level != "P" && level != "C" {
		s.forward(cmd, cmd.line())
		return
	}
	cmd.final = func(r reply) reply {
		if r.code/100 == 2 {
			s.protP = level == "P"
		}
		return r
	}
	s.forward(cmd, "PROT C")
}

// cmdFEAT answers with the scenario's features when it lists them; the
// real server's list loses the disabled commands (see filterFeatures).
func (s *session) cmdFEAT(cmd *command) {
	if f := s.srv.rt.Scenario().Settings.Features; len(f) > 0 {
		s.answer(cmd, featReply(f))
		return
	}
	s.forward(cmd, cmd.line())
}

// filterFeatures drops the FEAT lines of the commands the scenario
// disables (REST STREAM with REST).
func (s *session) filterFeatures(r reply) reply {
	set := &s.srv.rt.Scenario().Settings
	if len(set.Disable) == 0 {
		return r
	}
	out := reply{code: r.code, lines: make([]string, 0, len(r.lines))}
	for i, l := range r.lines {
		if i > 0 && i < len(r.lines)-1 {
			word, _, _ := strings.Cut(strings.TrimSpace(l), " ")
			if isDisabled(set, strings.ToUpper(word)) {
				continue
			}
		}
		out.lines = append(out.lines, l)
	}
	return out
}

// cmdSYST answers with the scenario's system type when it sets one.
func (s *session) cmdSYST(cmd *command) {
	if t := s.srv.rt.Scenario().Settings.Syst; t != "" {
		s.answer(cmd, newReply(215, t))
		return
	}
	s.forward(cmd, cmd.line())
}

// cmdUSER notes the user name; see userLocked.
func (s *session) cmdUSER(cmd *command) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userLocked(cmd)
	cmd.final = func(r reply) reply {
		if r.code == 230 {
			s.loginLocked()
		}
		return r
	}
	s.forwardLocked(cmd, cmd.line())
}

// userLocked notes the name a USER gives. Before a login it is the
// session's user at once (rules may match it before the password); once
// logged in, it takes over only when a PASS logs it in: a second USER
// alone does not change who the journal and the rules see.
func (s *session) userLocked(cmd *command) {
	s.userArg = cmd.arg
	if !s.loggedIn {
		s.user = cmd.arg
		s.updateLocked(cmd, func(e *journal.Entry) { e.User = cmd.arg })
	}
}

// loginLocked makes the session logged in as the last USER's name.
func (s *session) loginLocked() {
	if s.userArg != "" {
		s.user = s.userArg
	}
	s.loggedIn = true
}

// cmdPASS logs the session in when the real server says 230.
func (s *session) cmdPASS(cmd *command) {
	if s.dialectPASS(cmd) { // dialect.go
		return
	}
	cmd.final = func(r reply) reply {
		if r.code == 230 {
			s.loginLocked()
		}
		return r
	}
	s.forward(cmd, cmd.line())
}

// cmdQUIT notes why the session ends when the real server says goodbye.
func (s *session) cmdQUIT(cmd *command) {
	cmd.final = func(r reply) reply {
		if r.code == 221 && s.endReason == "" {
			s.endReason = journal.ReasonQuit
		}
		return r
	}
	s.forward(cmd, cmd.line())
}

// cmdABOR is the engine's part of ABOR: the transfer under way stops
// waiting (a refused data connection, a dial); ftpserverlib does the rest.
func (s *session) cmdABOR(cmd *command) {
	if tr := s.currentTransfer(); tr != nil {
		tr.abort()
	}
	s.forward(cmd, cmd.line())
}

// isLoggedIn reports whether a login succeeded.
func (s *session) isLoggedIn() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loggedIn
}
