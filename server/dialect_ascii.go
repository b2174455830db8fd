package server

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/scenario"
)

// What a dialect does in TYPE A beyond ftpserverlib's RFC 959 behaviour
// (settings.ascii: convert, where SIZE and REST are refused) or none at
// all (ignore, chosen by withDialect for the products that convert
// nothing): pure-ftpd and wu-ftpd convert yet answer SIZE and REST,
// vsftpd and pure-ftpd refuse a download resumed in TYPE A, ProFTPD
// refuses APPE.

// cmdSIZE answers SIZE; in TYPE A under a dialect that converts yet
// answers SIZE, ftpserverlib hears it in TYPE I (see binaryAround).
func (s *session) cmdSIZE(cmd *command) {
	s.binaryAround(cmd, func(d *dialect.Dialect) bool { return !d.ASCII.SizeRefused })
}

// cmdREST notes the offset a REST set, for the dialect's texts; in TYPE
// A under a dialect that converts yet accepts REST, ftpserverlib hears
// it in TYPE I.
func (s *session) cmdREST(cmd *command) {
	cmd.final = func(r reply) reply {
		if r.code == 350 {
			s.dia.rest, _ = strconv.ParseInt(strings.TrimSpace(cmd.arg), 10, 64)
		}
		return r
	}
	s.binaryAround(cmd, func(d *dialect.Dialect) bool { return !d.ASCII.RestRefused })
}

// binaryAround forwards cmd; when the client is in TYPE A, ftpserverlib
// converts and the dialect answers cmd as in TYPE I (accepts), cmd goes
// between an internal TYPE I and TYPE A.
func (s *session) binaryAround(cmd *command, accepts func(*dialect.Dialect) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dialectIn()
	if d == nil || !s.dia.ascii() || s.srv.rt.Scenario().Settings.ASCII != scenario.ASCIIConvert || !accepts(d) {
		s.forwardLocked(cmd, cmd.line())
		return
	}
	s.internalLocked("TYPE I")
	s.forwardLocked(cmd, cmd.line())
	s.internalLocked("TYPE A")
}

// internalLocked hands ftpserverlib a command of the engine's own, whose
// reply is not relayed.
func (s *session) internalLocked(line string) {
	s.pending = append(s.pending, &command{verb: strings.Fields(line)[0], internal: true})
	s.upq = append(s.upq, line...)
	s.upq = append(s.upq, '\r', '\n')
}

// dialectRefuses answers a transfer command the dialect refuses before
// any data connection: "VERB refused" (ProFTPD's APPE), "RETR
// ascii-rest" (a download resumed in TYPE A, vsftpd and pure-ftpd),
// "PROT required" (TLS.RequirePROTP), "RETR is-dir".
func (s *session) dialectRefuses(cmd *command) bool {
	d := s.dialectIn()
	if d == nil || !speaks(cmd, true) {
		return false
	}
	s.mu.Lock()
	vars := s.varsLocked(d, cmd, reply{})
	r, ok := d.Reply(cmd.verb, dialect.Refused, vars)
	if !ok && s.dia.ascii() && s.dia.rest > 0 {
		r, ok = d.Reply(cmd.verb, dialect.ASCIIRest, vars)
	}
	if !ok && d.TLS.RequirePROTP && s.tlsControl && !s.protP {
		r, ok = d.Reply("PROT", "required", vars) // a transfer over FTPS without PROT P
	}
	if fi, err := s.srv.fs.Stat(vars["path"]); !ok && cmd.verb == "RETR" && err == nil && fi.IsDir() {
		r, ok = d.Reply(cmd.verb, dialect.IsDir, vars) // refused before the 1xx, not after
	}
	if ok {
		s.dia.rest = 0
		cmd.own = true
		s.replyLocked(cmd, dialectReply(r))
	}
	s.mu.Unlock()
	if ok {
		s.dropData()
	}
	return ok
}

// asciiOutcomeLocked is the outcome InASCII when the client is in TYPE A
// and the dialect words verb's reply there ("SIZE ascii", "REST ascii",
// "RETR ascii"): a success, or SIZE's and REST's refusal.
func (s *session) asciiOutcomeLocked(d *dialect.Dialect, verb string, ok bool) bool {
	if !s.dia.ascii() || (!ok && verb != "SIZE" && verb != "REST") {
		return false
	}
	_, has := d.Replies[dialect.K(verb, dialect.InASCII)]
	return has
}

// convertedSize is the size of the file at p once its LFs are sent as
// CRLF (wu-ftpd's SIZE in TYPE A); -1 when it cannot be read.
func (s *session) convertedSize(p string) int64 {
	f, err := s.srv.fs.Open(p)
	if err != nil {
		return -1
	}
	defer f.Close()
	var n int64
	var prev byte
	br := bufio.NewReader(f)
	for {
		c, err := br.ReadByte()
		if err == io.EOF {
			return n
		}
		if err != nil {
			return -1
		}
		if c == '\n' && prev != '\r' {
			n++
		}
		n++
		prev = c
	}
}
