package server

import (
	"strings"

	"github.com/mockftpd/mockftpd/journal"
)

// Web pages and the FTP port. Browsers keep pages off port 21 but not off
// 2121: a page can POST to mockftpd's FTP port, and an FTP server that
// answered each line of the request with 500 would carry out the FTP
// commands of its body (USER, PASS, DELE...). A session whose line before
// login is an HTTP request line (POST / HTTP/1.1) or header (Host: ...)
// ends at once: a 421 says why, and the journal's <disconnect> entry says
// "http request".

// httpMethods are the request methods a browser sends.
var httpMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "HEAD": true, "OPTIONS": true,
	"DELETE": true, "PATCH": true, "CONNECT": true, "TRACE": true}

// httpHeaders are header names that start a line of an HTTP request.
var httpHeaders = map[string]bool{"HOST:": true, "USER-AGENT:": true, "ORIGIN:": true, "REFERER:": true, "CONTENT-TYPE:": true,
	"CONTENT-LENGTH:": true, "ACCEPT:": true, "CONNECTION:": true, "COOKIE:": true}

// isHTTP reports whether a command line (its upper-case verb and its
// argument) is a line of an HTTP request.
func isHTTP(verb, arg string) bool {
	if httpHeaders[verb] {
		return true
	}
	if !httpMethods[verb] {
		return false
	}
	i := strings.LastIndexByte(arg, ' ')
	return i > 0 && strings.HasPrefix(strings.ToUpper(arg[i+1:]), "HTTP/")
}

// refuseHTTP ends the session if cmd, a line before login, is part of an
// HTTP request; it reports whether it did.
func (s *session) refuseHTTP(cmd *command) bool {
	if !isHTTP(cmd.verb, cmd.arg) || s.isLoggedIn() {
		return false
	}
	s.logger().Warn("an HTTP request reached the FTP port (a web page?); closing the session", "line", cmd.verb+" "+cmd.arg)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emitLocked(cmd, newReply(421, "This is an FTP server, not an HTTP one: closing the connection"))
	s.completeLocked(cmd)
	s.endLocked(journal.ReasonHTTP, closeFIN)
	return true
}
