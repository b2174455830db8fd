package record

import (
	"strings"
	"time"
)

// Transcript is everything a recording saw: every session between a
// client and the upstream server, command by command.
type Transcript struct {
	Upstream string     `json:"upstream"`
	Started  time.Time  `json:"started"`
	Sessions []*Session `json:"sessions"`
}

// Session is one client connection relayed to the upstream server.
type Session struct {
	Number    int         `json:"number"` // 1 for the first connection of the recording
	Client    string      `json:"client"` // the client's address
	Started   time.Time   `json:"started"`
	Ended     time.Time   `json:"ended,omitzero"`
	Implicit  bool        `json:"implicit_tls,omitempty"`
	Exchanges []*Exchange `json:"exchanges"`
	// End says how the session ended: "client quit", "client closed the
	// connection", "upstream closed the connection", "recording stopped",
	// or an error.
	End string `json:"end,omitempty"`
	// UpstreamClosed is true when the upstream server ended the session
	// (a 421 and a hang-up, a crash), as opposed to the client.
	UpstreamClosed bool `json:"upstream_closed,omitempty"`
}

// Exchange is one command and the replies it got. The greeting is the
// exchange with Verb "" at the start of a session; a reply the server sent
// with no command owed one (a 421 at idle time) is an exchange with Verb ""
// later on.
type Exchange struct {
	Verb string `json:"verb,omitempty"` // upper case
	Arg  string `json:"arg,omitempty"`  // the argument as sent (a password too: the scenario writer masks it)
	// Cwd is the working directory when the command was sent, as the
	// replies to PWD, CWD and CDUP told it ("/" until one does).
	Cwd     string        `json:"cwd,omitempty"`
	User    string        `json:"user,omitempty"` // the user name the session gave last
	At      time.Duration `json:"at"`             // since the session started
	Replies []Reply       `json:"replies"`
	// Transfer is the data connection of a transfer command (RETR, STOR,
	// LIST...), when one was opened.
	Transfer *Transfer `json:"transfer,omitempty"`
	// TLS is true when the control connection was encrypted.
	TLS bool `json:"tls,omitempty"`
}

// Final returns the exchange's final (non-1xx) reply, if it has one.
func (e *Exchange) Final() (Reply, bool) {
	for i := len(e.Replies) - 1; i >= 0; i-- {
		if e.Replies[i].Code >= 200 {
			return e.Replies[i], true
		}
	}
	return Reply{}, false
}

// Preliminary returns the exchange's 1xx replies.
func (e *Exchange) Preliminary() []Reply {
	var out []Reply
	for _, r := range e.Replies {
		if r.Code < 200 {
			out = append(out, r)
		}
	}
	return out
}

// Reply is one reply exactly as the client received it.
type Reply struct {
	Code int `json:"code"`
	// Raw holds the reply's bytes, line ends included.
	Raw string `json:"raw"`
	// After is the time between the command (or the connection, for the
	// greeting) and this reply.
	After time.Duration `json:"after"`
}

// Lines returns the reply's lines without their line ends.
func (r Reply) Lines() []string {
	s := strings.TrimSuffix(strings.TrimSuffix(r.Raw, "\n"), "\r")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// Text returns the reply's text as a scenario writes it: the lines without
// their "CODE-" or "CODE " prefixes, joined by "\n".
func (r Reply) Text() string {
	lines := r.Lines()
	for i, l := range lines {
		if len(l) >= 4 && isCode(l[:3]) && (l[3] == ' ' || l[3] == '-') {
			lines[i] = l[4:]
		} else if len(l) == 3 && isCode(l) {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

func isCode(s string) bool {
	return len(s) == 3 && s[0] >= '1' && s[0] <= '6' && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' && s[2] <= '9'
}

// Transfer is what moved on one data connection.
type Transfer struct {
	Mode   string `json:"mode"`             // PASV, EPSV, PORT or EPRT
	TLS    bool   `json:"tls,omitempty"`    // PROT P was in force
	Upload bool   `json:"upload,omitempty"` // client to server (STOR, APPE, STOU)
	// Size is how many bytes moved; Data holds the first of them (all of a
	// listing, up to the recording's limit of a file).
	Size      int64  `json:"size"`
	Data      []byte `json:"data,omitempty"`
	Truncated bool   `json:"truncated,omitempty"` // Data holds less than Size
	// Err says how the data connection failed, if it did.
	Err string `json:"error,omitempty"`
}

// Complete reports whether Data holds every byte that moved.
func (t *Transfer) Complete() bool { return t != nil && !t.Truncated && t.Err == "" }
