// Package scenario is mockftpd's scenario language: the model of a scenario
// file, its parsing (YAML or JSON) with located errors, its validation, and the
// matching of client commands against its rules. It does no networking: the
// server package carries out what a matched rule says.
package scenario

import "time"

// FormatVersion is the only scenario format version this package reads.
const FormatVersion = 1

// Scenario is one parsed and validated scenario: what the server holds at
// start, how it is configured, which rules script its replies and what the
// client is expected to do.
type Scenario struct {
	Version     int           `json:"version"`
	Name        string        `json:"name,omitempty"`
	Description string        `json:"description,omitempty"`
	Seed        int64         `json:"seed,omitempty"` // seeds every random choice (probability, delay ranges, corruption)
	Users       []User        `json:"users,omitempty"`
	Files       []File        `json:"files,omitempty"`
	Settings    Settings      `json:"settings,omitzero"`
	Rules       []Rule        `json:"rules,omitempty"`
	Expect      []Expectation `json:"expect,omitempty"`

	// Source names where the scenario came from (a file path, or "<string>"), for messages.
	Source string `json:"-"`
}

// User is an account the server accepts. When a scenario lists users, only
// they log in; with none, any user name and password log in.
type User struct {
	Name     string `json:"name"`
	Password string `json:"password,omitempty"`
	Home     string `json:"home,omitempty"` // starting directory, created if missing
}

// File is one entry of the initial filesystem. Exactly one content source
// may be set: Content (text), Base64 (binary), Size (generated deterministic
// bytes), Dir (an empty directory) or From (a host directory or file copied in).
type File struct {
	Path    string    `json:"path"`
	Content string    `json:"content,omitempty"`
	Base64  string    `json:"base64,omitempty"`
	Size    int64     `json:"size,omitempty"` // generated: byte i is a pure function of (Seed, i)
	Seed    int64     `json:"seed,omitempty"` // for generated content; defaults to the scenario seed
	Dir     bool      `json:"dir,omitempty"`
	From    string    `json:"from,omitempty"`   // host path, relative to the scenario file's folder
	ModTime time.Time `json:"modtime,omitzero"` // optional modification time
}

// Settings are the server settings a scenario may script.
type Settings struct {
	Banner   string   `json:"banner,omitempty"`   // text of the 220 greeting
	Features []string `json:"features,omitempty"` // FEAT lines replacing the real server's list
	Syst     string   `json:"syst,omitempty"`     // text of the 215 reply to SYST
	// Disable lists commands switched off so clients' fallbacks can be tested
	// (e.g. EPSV, MLSD, MLST, SIZE, MDTM, REST, MFMT, EPRT, PORT, PASV): they get
	// 502 and disappear from FEAT.
	Disable []string `json:"disable,omitempty"`
	// IdleTimeout closes a session with 421 after this long without a command.
	IdleTimeout Duration `json:"idle_timeout,omitzero"`
}

// Event says what a rule reacts to.
type Event string

// Events a rule can match.
const (
	EventCommand Event = "command" // a command line from the client (the default)
	EventConnect Event = "connect" // a new control connection, before the greeting
)

// CountScope says whether occurrences are counted per session or across the
// server's lifetime.
type CountScope string

// Count scopes.
const (
	PerSession CountScope = "session" // the default
	Global     CountScope = "global"
)

// ArgMatch matches a command's argument. At most one field is set; the zero
// value matches any argument.
type ArgMatch struct {
	Exact string `json:"exact,omitempty"`
	Glob  string `json:"glob,omitempty"`  // path.Match syntax, plus "**" for any run of characters
	Regex string `json:"regex,omitempty"` // Go RE2 syntax, unanchored unless the pattern anchors itself
}

