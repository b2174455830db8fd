// Package clientscript runs the same scripted FTP sessions with three real
// clients (curl, Python's ftplib, jlaffaye/ftp) against any server, and
// returns what each client saw: its commands, the replies, the listings
// and the bytes it downloaded. Tests compare these transcripts between
// servers (a real server, the recording proxy, a replay, a dialect).
//
// The script: log in, FEAT, SYST, PWD, CWD, LIST, NLST, MLSD where offered,
// SIZE, MDTM, RETR, STOR, APPE, REST+RETR, RNFR/RNTO, MKD, RMD, DELE, a RETR
// of a missing file, QUIT, and a login with a wrong password.
package clientscript

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// Client names a real FTP client.
type Client string

// The clients.
const (
	Curl     Client = "curl"
	FTPLib   Client = "ftplib"   // Python's ftplib
	JLaffaye Client = "jlaffaye" // github.com/jlaffaye/ftp
)

// Clients lists every client.
var Clients = []Client{Curl, FTPLib, JLaffaye}

// Target is the server a script runs against.
type Target struct {
	Addr                 string // host:port
	User, Password       string // a login that may upload into Dir
	BadUser, BadPassword string // a login the server refuses
	// Dir is a writable folder (relative to the login directory, e.g.
	// "pub") holding File, an existing file of a few bytes.
	Dir, File string
	// Active uses PORT/EPRT instead of PASV/EPSV.
	Active bool
	// NoEPSV makes the clients that prefer EPSV/EPRT use PASV/PORT.
	NoEPSV bool
	// TLS uses explicit FTPS with PROT P (curl and ftplib; jlaffaye/ftp
	// cannot be watched under TLS).
	TLS bool
	// NoTLSResume makes ftplib's data connections start new TLS sessions,
	// as plain ftplib does (servers requiring resumption refuse them);
	// by default they resume the control connection's, as curl's do.
	NoTLSResume bool
	// Implicit uses implicit FTPS (TLS from the first byte; curl only).
	Implicit bool
}

// Transcript is what a client saw, one line per event: "> COMMAND" for a
// command line it sent, "< LINE" for a reply line it got, and "= NAME:
// VALUE" for a result (a listing, downloaded bytes, an error).
type Transcript []string

// String returns the transcript one event a line.
func (t Transcript) String() string { return strings.Join(t, "\n") }

// Supports reports whether client can run target's mode.
func Supports(c Client, tg Target) bool {
	switch c {
	case JLaffaye:
		return !tg.TLS && !tg.Active && !tg.Implicit
	case FTPLib:
		return !tg.Implicit
	}
	return true
}

// Run runs client's script against target and returns its transcript; a
// missing client skips the test (fails it under CI=true).
func Run(t testing.TB, c Client, tg Target) Transcript {
	t.Helper()
	if tg.Dir == "" || tg.File == "" {
		t.Fatal("clientscript: Target.Dir and Target.File are required")
	}
	if !Supports(c, tg) {
		t.Fatalf("clientscript: %s cannot run %+v", c, tg)
	}
	switch c {
	case Curl:
		return runCurl(t, tg)
	case FTPLib:
		return runFTPLib(t, tg)
	case JLaffaye:
		return runJLaffaye(t, tg)
	}
	t.Fatalf("clientscript: unknown client %q", c)
	return nil
}

// Normalisation rewrites what legitimately differs between two runs of a
// script; each rule says what it hides.
type Normalisation struct {
	Name string
	re   *regexp.Regexp
	repl string
	drop bool // remove the line instead
}

// NewNormalisation makes a rule replacing re's matches by repl.
func NewNormalisation(name, re, repl string) Normalisation {
	return Normalisation{Name: name, re: regexp.MustCompile(re), repl: repl}
}

// Apply rewrites s.
func (n Normalisation) Apply(s string) string { return n.re.ReplaceAllString(s, n.repl) }

// Ports hides the data addresses of 227, 229, PORT and EPRT, and the
// port pure-ftpd's 150 names in active mode: they name each run's own
// ports. pure-ftpd's 150 has been seen as the first line of a multi-line
// reply too ("150-Connecting to port N", after REST, once in a loaded run
// where the same script through the recording proxy got the one-line
// form): both show as "150 Connecting to port PORT".
var Ports = []Normalisation{
	NewNormalisation("150 active data port", `^< 150[- ]Connecting to port \d+`, "< 150 Connecting to port PORT"),
	NewNormalisation("227 address", `^(< 227 .*?)\d+,\d+,\d+,\d+,\d+,\d+`, "${1}h1,h2,h3,h4,p1,p2"),
	NewNormalisation("229 port", `^(< 229 .*?\(\|\|\|)\d+\|`, "${1}PORT|"),
	NewNormalisation("PORT address", `^> PORT \d+,\d+,\d+,\d+,\d+,\d+`, "> PORT h1,h2,h3,h4,p1,p2"),
	NewNormalisation("EPRT address", `^> EPRT \|(\d)\|([^|]*)\|\d+\|`, "> EPRT |$1|$2|PORT|"),
}

// NewDrop makes a rule that removes the lines re matches.
func NewDrop(name, re string) Normalisation {
	return Normalisation{Name: name, re: regexp.MustCompile(re), drop: true}
}

// Normalise applies rules to every line.
func (t Transcript) Normalise(rules ...[]Normalisation) Transcript {
	out := make(Transcript, 0, len(t))
lines:
	for _, l := range t {
		for _, set := range rules {
			for _, r := range set {
				if r.drop && r.re.MatchString(l) {
					continue lines
				}
				l = r.Apply(l)
			}
		}
		out = append(out, l)
	}
	return out
}

// Diff describes the first lines where a and b differ, or "" when they
// are equal.
func Diff(a, b Transcript) string {
	n := max(len(a), len(b))
	for i := 0; i < n; i++ {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			var ctx strings.Builder
			for j := max(0, i-3); j < i; j++ {
				fmt.Fprintf(&ctx, "   %s\n", a[j])
			}
			return fmt.Sprintf("line %d differs (%d and %d lines):\n%s-  %q\n+  %q", i+1, len(a), len(b), ctx.String(), x, y)
		}
	}
	return ""
}

func result(name string, v any) string {
	return fmt.Sprintf("= %s: %v", name, v)
}
