package scenario

import (
	"encoding/base64"
	"fmt"
	"math"
	"net"
	"path"
	"strconv"
	"strings"

	"github.com/mockftpd/mockftpd/ftpcode"
)

// Validate checks a scenario built in Go (Parse and Load call it on what
// they read) and fills in its defaults: Version 1 when zero, each rule's
// Index, upper-case verbs, a pass step for a rule without one, Pass on steps
// with neither reply nor then, default reply texts from ftpcode for codes
// without text, the code of raw replies, file seeds from the scenario seed,
// and Exhausted "pass" for a list of responses.
//
// It returns an ErrorList of every problem found (up to MaxErrors). Without
// source positions, each error names the rule (by its label) or the entry
// it is about.
func (sc *Scenario) Validate() error {
	file := sc.Source
	if file == "" {
		file = sc.Name
	}
	return finish(validate(sc, &locator{file: file, sc: sc}))
}

type validator struct {
	sc   *Scenario
	loc  *locator
	errs ErrorList
	// states set by some rule's next_state
	states map[string]bool
}

func (v *validator) errf(path, format string, args ...any) {
	if v.loc.suppressed(path) {
		return
	}
	v.errs = append(v.errs, v.loc.at(path, fmt.Sprintf(format, args...)))
}

// where names a place for "first at ..." notes: a line when known, else the path.
func (v *validator) where(path string) string {
	if p, ok := v.loc.pos[path]; ok {
		return "line " + strconv.Itoa(p.line)
	}
	return path
}

func validate(sc *Scenario, loc *locator) ErrorList {
	v := &validator{sc: sc, loc: loc, states: map[string]bool{}}
	if sc.Version == 0 && loc.pos == nil {
		sc.Version = FormatVersion
	}
	if sc.Version != FormatVersion && loc.pos == nil {
		v.errf("version", "unsupported version %d (this mockftpd reads version %d)", sc.Version, FormatVersion)
	}
	v.users()
	v.files()
	v.settings()
	for i := range sc.Rules {
		if s := sc.Rules[i].NextState; s != "" {
			v.states[s] = true
		}
	}
	for i := range sc.Rules {
		v.rule(&sc.Rules[i], i)
	}
	for i := range sc.Expect {
		v.expect(&sc.Expect[i], index("expect", i))
	}
	return v.errs
}

func (v *validator) users() {
	first := map[string]int{}
	for i := range v.sc.Users {
		u := &v.sc.Users[i]
		p := index("users", i)
		switch {
		case u.Name == "":
			v.errf(p, "a user needs a name")
		case strings.ContainsAny(u.Name, " \t\r\n"):
			v.errf(join(p, "name"), "user name %q must not contain spaces", u.Name)
		}
		if j, dup := first[u.Name]; dup && u.Name != "" {
			v.errf(join(p, "name"), "user %q is defined twice (first at %s)", u.Name, v.where(index("users", j)))
		} else {
			first[u.Name] = i
		}
		if u.Home != "" && !strings.HasPrefix(u.Home, "/") {
			v.errf(join(p, "home"), "home must be an absolute path like \"/%s\", got %q", strings.TrimLeft(u.Home, "./"), u.Home)
		}
	}
}

func (v *validator) files() {
	first := map[string]int{}
	for i := range v.sc.Files {
		f := &v.sc.Files[i]
		p := index("files", i)
		switch {
		case f.Path == "":
			v.errf(p, "a file entry needs a path")
		case !strings.HasPrefix(f.Path, "/"):
			v.errf(join(p, "path"), "path must be absolute (start with \"/\"), got %q", f.Path)
		case path.Clean(f.Path) != f.Path:
			v.errf(join(p, "path"), "path %q is not clean (did you mean %q?)", f.Path, path.Clean(f.Path))
		}
		if j, dup := first[f.Path]; dup && f.Path != "" {
			v.errf(join(p, "path"), "file %q is listed twice (first at %s)", f.Path, v.where(index("files", j)))
		} else {
			first[f.Path] = i
		}
		var sources []string
		for _, s := range []struct {
			name string
			set  bool
		}{{"content", f.Content != ""}, {"base64", f.Base64 != ""}, {"size", f.Size != 0}, {"dir", f.Dir}, {"from", f.From != ""}} {
			if s.set {
				sources = append(sources, s.name)
				if len(sources) == 2 {
					v.errf(join(p, s.name), "conflicting content sources %q and %q: a file entry takes only one", sources[0], s.name)
				}
			}
		}
		if f.Size < 0 {
			v.errf(join(p, "size"), "size must not be negative, got %d", f.Size)
		}
		if f.Base64 != "" {
			if _, err := decodeBase64(f.Base64); err != nil {
				v.errf(join(p, "base64"), "invalid base64: %v", err)
			}
		}
		if f.Seed != 0 && f.Size == 0 {
			v.errf(join(p, "seed"), `"seed" applies only to generated content ("size")`)
		}
		if f.Size > 0 && f.Seed == 0 {
			f.Seed = v.sc.Seed
		}
	}
}

