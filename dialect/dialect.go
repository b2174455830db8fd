// Package dialect describes how real FTP servers answer, so that mockftpd
// can look like one of them: vsftpd, ProFTPD, pure-ftpd, FileZilla
// Server, Microsoft IIS, Serv-U, wu-ftpd. A Dialect is data (the
// greeting, SYST, FEAT, HELP and STAT texts, the reply to each command
// for each outcome, what FTPS and ASCII mode do) and small functions
// (its LIST, NLST and MLSD formats). It does no networking: the server
// asks it what to say.
//
// Every text of a dialect says where it comes from (Sources): for the
// servers that run here (vsftpd, ProFTPD, pure-ftpd) the transcripts in
// testdata/real/, which the tests hold the dialects to; for the others
// their published documentation and public transcripts.
package dialect

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mockftpd/mockftpd/internal/suggest"
)

// Dialect is how one FTP server product answers.
type Dialect struct {
	// Name is what settings.dialect and -dialect take, e.g. "vsftpd".
	Name string
	// Product names the server and version imitated, e.g. "vsftpd 3.0.3".
	Product string
	// Summary says in a line what a client notices first.
	Summary string
	// Sources say where the texts come from.
	Sources []Source

	// Greeting is the reply to a new connection (220, maybe multi-line).
	Greeting Reply
	// Feat is the FEAT reply's shape and features; a zero Feat means the
	// server does not know FEAT (it gets Unknown).
	Feat Feat
	// Replies maps "VERB outcome" (see Key) to the reply the server
	// sends: "SYST ok", "HELP ok", "STAT ok", "CWD not-found", "RETR
	// start"... A failure without its own key takes "VERB error"; an
	// outcome without a key for its verb takes "* outcome" (e.g. "*
	// not-logged-in"). A key it lacks leaves the reply to mockftpd.
	Replies map[Key]Reply
	// AfterStart lists the failures a server answers only after the 1xx
	// and an empty data connection (it opens the data connection before
	// it looks at the path), e.g. "LIST not-found".
	AfterStart []Key
	// Unknown is the reply to a command the server does not know.
	Unknown Reply
	// Missing lists commands the server does not implement: they get
	// Unknown, and are not in FEAT.
	Missing []string
	// Defaults are the values of variables the server shows but mockftpd
	// does not track (its host name, its client limit...).
	Defaults Vars
	// Unverified lists the replies no cited source shows: written from
	// the server's known wording, and marked in docs/dialects.md.
	Unverified []Key

	// Listing is how LIST, NLST, MLSD and MLST (and STAT with a path)
	// write directory entries.
	Listing Listing
	// ASCII is what TYPE A changes.
	ASCII ASCII
	// TLS is how FTPS behaves.
	TLS TLS
}

// Source is one place a dialect's texts come from.
type Source struct {
	What  string // which texts
	Where string // a file of this repository, a URL, a document
}

// Key names a reply of a dialect: "VERB outcome", e.g. "CWD not-found",
// "RETR start" (the 1xx before a transfer) or "TYPE A". The verbs are
// upper case; the outcomes are the constants below, or the argument that
// selects the reply (TYPE A, PROT P, AUTH SSL, SITE CHMOD).
type Key string

// K makes the key of verb's reply for outcome.
func K(verb, outcome string) Key { return Key(verb + " " + outcome) }

// Verb returns the key's verb.
func (k Key) Verb() string { v, _, _ := strings.Cut(string(k), " "); return v }

// Outcome returns the key's outcome.
func (k Key) Outcome() string { _, o, _ := strings.Cut(string(k), " "); return o }

// The outcomes of a command the server tells apart; the engine finds
// which one happened (the filesystem's error, the session's state).
const (
	OK          = "ok"            // it worked
	Start       = "start"         // the 1xx that opens a transfer's data connection
	AlreadyOpen = "open"          // the 1xx when the client opened the data connection before the command (IIS's 125)
	ActiveStart = "active"        // the 1xx of a transfer in active mode (PORT, EPRT), when it differs
	Refused     = "refused"       // the server refuses the command outright (ProFTPD's APPE)
	NotFound    = "not-found"     // no such file or directory
	Permission  = "permission"    // permission denied
	Exists      = "exists"        // MKD of something that exists
	NotDir      = "not-dir"       // CWD to a file
	IsDir       = "is-dir"        // RETR, SIZE or DELE of a directory
	NotEmpty    = "not-empty"     // RMD of a directory that is not empty
	BadArg      = "bad-arg"       // an argument the server rejects (TYPE X, REST abc)
	BadSequence = "bad-sequence"  // RNTO without RNFR, PASS without USER
	NotLoggedIn = "not-logged-in" // a command that needs a login, before it
	BadLogin    = "bad-login"     // PASS with a wrong password
	InASCII     = "ascii"         // the command in TYPE A (SIZE, REST, RETR)
	ASCIIRest   = "ascii-rest"    // RETR after REST in TYPE A
	Rest        = "rest"          // RETR after REST
	ListAll     = "all"           // LIST -a
	File        = "file"          // LIST or STAT of a file
	Dir         = "dir"           // STAT of a directory
	Idle        = "idle"          // ABOR with no transfer
	Plain       = "plain"         // PBSZ, PROT or CCC on a server without FTPS
	TLSOn       = "tls"           // FEAT once FTPS is on; CCC on a TLS session
	NoReuse     = "no-reuse"      // a PROT P transfer whose data connection did not resume the TLS session
)

