package scenario

import (
	"time"
)

// New starts a scenario in Go, for tests that embed mockftpd: add rules
// with Rule, users with User, files with File, and so on. Its Source is
// name. Check it with Validate (NewRuntime fills its defaults too).
//
//	sc := scenario.New("disk-full").
//		Rule(scenario.On("STOR").Nth(2).Global().Reply(452, "Insufficient storage space"))
func New(name string) *Scenario {
	return &Scenario{Version: FormatVersion, Name: name, Source: name}
}

// Describe sets the scenario's description.
func (sc *Scenario) Describe(text string) *Scenario {
	sc.Description = text
	return sc
}

// WithSeed sets the seed of every random choice (probability, delay
// ranges, generated files, corruption).
func (sc *Scenario) WithSeed(seed int64) *Scenario {
	sc.Seed = seed
	return sc
}

// Rule appends the rule rb builds.
func (sc *Scenario) Rule(rb *RuleBuilder) *Scenario {
	sc.Rules = append(sc.Rules, rb.Build())
	return sc
}

// User adds an account. Once a scenario has users, only they can log in.
func (sc *Scenario) User(name, password string) *Scenario {
	sc.Users = append(sc.Users, User{Name: name, Password: password})
	return sc
}

// UserHome adds an account that starts in the directory home.
func (sc *Scenario) UserHome(name, password, home string) *Scenario {
	sc.Users = append(sc.Users, User{Name: name, Password: password, Home: home})
	return sc
}

// File adds a file with the given content to the initial filesystem.
func (sc *Scenario) File(path string, content []byte) *Scenario {
	f := File{Path: path}
	if isText(content) {
		f.Content = string(content)
	} else {
		f.Base64 = encodeBase64(content)
	}
	sc.Files = append(sc.Files, f)
	return sc
}

// GeneratedFile adds a file of size deterministic bytes (see
// GeneratedReader), generated from the scenario seed.
func (sc *Scenario) GeneratedFile(path string, size int64) *Scenario {
	sc.Files = append(sc.Files, File{Path: path, Size: size})
	return sc
}

// Dir adds an empty directory to the initial filesystem.
func (sc *Scenario) Dir(path string) *Scenario {
	sc.Files = append(sc.Files, File{Path: path, Dir: true})
	return sc
}

// Banner sets the text of the 220 greeting.
func (sc *Scenario) Banner(text string) *Scenario {
	sc.Settings.Banner = text
	return sc
}

// Disable switches commands off: they get 502 and disappear from FEAT.
func (sc *Scenario) Disable(verbs ...string) *Scenario {
	sc.Settings.Disable = append(sc.Settings.Disable, verbs...)
	return sc
}

// CustomCommands declares commands outside the catalogue (see Verbs) that
// rules and expectations name on purpose, e.g. a proprietary XFOO.
func (sc *Scenario) CustomCommands(verbs ...string) *Scenario {
	sc.Settings.CustomCommands = append(sc.Settings.CustomCommands, verbs...)
	return sc
}

// Expecting adds an expectation that Verify checks.
func (sc *Scenario) Expecting(e Expectation) *Scenario {
	sc.Expect = append(sc.Expect, e)
	return sc
}

// ExpectCommand adds an expectation that the client sends verb with arg
// (any argument when empty) exactly times times, or at least once when
// times is negative.
func (sc *Scenario) ExpectCommand(verb, arg string, times int) *Scenario {
	e := Expectation{Command: verb}
	if arg != "" {
		e.Arg = &ArgMatch{Exact: arg}
	}
	if times >= 0 {
		e.Exactly = &times
	}
	return sc.Expecting(e)
}

// ExpectPath adds an expectation that the client sends verb on the path
// p (absolute: the path the command acts on, whatever working directory
// the client sent it from) exactly times times, or at least once when
// times is negative.
func (sc *Scenario) ExpectPath(verb, p string, times int) *Scenario {
	e := Expectation{Command: verb, Path: &ArgMatch{Exact: p}}
	if times >= 0 {
		e.Exactly = &times
	}
	return sc.Expecting(e)
}

// PassStep returns a step that passes the command on to the server.
func PassStep() Step { return Step{Pass: true} }

// ReplyStep returns a step that sends one reply (text "" takes the code's
// default text).
func ReplyStep(code int, text string) Step {
	return Step{Replies: []Reply{{Code: code, Text: text}}}
}

// RuleBuilder builds a Rule step by step; start one with On or OnConnect.
// Methods that script the action (Reply, Delay, Pass, Then, …) fill the
// rule's single step; Responses gives a list of steps instead. Mistakes are
// reported by the scenario's Validate, located by the rule's label.
type RuleBuilder struct {
	r         Rule
	step      Step
	shorthand bool
	responses bool
}

