package record

import (
	"time"

	"github.com/mockftpd/mockftpd/scenario"
)

// Recorded is the scenario a recording becomes. It has the shape of a
// scenario file (users, files, settings, rules), plus what replaying a
// recording needs that the scenario package does not model yet: rules on
// the path a command acts on (Match.Path), exact bytes on a transfer's
// data connection (Step.Data), several preliminary replies to a passed
// command, templated passive replies and strict settings. YAML writes it.
type Recorded struct {
	Name        string
	Description string
	Users       []scenario.User
	Files       []scenario.File
	Settings    Settings
	Rules       []Rule
}

// Settings are the scenario settings a recording sets.
type Settings struct {
	Banner   string   // the 220 greeting, when every session got the same one-line greeting
	Syst     string   // the 215 text, when SYST always got the same one-line reply
	Features []string // the FEAT lines, when FEAT's reply has the form mockftpd writes
	// Strict answers commands no rule matches with 502 (and a near miss in
	// the journal), so that a test sees what its client did that the
	// recording did not cover.
	Strict bool
}

// Rule is one rule of a recorded scenario.
type Rule struct {
	Name      string
	When      Match
	Steps     []Step // one step, or the responses used in turn
	Exhausted string // "repeat" for a list of responses
}

// Match is a rule's condition.
type Match struct {
	Connect bool   // the greeting (event: connect)
	Command string // the verb
	// Arg matches the argument exactly; nil matches any argument.
	Arg *string
	// Path matches the absolute path the command acts on, resolved
	// against the working directory ("path:" in the scenario language).
	Path string
	// User matches the session's user name.
	User string
}

// Step is one recorded response.
type Step struct {
	Delay time.Duration
	// Replies are sent instead of passing the command on.
	Replies []scenario.Reply
	// Pass hands the command to mockftpd's own server (so that its state
	// follows: working directory, uploads, renames), with its replies
	// replaced by the recorded ones.
	Pass        bool
	Preliminary []scenario.Reply
	Final       *scenario.Reply
	// Data is what the data connection carries instead of mockftpd's own
	// bytes (a listing exactly as the server sent it).
	Data []byte
	// RefuseData closes the client's data connection at once, and
	// DataReply is then the final reply: a transfer whose data connection
	// the server refused (a TLS session not resumed, say).
	RefuseData bool
	DataReply  *scenario.Reply
	// ClosedData records that the server closed a data connection the
	// client had already opened when it refused a transfer (ProFTPD and
	// pure-ftpd do; curl over TLS notices). The scenario has no syntax for
	// it: a replay gets it when mockftpd closes such a connection on a
	// scripted error reply to a transfer command.
	ClosedData bool
	// Then ends the session after the replies: "close" when the server
	// hung up.
	Then string
}

// equal reports whether two steps do the same, their delays aside.
func (s Step) equal(o Step) bool {
	if s.Pass != o.Pass || s.Then != o.Then || string(s.Data) != string(o.Data) || (s.Data == nil) != (o.Data == nil) || s.RefuseData != o.RefuseData {
		return false
	}
	if (s.DataReply == nil) != (o.DataReply == nil) || (s.DataReply != nil && *s.DataReply != *o.DataReply) {
		return false
	}
	if !sameReplies(s.Replies, o.Replies) || !sameReplies(s.Preliminary, o.Preliminary) {
		return false
	}
	if (s.Final == nil) != (o.Final == nil) {
		return false
	}
	return s.Final == nil || *s.Final == *o.Final
}

func sameReplies(a, b []scenario.Reply) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