// Reply is a reply as the server sends it: its lines joined by "\n",
// each with its code ("211-Features:", " EPRT", "211 End"). It may hold
// variables in braces, filled in by Expand: see Vars.
type Reply string

// Code is the reply's code (0 when it has none).
func (r Reply) Code() int {
	if len(r) < 3 {
		return 0
	}
	n, err := strconv.Atoi(string(r[:3]))
	if err != nil {
		return 0
	}
	return n
}

// Lines returns the reply's lines.
func (r Reply) Lines() []string {
	if r == "" {
		return nil
	}
	return strings.Split(string(r), "\n")
}

// Text returns the reply as a text for mockftpd's own replies: each
// line without its "CODE-" or "CODE " prefix.
func (r Reply) Text() string {
	lines := r.Lines()
	c := strconv.Itoa(r.Code())
	for i, l := range lines {
		if len(l) >= 4 && l[:3] == c && (l[3] == '-' || l[3] == ' ') {
			lines[i] = l[4:]
		}
	}
	return strings.Join(lines, "\n")
}

// Expand fills in the reply's variables; a variable v lacks is left as
// it is.
func (r Reply) Expand(v Vars) Reply {
	if !strings.Contains(string(r), "{") {
		return r
	}
	var b strings.Builder
	s := string(r)
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			break
		}
		name := s[i+1 : i+j]
		b.WriteString(s[:i])
		if val, ok := v[name]; ok {
			b.WriteString(val)
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
	return Reply(b.String())
}

// Variables returns the names of the variables the reply holds.
func (r Reply) Variables() []string {
	var out []string
	s := string(r)
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return out
		}
		out = append(out, s[i+1:i+j])
		s = s[i+j+1:]
	}
}

// Vars are the values a reply's variables take, by name. The engine
// fills in those it knows; VarNames lists them all.
type Vars map[string]string

// VarNames documents every variable a dialect's replies may hold.
var VarNames = map[string]string{
	"arg":         "the command's argument as sent",
	"path":        "the argument as an absolute path",
	"cwd":         "the working directory",
	"verb":        "the command's verb as sent",
	"line":        "the command line as sent",
	"user":        "the session's user name",
	"size":        "the file's size in bytes",
	"remaining":   "the bytes a transfer sends after a REST offset",
	"offset":      "the REST offset",
	"mtime":       "the file's modification time, YYYYMMDDHHMMSS",
	"type":        "the transfer type: ASCII or BINARY",
	"count":       "the entries a listing sent",
	"options":     "the listing options given (\"-l\", \"-a -l\")",
	"pasv":        "the passive address: h1,h2,h3,h4,p1,p2",
	"epsv":        "the extended passive port",
	"client-port": "the port of the client's data connection in active mode",
	"client":      "the client's IP address",
	"server":      "the server's IP address",
	"port":        "the server's control port",
	"hostname":    "the server's host name",
	"time":        "the server's local time, HH:MM",
	"session":     "the session's number since start",
	"seconds":     "how long the transfer took, in seconds",
	"rate":        "the transfer rate with its unit, e.g. 68.60 Kbytes",
	"kbytes-in":   "the kbytes uploaded in the session",
	"kbytes-out":  "the kbytes downloaded in the session",
	"type-long":   "the transfer type as pure-ftpd writes it: ASCII or 8-bit binary",
	"strerror":    "the C library's text for the outcome (see StrError)",
	"listing":     "STAT's listing lines (see Dialect.STAT)",
	"facts":       "MLST's fact line (see Dialect.MLST)",
	"site":        "SITE's (or OPTS's) first word, upper case",
	"site-arg":    "what follows SITE's (or OPTS's) first word",
	"site-file":   "the last word of SITE's argument (SITE CHMOD's file)",
	"users":       "the sessions connected, this one included",
	"clients":     "the sessions connected when this one logged in",
	"max-users":   "the most sessions the server allows",
	"servername":  "the server's configured name",
	"bytes":       "the bytes transferred in the session",
	"files":       "the files transferred in the session",
	"traffic":     "the bytes of the session's data and control traffic",
	"transfers":   "the transfers of the session",
}

// StrError is the C library's text for a failure outcome, as servers
// that show strerror(errno) write it ("No such file or directory").
func StrError(outcome string) string {
	return strErrors[outcome]
}