// Match is the "when" part of a rule. Every field that is set must hold.
type Match struct {
	Event    Event     `json:"event,omitempty"`
	Commands []string  `json:"command,omitempty"` // upper-case verbs; empty or "*" means any
	Arg      *ArgMatch `json:"arg,omitempty"`
	User     string    `json:"user,omitempty"` // the session's user name (glob allowed)
	// Session, when > 0, matches only the Nth control connection since start (1-based).
	Session int `json:"session,omitempty"`
	// Nth, when > 0, matches only the Nth command that matched every other
	// condition of this rule, counted per Count scope (1-based).
	Nth   int        `json:"nth,omitempty"`
	Count CountScope `json:"count,omitempty"`
	// State, when set, matches only while the scenario state is this name.
	State string `json:"state,omitempty"`
	// Probability, when in (0,1), fires the rule with that probability,
	// drawn from the scenario seed so that runs repeat.
	Probability float64 `json:"probability,omitempty"`
}

// Reply is one reply to send. Code and Text make a well-formed reply (a Text
// with several lines becomes a multi-line reply); Raw is sent byte for byte
// instead (malformed on purpose), and its Code is read from it when it can be.
type Reply struct {
	Code int    `json:"code,omitempty"`
	Text string `json:"text,omitempty"`
	Raw  string `json:"raw,omitempty"`
}

// Then is what happens to the control connection after an action's replies.
type Then string

// Ends of an action.
const (
	ThenContinue Then = ""      // keep serving
	ThenClose    Then = "close" // close the control connection (FIN)
	ThenReset    Then = "reset" // reset it (TCP RST)
	ThenStall    Then = "stall" // never answer again, keep the connection open
)

// DelaySpec is a fixed delay, or a range from which a delay is drawn with the
// scenario seed.
type DelaySpec struct {
	Min time.Duration `json:"min,omitempty"`
	Max time.Duration `json:"max,omitempty"` // equal to Min (or zero) for a fixed delay
}

// IsZero reports whether no delay is set.
func (d DelaySpec) IsZero() bool { return d.Min == 0 && d.Max == 0 }

// DataRefuse says how a data connection is refused.
type DataRefuse string

// Ways to refuse a data connection.
const (
	RefuseNone   DataRefuse = ""
	RefuseIgnore DataRefuse = "ignore" // never accept (passive) or never connect (active): the client times out
	RefuseClose  DataRefuse = "close"  // accept (or connect) and close at once
	Refuse425    DataRefuse = "425"    // answer the transfer command with 425 without opening it
)

// DataEnd says how the data connection ends after a byte limit.
type DataEnd string

// Ways a cut transfer ends.
const (
	EndClose DataEnd = "close" // FIN (the default)
	EndReset DataEnd = "reset" // RST
	EndStall DataEnd = "stall" // stop moving bytes, keep the connection open
)

// DataFault scripts the data connection of a transfer command (RETR, STOR,
// APPE, LIST, NLST, MLSD), in every mode (PASV, EPSV, PORT, EPRT), with or
// without TLS.
type DataFault struct {
	Refuse DataRefuse `json:"refuse,omitempty"`
	// After, when > 0, ends the transfer once this many bytes have moved (each way).
	After int64   `json:"after,omitempty"`
	End   DataEnd `json:"end,omitempty"`
	// Reply is the final reply after a cut, a stall or a refusal (e.g. 426,
	// 451, 452, 552); nil sends 426 after a cut or stall and 425 after a
	// refusal; a Reply with Code 0 and no Raw ("reply: none") sends none.
	Reply *Reply `json:"reply,omitempty"`
	// KeepPartial keeps what an upload stored before the cut (default true);
	// false removes the file.
	KeepPartial *bool `json:"keep_partial,omitempty"`
	// Rate throttles the data connection to this many bytes per second.
	Rate int64 `json:"rate,omitempty"`
	// Chunk and ChunkDelay deliver the data in chunks with a pause between them.
	Chunk      int64         `json:"chunk,omitempty"`
	ChunkDelay time.Duration `json:"chunk_delay,omitempty"`
	// Corrupt flips bytes deterministically (from the scenario seed): roughly
	// one byte in every Corrupt bytes (1 corrupts every byte).
	Corrupt int64 `json:"corrupt,omitempty"`
	// Delays of the preliminary reply, of the first data byte, and of the final reply.
	DelayPreliminary DelaySpec `json:"delay_preliminary,omitzero"`
	DelayData        DelaySpec `json:"delay_data,omitzero"`
	DelayFinal       DelaySpec `json:"delay_final,omitzero"`
	// AdvertiseHost replaces the address in 227 replies (a NAT bug);
	// AdvertisePort replaces the port in 227/229 replies (nobody listens there).
	AdvertiseHost string `json:"advertise_host,omitempty"`
	AdvertisePort int    `json:"advertise_port,omitempty"`
}