// On starts a rule matching the given command verbs (any command when none
// is given, or "*").
func On(verbs ...string) *RuleBuilder {
	return &RuleBuilder{r: Rule{When: Match{Commands: verbs}}}
}

// OnConnect starts a rule matching a new control connection, before the
// greeting: its replies replace the greeting.
func OnConnect() *RuleBuilder {
	return &RuleBuilder{r: Rule{When: Match{Event: EventConnect}}}
}

// Named sets the rule's name, used in messages and in the journal.
func (b *RuleBuilder) Named(name string) *RuleBuilder { b.r.Name = name; return b }

// Arg matches the exact argument.
func (b *RuleBuilder) Arg(arg string) *RuleBuilder {
	if arg == "" {
		b.r.When.Arg = &ArgMatch{Regex: "^$"}
	} else {
		b.r.When.Arg = &ArgMatch{Exact: arg}
	}
	return b
}

// ArgGlob matches the argument with a glob (path.Match syntax plus "**").
func (b *RuleBuilder) ArgGlob(glob string) *RuleBuilder {
	b.r.When.Arg = &ArgMatch{Glob: glob}
	return b
}

// ArgRegex matches the argument with a regular expression (RE2 syntax,
// unanchored).
func (b *RuleBuilder) ArgRegex(re string) *RuleBuilder {
	b.r.When.Arg = &ArgMatch{Regex: re}
	return b
}

// Path matches the absolute path the command acts on, resolved against
// the session's working directory (see CommandPath), exactly.
func (b *RuleBuilder) Path(p string) *RuleBuilder {
	b.r.When.Path = &ArgMatch{Exact: p}
	if p == "" {
		b.r.errs = append(b.r.errs, "Path needs a path such as /data/export.csv")
	}
	return b
}

// PathGlob matches the path the command acts on with a glob (path.Match
// syntax plus "**"), e.g. "/data/*.csv".
func (b *RuleBuilder) PathGlob(glob string) *RuleBuilder {
	b.r.When.Path = &ArgMatch{Glob: glob}
	return b
}

// PathRegex matches the path the command acts on with a regular
// expression (RE2 syntax, unanchored).
func (b *RuleBuilder) PathRegex(re string) *RuleBuilder {
	b.r.When.Path = &ArgMatch{Regex: re}
	return b
}

// User matches the session's user name (a glob).
func (b *RuleBuilder) User(name string) *RuleBuilder { b.r.When.User = name; return b }

// Session matches only the nth control connection (1-based).
func (b *RuleBuilder) Session(n int) *RuleBuilder {
	b.r.When.Session = n
	if n == 0 {
		b.r.errs = append(b.r.errs, "Session must be 1 or more")
	}
	return b
}

// Nth matches only the nth command that matches the rule's other conditions
// (1 for the first), counted per session unless Global is called.
func (b *RuleBuilder) Nth(n int) *RuleBuilder {
	b.r.When.Nth = n
	if n == 0 {
		b.r.errs = append(b.r.errs, "Nth must be 1 or more (leave it out to match every command)")
	}
	return b
}

// Global counts Nth across sessions.
func (b *RuleBuilder) Global() *RuleBuilder { b.r.When.Count = Global; return b }

// State matches only while the scenario is in state s.
func (b *RuleBuilder) State(s string) *RuleBuilder { b.r.When.State = s; return b }

// Probability fires the rule with probability p (0 < p ≤ 1), drawn from the
// scenario seed.
func (b *RuleBuilder) Probability(p float64) *RuleBuilder {
	b.r.When.Probability = p
	if p <= 0 {
		b.r.errs = append(b.r.errs, "Probability must be greater than 0 and at most 1")
	}
	return b
}

// Times limits how many times the rule fires in all.
func (b *RuleBuilder) Times(n int) *RuleBuilder {
	b.r.Times = n
	if n <= 0 {
		b.r.errs = append(b.r.errs, "Times must be 1 or more")
	}
	return b
}

// NextState sets the scenario state after the rule fires.
func (b *RuleBuilder) NextState(s string) *RuleBuilder { b.r.NextState = s; return b }

func (b *RuleBuilder) short() *Step {
	b.shorthand = true
	return &b.step
}

// Reply adds a reply to send (text "" takes the code's default text). Call
// it again to send several replies in turn (e.g. 120 then 220).
func (b *RuleBuilder) Reply(code int, text string) *RuleBuilder {
	s := b.short()
	s.Replies = append(s.Replies, Reply{Code: code, Text: text})
	return b
}