var strErrors = map[string]string{
	NotFound:   "No such file or directory",
	Permission: "Permission denied",
	Exists:     "File exists",
	NotDir:     "Not a directory",
	IsDir:      "Is a directory",
	NotEmpty:   "Directory not empty",
}

// Feat is the FEAT reply of a dialect.
type Feat struct {
	Header   string   // first line, e.g. "211-Features:"
	Indent   string   // before each feature, e.g. " "
	Footer   string   // last line, e.g. "211 End"
	Features []string // without FTPS, in the server's order
	// WithTLS are the features once FTPS is configured (AUTH TLS, PBSZ,
	// PROT...), in the server's order; empty: the same as Features.
	WithTLS []string
}

// Lines returns the FEAT reply listing features.
func (f Feat) Lines(features []string) []string {
	out := make([]string, 0, len(features)+2)
	out = append(out, f.Header)
	for _, x := range features {
		out = append(out, f.Indent+x)
	}
	return append(out, f.Footer)
}

// List returns the features with or without FTPS.
func (f Feat) List(tls bool) []string {
	if tls && len(f.WithTLS) > 0 {
		return f.WithTLS
	}
	return f.Features
}

// ASCII says what TYPE A changes.
type ASCII struct {
	// Convert: RETR in TYPE A sends LF as CRLF (and STOR stores CRLF as LF).
	Convert bool
	// SizeRefused: SIZE in TYPE A gets the "SIZE ascii" reply (an error)
	// instead of the size; with SizeConverted, the size after conversion.
	SizeRefused, SizeConverted bool
	// RestRefused: REST in TYPE A gets the "REST ascii" reply (an error);
	// otherwise the offset is accepted and RETR gets "RETR ascii-rest"
	// when the dialect has it.
	RestRefused bool
}

// TLS says how a dialect's FTPS behaves.
type TLS struct {
	// RequireReuse: a PROT P data connection that does not resume the
	// control connection's TLS session is refused with the "LIST
	// no-reuse" reply (or that of the transfer's verb), after its 1xx.
	RequireReuse bool
	// CloseAfterNoReuse: the server ends the session after that refusal
	// (vsftpd does).
	CloseAfterNoReuse bool
	// RequirePROTP: transfers over a TLS session without PROT P are
	// refused with the "PROT required" reply.
	RequirePROTP bool
	// SSLIsPROTP: AUTH SSL makes data connections protected without PROT
	// P (the old "AUTH SSL" semantics); AUTH TLS does not.
	SSLIsPROTP bool
}

// Lookup returns the dialect named name (case does not matter).
func Lookup(name string) (*Dialect, bool) {
	d, ok := registry[strings.ToLower(strings.TrimSpace(name))]
	return d, ok
}

// Names lists the dialects' names, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// All returns every dialect, sorted by name.
func All() []*Dialect {
	out := make([]*Dialect, 0, len(registry))
	for _, n := range Names() {
		out = append(out, registry[n])
	}
	return out
}

// Check returns nil when name is a dialect, else an error naming the
// dialects and the one name was likely meant to be.
func Check(name string) error {
	if _, ok := Lookup(name); ok {
		return nil
	}
	names := Names()
	return fmt.Errorf("unknown dialect %q (use %s or %s)%s", name, strings.Join(names[:len(names)-1], ", "), names[len(names)-1], suggest.DidYouMean(strings.TrimSpace(name), names))
}

var registry = map[string]*Dialect{}

func register(d *Dialect) *Dialect {
	registry[d.Name] = d
	return d
}

// failures are the outcomes a "VERB error" reply stands for.
var failures = map[string]bool{NotFound: true, Permission: true, Exists: true, NotDir: true, IsDir: true, NotEmpty: true}

// Reply returns the dialect's reply for verb's outcome with vars (then
// the dialect's Defaults) filled in, and whether the dialect has one.
func (d *Dialect) Reply(verb, outcome string, vars Vars) (Reply, bool) {
	r, ok := d.lookup(verb, outcome)
	if !ok {
		return "", false
	}
	return r.Expand(vars).Expand(d.Defaults), true
}

func (d *Dialect) lookup(verb, outcome string) (Reply, bool) {
	if r, ok := d.Replies[K(verb, outcome)]; ok {
		return r, true
	}
	if failures[outcome] {
		if r, ok := d.Replies[K(verb, "error")]; ok {
			return r, true
		}
	}
	r, ok := d.Replies[K("*", outcome)]
	return r, ok
}

// After reports whether verb's outcome is answered after the 1xx and an
// empty data connection.
func (d *Dialect) After(verb, outcome string) bool {
	for _, k := range d.AfterStart {
		if k == K(verb, outcome) || (failures[outcome] && k == K(verb, "error")) {
			return true
		}
	}
	return false
}

// Knows reports whether the dialect implements verb.
func (d *Dialect) Knows(verb string) bool {
	verb = strings.ToUpper(verb)
	for _, m := range d.Missing {
		if m == verb {
			return false
		}
	}
	return verb != "FEAT" || d.Feat.Header != ""
}