// Step is one response: what to do for one firing of a rule.
type Step struct {
	// Delay waits before anything is sent.
	Delay DelaySpec `json:"delay,omitzero"`
	// Replies are sent in order (e.g. 120 then 220; 150 then 426). When Pass
	// is false and Replies is empty, nothing is sent (use with Then).
	Replies []Reply `json:"reply,omitempty"`
	// Pass hands the command to the real server (the default when nothing
	// else is set); Preliminary and Final then replace its 1xx and its final reply.
	Pass        bool   `json:"pass,omitempty"`
	Preliminary *Reply `json:"preliminary,omitempty"`
	Final       *Reply `json:"final,omitempty"`
	// Then ends the step: close, reset or stall the control connection.
	Then Then `json:"then,omitempty"`
	// Data scripts the data connection of a passed-on transfer command.
	Data *DataFault `json:"data,omitempty"`
}

// Exhausted says what a rule with a list of responses does once the list
// runs out. A rule with a single step and no Exhausted (the shorthand form)
// repeats its step every time it fires; Validate sets ExhaustedPass on a
// rule with several steps and none.
type Exhausted string

// Behaviours when a response list runs out.
const (
	ExhaustedPass   Exhausted = "pass"   // the rule stops firing; the command goes on to later rules (the default)
	ExhaustedRepeat Exhausted = "repeat" // the last response repeats
	ExhaustedCycle  Exhausted = "cycle"  // the list starts again
)

// Rule is a stub: a pattern (When) and what to do (Steps, used in turn).
type Rule struct {
	Name string `json:"name,omitempty"`
	When Match  `json:"when"`
	// Times, when > 0, is how many times the rule may fire in all.
	Times int `json:"times,omitempty"`
	// NextState, when set, becomes the scenario state after the rule fires.
	NextState string `json:"next_state,omitempty"`
	// Steps holds one step for a plain rule, or the "responses" list.
	Steps     []Step    `json:"responses"`
	Exhausted Exhausted `json:"exhausted,omitempty"`

	// Index is the rule's position in the scenario (0-based); Pos is where it
	// starts in its source ("file.yaml:12:5"), when known.
	Index int    `json:"-"`
	Pos   string `json:"-"`

	// errs holds the problems a RuleBuilder found; Validate reports them.
	errs []string
}

// Label names the rule in messages and in the journal: its name, or "rule #N".
func (r *Rule) Label() string {
	if r.Name != "" {
		return r.Name
	}
	return "rule #" + itoa(r.Index+1)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// Expectation states something the client must do, checked by Verify
// against the journal.
type Expectation struct {
	Name string `json:"name,omitempty"`
	// Command and Arg select journal entries (Arg as in rules).
	Command string    `json:"command,omitempty"`
	Arg     *ArgMatch `json:"arg,omitempty"`
	User    string    `json:"user,omitempty"`
	// Exactly, AtLeast and AtMost bound how many entries match; with none
	// set, at least one must.
	Exactly *int `json:"times,omitempty"`
	AtLeast *int `json:"at_least,omitempty"`
	AtMost  *int `json:"at_most,omitempty"`
	// NoCommandAfter, when set to a reply code, requires that in every session
	// no command but QUIT follows a reply with that code (e.g. 530).
	NoCommandAfter int `json:"no_command_after,omitempty"`
}

// Duration is a time.Duration written as "1.5s" or "250ms" in scenario files.
type Duration time.Duration

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// IsZero reports whether the duration is zero.
func (d Duration) IsZero() bool { return d == 0 }