// ReplyRaw adds a reply sent byte for byte (e.g. a malformed one).
func (b *RuleBuilder) ReplyRaw(raw string) *RuleBuilder {
	s := b.short()
	s.Replies = append(s.Replies, Reply{Raw: raw})
	if raw == "" {
		b.r.errs = append(b.r.errs, "ReplyRaw needs a non-empty reply")
	}
	return b
}

// Delay waits d before acting (or before passing the command on).
func (b *RuleBuilder) Delay(d time.Duration) *RuleBuilder {
	b.short().Delay = DelaySpec{Min: d}
	return b
}

// DelayRange waits a time drawn from [min, max] with the scenario seed.
func (b *RuleBuilder) DelayRange(min, max time.Duration) *RuleBuilder {
	b.short().Delay = DelaySpec{Min: min, Max: max}
	return b
}

// Pass passes the command on to the server (the default when the rule has
// no reply and no Then).
func (b *RuleBuilder) Pass() *RuleBuilder { b.short().Pass = true; return b }

// Preliminary replaces the server's 1xx reply to a passed-on command.
// Call it again to send several replies in its place.
func (b *RuleBuilder) Preliminary(code int, text string) *RuleBuilder {
	s := b.short()
	s.Pass = true
	s.Preliminary = append(s.Preliminary, Reply{Code: code, Text: text})
	return b
}

// Final replaces the server's final reply to a passed-on command. Call it
// again to send several replies in its place. In the final reply to PASV
// or EPSV, "{address}" stands for the address the server advertises.
func (b *RuleBuilder) Final(code int, text string) *RuleBuilder {
	s := b.short()
	s.Pass = true
	s.Final = append(s.Final, Reply{Code: code, Text: text})
	return b
}

// Login makes the rule's replies (to the greeting, USER, PASS, ACCT or
// ADAT) log the session in, as the user the client named (or the
// scenario's first user); a 230 or 232 does so without it.
func (b *RuleBuilder) Login() *RuleBuilder {
	b.short().Login = &Login{}
	return b
}

// LoginAs makes the rule's replies log the session in as user.
func (b *RuleBuilder) LoginAs(user string) *RuleBuilder {
	b.short().Login = &Login{User: user}
	if user == "" {
		b.r.errs = append(b.r.errs, "LoginAs needs a user name (Login logs in as the client's)")
	}
	return b
}

// NoLogin keeps the rule's replies from logging the session in, even a 230.
func (b *RuleBuilder) NoLogin() *RuleBuilder {
	b.short().Login = &Login{Off: true}
	return b
}

// Then ends the action: close, reset or stall the control connection.
func (b *RuleBuilder) Then(t Then) *RuleBuilder { b.short().Then = t; return b }

// Data scripts the data connection of the passed-on transfer command.
func (b *RuleBuilder) Data(d DataFault) *RuleBuilder {
	s := b.short()
	s.Pass = true
	s.Data = &d
	return b
}

// Responses gives the steps used in turn, one per firing; see Exhausted for
// what happens after the last. It cannot be combined with the single-step
// methods (Reply, Delay, Pass, …).
func (b *RuleBuilder) Responses(steps ...Step) *RuleBuilder {
	b.responses = true
	b.r.Steps = append(b.r.Steps, steps...)
	return b
}

// Exhausted says what the rule does once its Responses run out.
func (b *RuleBuilder) Exhausted(e Exhausted) *RuleBuilder { b.r.Exhausted = e; return b }

// Build returns the rule. Defaults are filled, and mistakes reported, by
// Validate.
func (b *RuleBuilder) Build() Rule {
	r := b.r
	r.errs = append([]string(nil), b.r.errs...)
	r.When.Commands = append([]string(nil), b.r.When.Commands...)
	switch {
	case b.responses:
		r.Steps = append([]Step(nil), b.r.Steps...)
		if b.shorthand {
			r.errs = append(r.errs, "Responses cannot be combined with Reply, Delay, Pass, Preliminary, Final, Then, Data or Login")
		}
		if len(r.Steps) == 0 {
			r.errs = append(r.errs, "Responses needs at least one step")
		}
		if r.Exhausted == "" {
			r.Exhausted = ExhaustedPass
		}
	default:
		if r.Exhausted != "" {
			r.errs = append(r.errs, "Exhausted applies only with Responses")
		}
		s := b.step
		s.Replies = append([]Reply(nil), s.Replies...)
		s.Preliminary = append([]Reply(nil), s.Preliminary...)
		s.Final = append([]Reply(nil), s.Final...)
		r.Steps = []Step{s}
	}
	return r
}