// decodeBase64 reads standard base64, with or without padding, ignoring
// white space.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

func validVerb(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (v *validator) settings() {
	s := &v.sc.Settings
	for i, c := range s.Disable {
		c = strings.ToUpper(strings.TrimSpace(c))
		s.Disable[i] = c
		if !validVerb(c) {
			v.errf(index("settings.disable", i), "invalid command %q: a command is a word like EPSV", c)
		}
	}
	for i, f := range s.Features {
		if strings.TrimSpace(f) == "" || strings.ContainsAny(f, "\r\n") {
			v.errf(index("settings.features", i), "a feature is one non-empty line, got %q", f)
		}
	}
	if s.IdleTimeout < 0 {
		v.errf("settings.idle_timeout", "idle_timeout must not be negative")
	}
}

func (v *validator) enum(p, what, val string, values []string) {
	if val != "" && !contains(values, val) {
		v.errf(p, "unknown %s %q (use %s)%s", what, val, orList(values), didYouMean(val, values))
	}
}

func orList(values []string) string {
	if len(values) == 1 {
		return values[0]
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

func (v *validator) arg(p string, a *ArgMatch) {
	if a == nil {
		return
	}
	n := 0
	for _, s := range []string{a.Exact, a.Glob, a.Regex} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		v.errf(p, "an argument pattern takes only one of exact, glob and regex")
		return
	}
	if _, err := compileArg(a); err != nil {
		sub := "glob"
		if a.Regex != "" {
			sub = "regex"
		}
		v.errf(join(p, sub), "%v", err)
	}
}

func (v *validator) rule(r *Rule, i int) {
	p := index("rules", i)
	r.Index = i
	for _, e := range r.errs {
		v.errf(p, "%s", e)
	}
	w := &r.When
	wp := join(p, "when")
	v.enum(join(wp, "event"), "event", string(w.Event), eventValues)
	var cmds []string
	for j, c := range w.Commands {
		c = strings.ToUpper(strings.TrimSpace(c))
		switch {
		case c == "*":
			if len(w.Commands) > 1 {
				v.errf(join(wp, "command"), `"*" already means any command: list it alone`)
			}
			continue
		case !validVerb(c):
			v.errf(index(join(wp, "command"), j), "invalid command %q: a command is a word like STOR", c)
		}
		if !contains(cmds, c) {
			cmds = append(cmds, c)
		}
	}
	w.Commands = cmds
	if w.Event == EventConnect {
		if len(w.Commands) > 0 {
			v.errf(join(wp, "command"), `a connect rule matches a new connection, not a command: remove "command"`)
		}
		if w.Arg != nil {
			v.errf(join(wp, "arg"), `a connect rule matches a new connection, not a command: remove "arg"`)
		}
		if w.User != "" {
			v.errf(join(wp, "user"), `a connect rule matches before anyone logs in: remove "user"`)
		}
		if w.Count == PerSession && w.Nth > 0 {
			v.errf(join(wp, "count"), `a connect rule counts connections across sessions: remove "count: session"`)
		}
	}
	v.arg(join(wp, "arg"), w.Arg)
	if w.User != "" {
		if _, err := compileGlob(w.User); err != nil {
			v.errf(join(wp, "user"), "%v", err)
		}
	}
	v.enum(join(wp, "count"), "count", string(w.Count), countValues)
	if w.Count != "" && w.Nth == 0 {
		v.errf(join(wp, "count"), `"count" applies only with "nth"`)
	}
	if w.Session < 0 {
		v.errf(join(wp, "session"), "session must be 1 or more, got %d", w.Session)
	}
	if w.Nth < 0 {
		v.errf(join(wp, "nth"), "nth must be 1 or more, got %d", w.Nth)
	}
	if w.Probability < 0 || w.Probability > 1 || math.IsNaN(w.Probability) {
		v.errf(join(wp, "probability"), "expected a probability greater than 0 and at most 1, got %v", w.Probability)
	}
	if w.State != "" && !v.states[w.State] {
		// A state no rule sets may be set from outside (the admin API,
		// Runtime.SetState); only one that looks like a typo is an error.
		var known []string
		for s := range v.states {
			known = append(known, s)
		}
		if hint := didYouMean(w.State, known); hint != "" {
			v.errf(join(wp, "state"), "state %q is never set: no rule has \"next_state: %s\"%s", w.State, w.State, hint)
		}
	}
	if r.Times < 0 {
		v.errf(join(p, "times"), "times must be 1 or more, got %d", r.Times)
	}
	v.enum(join(p, "exhausted"), "exhausted mode", string(r.Exhausted), exhaustedValues)
	if len(r.Steps) == 0 {
		r.Steps = []Step{PassStep()}
	}
	if len(r.Steps) > 1 && r.Exhausted == "" {
		r.Exhausted = ExhaustedPass
	}
	for j := range r.Steps {
		v.step(&r.Steps[j], index(join(p, "steps"), j), w.Event == EventConnect)
	}
}

func (v *validator) reply(p string, r *Reply, allowNone bool) {
	if r.Raw != "" {
		if r.Text != "" {
			v.errf(p, `a reply takes "text" or "raw", not both`)
		}
		if r.Code == 0 {
			r.Code = rawCode(r.Raw)
		} else if r.Code < 100 || r.Code > 699 {
			v.errf(join(p, "code"), "expected a reply code between 100 and 699, got %d", r.Code)
		}
		return
	}
	if r.Code == 0 && r.Text == "" && allowNone {
		return
	}
	if r.Code < 100 || r.Code > 699 {
		if r.Code == 0 {
			v.errf(p, `a reply needs a code (or "raw")`)
		} else {
			v.errf(p, "expected a reply code between 100 and 699, got %d", r.Code)
		}
		return
	}
	if r.Text == "" {
		r.Text = ftpcode.DefaultText(r.Code)
	}
}

func (v *validator) delay(p string, d *DelaySpec) {
	if d.Min < 0 || d.Max < 0 {
		v.errf(p, "a delay must not be negative")
		return
	}
	if d.Max != 0 && d.Max < d.Min {
		v.errf(p, "delay max (%v) is less than min (%v)", d.Max, d.Min)
	}
	if d.Max == d.Min {
		d.Max = 0
	}
}

func (v *validator) step(s *Step, p string, connect bool) {
	if len(s.Replies) == 0 && s.Then == "" {
		s.Pass = true
	}
	for k := range s.Replies {
		v.reply(index(join(p, "reply"), k), &s.Replies[k], false)
	}
	if s.Pass && len(s.Replies) > 0 {
		v.errf(join(p, "pass"), `"pass: true" conflicts with "reply": a step either replies itself or passes the command on`)
	}
	v.delay(join(p, "delay"), &s.Delay)
	v.enum(join(p, "then"), "then", string(s.Then), thenValues)
	for _, x := range []struct {
		name string
		r    *Reply
	}{{"preliminary", s.Preliminary}, {"final", s.Final}} {
		if x.r == nil {
			continue
		}
		if !s.Pass {
			v.errf(join(p, x.name), "%q applies only to a command passed on to the server, but this step replies itself", x.name)
			continue
		}
		v.reply(join(p, x.name), x.r, false)
	}
	if s.Data == nil {
		return
	}
	dp := join(p, "data")
	switch {
	case connect:
		v.errf(dp, `"data" does not apply to a connect rule`)
		return
	case !s.Pass:
		v.errf(dp, `"data" applies only to a command passed on to the server, but this step replies itself`)
		return
	}
	d := s.Data
	v.enum(join(dp, "refuse"), "refuse mode", string(d.Refuse), refuseValues)
	v.enum(join(dp, "end"), "end", string(d.End), endValues)
	if d.End != "" && d.After == 0 {
		v.errf(join(dp, "end"), `"end" applies only with "after"`)
	}
	for _, n := range []struct {
		name string
		v    int64
	}{{"after", d.After}, {"rate", d.Rate}, {"chunk", d.Chunk}, {"corrupt", d.Corrupt}, {"chunk_delay", int64(d.ChunkDelay)}} {
		if n.v < 0 {
			v.errf(join(dp, n.name), "%s must not be negative", n.name)
		}
		if d.Refuse != "" && n.v != 0 {
			v.errf(join(dp, n.name), `"refuse" never opens the data connection, so %q does not apply`, n.name)
		}
	}
	if d.ChunkDelay != 0 && d.Chunk == 0 {
		v.errf(join(dp, "chunk_delay"), `"chunk_delay" applies only with "chunk"`)
	}
	if d.Reply != nil {
		v.reply(join(dp, "reply"), d.Reply, true)
	}
	v.delay(join(dp, "delay_preliminary"), &d.DelayPreliminary)
	v.delay(join(dp, "delay_data"), &d.DelayData)
	v.delay(join(dp, "delay_final"), &d.DelayFinal)
	if d.AdvertiseHost != "" {
		if ip := net.ParseIP(d.AdvertiseHost); ip == nil || ip.To4() == nil {
			v.errf(join(dp, "advertise_host"), "advertise_host must be an IPv4 address (227 replies carry one), got %q", d.AdvertiseHost)
		}
	}
	if d.AdvertisePort < 0 || d.AdvertisePort > 65535 {
		v.errf(join(dp, "advertise_port"), "expected a port between 1 and 65535, got %d", d.AdvertisePort)
	}
}

func (v *validator) expect(e *Expectation, p string) {
	e.Command = strings.ToUpper(strings.TrimSpace(e.Command))
	if e.Command != "" && e.Command != "*" && !validVerb(e.Command) {
		v.errf(join(p, "command"), "invalid command %q: a command is a word like STOR", e.Command)
	}
	if e.NoCommandAfter != 0 {
		if e.NoCommandAfter < 100 || e.NoCommandAfter > 699 {
			v.errf(join(p, "no_command_after"), "expected a reply code between 100 and 699, got %d", e.NoCommandAfter)
		}
		for _, x := range []struct {
			name string
			set  bool
		}{{"command", e.Command != ""}, {"arg", e.Arg != nil}, {"user", e.User != ""}, {"times", e.Exactly != nil}, {"at_least", e.AtLeast != nil}, {"at_most", e.AtMost != nil}} {
			if x.set {
				v.errf(join(p, x.name), `"no_command_after" cannot be combined with %q`, x.name)
			}
		}
		return
	}
	if e.Command == "" {
		v.errf(p, `an expectation needs "command" (use "*" for any) or "no_command_after"`)
	}
	v.arg(join(p, "arg"), e.Arg)
	if e.User != "" {
		if _, err := compileGlob(e.User); err != nil {
			v.errf(join(p, "user"), "%v", err)
		}
	}
	if e.Exactly != nil && (e.AtLeast != nil || e.AtMost != nil) {
		other := "at_least"
		if e.AtLeast == nil {
			other = "at_most"
		}
		v.errf(join(p, other), `"times" conflicts with %q: use times alone, or at_least and at_most`, other)
	}
	for _, x := range []struct {
		name string
		n    *int
	}{{"times", e.Exactly}, {"at_least", e.AtLeast}, {"at_most", e.AtMost}} {
		if x.n != nil && *x.n < 0 {
			v.errf(join(p, x.name), "%s must not be negative, got %d", x.name, *x.n)
		}
	}
	if e.AtLeast != nil && e.AtMost != nil && *e.AtLeast > *e.AtMost {
		v.errf(join(p, "at_most"), "at_most (%d) is less than at_least (%d)", *e.AtMost, *e.AtLeast)
	}
}
