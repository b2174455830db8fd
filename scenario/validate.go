package scenario

import (
	"encoding/base64"
	"fmt"
	"math"
	"path"
	"reflect"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/mockftpd/mockftpd/dialect"
	"github.com/mockftpd/mockftpd/ftpcode"
)

// Normalize checks sc and returns a deep copy of it with its defaults
// filled in; sc itself is never changed. The defaults: Version 1 when zero,
// each rule's Index, upper-case verbs (a lone "*" means any), a pass step
// for a rule without steps, Pass on a step with neither reply nor then,
// Exhausted "pass" for a rule with several steps, the catalogue's text for a
// reply code without one, the code of a raw reply, the scenario seed for
// generated files without one, a delay range whose ends are equal made a
// fixed delay, and an empty argument pattern removed.
//
// On failure it returns a nil scenario and an ErrorList of every problem
// found (up to MaxErrors). Without source positions, each error names the
// rule (by its label) or the entry it is about.
//
// Which fields of a step combine, and how: see the table at validator.step
// (combine.go).
func (sc *Scenario) Normalize() (*Scenario, error) {
	if sc == nil {
		sc = &Scenario{Version: FormatVersion}
	}
	file := sc.Source
	if file == "" {
		file = sc.Name
	}
	c, errs := normalize(clone(sc), &locator{file: file}, nil)
	if err := finish(errs); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks sc as Normalize does, without changing it: nil means
// Normalize succeeds.
func (sc *Scenario) Validate() error {
	_, err := sc.Normalize()
	return err
}

type validator struct {
	sc     *Scenario
	loc    *locator
	errs   ErrorList
	states map[string]bool // set by some rule's next_state (or the scenario a rule joins)
	known  []string        // the states, for suggestions
	// suggested counts the states compared for suggestions so far.
	suggested int
}

// normalize fills in sc's defaults in place and returns every problem.
// extra lists states set outside sc (ParseRule's scenario).
func normalize(sc *Scenario, loc *locator, extra []string) (*Scenario, ErrorList) {
	loc.sc = sc
	v := &validator{sc: sc, loc: loc, states: map[string]bool{}}
	if sc.Version == 0 && loc.root == nil {
		sc.Version = FormatVersion
	}
	if sc.Version != FormatVersion {
		v.errf("version", "unsupported version %d (this mockftpd reads version %d)", sc.Version, FormatVersion)
	}
	v.users()
	v.files()
	v.settings()
	for _, s := range extra {
		v.states[s] = s != ""
	}
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
	return sc, v.errs
}

// full reports whether enough errors were found to stop looking.
func (v *validator) full() bool { return len(v.errs) > 4*MaxErrors }

func (v *validator) errf(path, format string, args ...any) {
	if v.full() || v.loc.suppressed(path) {
		return
	}
	v.errs = append(v.errs, v.loc.at(path, fmt.Sprintf(format, args...)))
}

// where names a place for "first at ..." notes: a line when known, else the path.
func (v *validator) where(path string) string {
	if l := v.loc.line(path); l > 0 {
		return "line " + strconv.Itoa(l)
	}
	return path
}

// bounds checks what the model's tags say, on rv (at path p) and below:
// numbers within their bounds (zero is unset, unless given through a
// pointer), enumerated values known, durations not negative.
func (v *validator) bounds(rv reflect.Value, p string) {
	b := boundsWalk{v: v, base: p}
	b.walk(rv, nil, false)
}

// boundsWalk keeps the path below base as segments, rendered only for an
// error: a rule without problems costs no string.
type boundsWalk struct {
	v    *validator
	base string
	at   []seg
}

func (b *boundsWalk) path() string {
	d := decoder{at: b.at}
	rest := d.path()
	switch {
	case rest == "":
		return b.base
	case b.base == "" || rest[0] == '[':
		return b.base + rest
	}
	return b.base + "." + rest
}

func (b *boundsWalk) errf(format string, args ...any) {
	b.v.errf(b.path(), format, args...)
}

func (b *boundsWalk) walk(rv reflect.Value, f *fieldInfo, set bool) {
	t := rv.Type()
	if e, ok := enums[t]; ok {
		if s := rv.String(); s != "" && !contains(e.values, s) {
			b.errf("unknown %s %q (use %s)%s", e.noun, s, orList(e.values), didYouMean(s, e.values))
		}
		return
	}
	if isDuration(t) {
		if rv.Int() < 0 {
			b.errf("a duration must not be negative, got %v", rv.Interface())
		}
		return
	}
	switch rv.Kind() {
	case reflect.Pointer:
		if !rv.IsNil() {
			b.walk(rv.Elem(), f, true)
		}
	case reflect.Struct:
		if t == typeTime || t == typeReply { // a reply checks its code itself
			return
		}
		si := infoOf(t)
		for i := range si.fields {
			sf := &si.fields[i]
			name := sf.name
			if t == typeRule && name == "responses" {
				name = "steps" // a rule's steps, also when written as its shorthand
			}
			b.at = append(b.at, seg{key: name})
			b.walk(rv.Field(sf.index), sf, false)
			b.at = b.at[:len(b.at)-1]
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			return
		}
		for i := range rv.Len() {
			b.at = append(b.at, seg{idx: i})
			b.walk(rv.Index(i), nil, false)
			b.at = b.at[:len(b.at)-1]
		}
	default:
		if x, ok := number(rv); ok && f != nil && (x != 0 || set || math.IsNaN(x)) {
			if msg := f.outOfRange(x); msg != "" {
				b.errf("%s", msg)
			}
		}
	}
}

func orList(values []string) string {
	if len(values) == 1 {
		return values[0]
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}

// badName says why a path or name cannot be used in replies and listings,
// or "".
func badName(s string) string {
	if strings.ContainsAny(s, "\r\n\x00") {
		return "must not contain a line break (CR, LF) or NUL: it would forge replies"
	}
	return ""
}

func (v *validator) users() {
	first := map[string]int{}
	for i := range v.sc.Users {
		u := &v.sc.Users[i]
		p := index("users", i)
		switch {
		case u.Name == "":
			v.errf(p, "a user needs a name")
		case strings.ContainsAny(u.Name, " \t\r\n\x00"):
			v.errf(join(p, "name"), "user name %q must not contain spaces", u.Name)
		}
		if j, dup := first[u.Name]; dup && u.Name != "" {
			v.errf(join(p, "name"), "user %q is defined twice (first at %s)", u.Name, v.where(index("users", j)))
		} else {
			first[u.Name] = i
		}
		switch {
		case u.Home == "":
		case badName(u.Home) != "":
			v.errf(join(p, "home"), "home %q %s", u.Home, badName(u.Home))
		case !strings.HasPrefix(u.Home, "/"):
			v.errf(join(p, "home"), "home must be an absolute path like \"/%s\", got %q", strings.TrimLeft(u.Home, "./"), u.Home)
		}
	}
}

func (v *validator) files() {
	first := make(map[string]int, len(v.sc.Files))
	for i := range v.sc.Files {
		f := &v.sc.Files[i]
		p := index("files", i)
		v.bounds(reflect.ValueOf(f).Elem(), p)
		switch {
		case f.Path == "":
			v.errf(p, "a file entry needs a path")
		case badName(f.Path) != "":
			v.errf(join(p, "path"), "path %q %s", f.Path, badName(f.Path))
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

func (v *validator) settings() {
	s := &v.sc.Settings
	v.bounds(reflect.ValueOf(s).Elem(), "settings")
	for i, c := range s.CustomCommands {
		c = strings.ToUpper(strings.TrimSpace(c))
		s.CustomCommands[i] = c
		switch _, std := verbs[c]; {
		case !validVerb(c):
			v.errf(index("settings.custom_commands", i), "invalid command %q: a command is a word like XFOO", c)
		case std:
			v.errf(index("settings.custom_commands", i), "%s is a standard command (%s): remove it from custom_commands", c, verbs[c].Spec)
		}
	}
	for i, c := range s.Disable {
		c = strings.ToUpper(strings.TrimSpace(c))
		s.Disable[i] = c
		if !validVerb(c) {
			v.errf(index("settings.disable", i), "invalid command %q: a command is a word like EPSV", c)
		} else if err := CheckVerb(c, s.CustomCommands); err != nil {
			v.errf(index("settings.disable", i), "%v", err)
		}
	}
	for i, f := range s.Features {
		if strings.TrimSpace(f) == "" || strings.ContainsAny(f, "\r\n") {
			v.errf(index("settings.features", i), "a feature is one non-empty line, got %q", f)
		}
	}
	v.dialect()
}

// dialect checks settings.dialect and writes it as the dialect's name.
func (v *validator) dialect() {
	s := &v.sc.Settings
	if s.Dialect == "" {
		return
	}
	d, ok := dialect.Lookup(s.Dialect)
	if !ok {
		v.errf("settings.dialect", "%v", dialect.Check(s.Dialect))
		return
	}
	s.Dialect = d.Name
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
	switch {
	case a.Regex != "":
		if _, err := syntax.Parse(a.Regex, syntax.Perl); err != nil {
			v.errf(join(p, "regex"), "invalid regex %q: %v", a.Regex, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
	case a.Glob != "":
		v.glob(join(p, "glob"), a.Glob)
	}
}

// path checks a path condition: a pattern that can match an absolute,
// clean path, on commands that act on one (verbs; none means any).
func (v *validator) path(p string, a *ArgMatch, verbs []string) {
	if a == nil {
		return
	}
	v.arg(p, a)
	switch {
	case a.Regex == "^$":
		v.errf(p, "an empty path matches no command: give the absolute path the command acts on, e.g. /data/export.csv")
	case a.Exact != "" && !strings.HasPrefix(a.Exact, "/"):
		v.errf(p, "a path is absolute (the path the command acts on, whatever the working directory): did you mean %q?", path.Clean("/"+a.Exact))
	case a.Exact != "" && path.Clean(a.Exact) != a.Exact:
		v.errf(p, "path %q is not clean: the path a command acts on is, so did you mean %q?", a.Exact, path.Clean(a.Exact))
	case a.Glob != "" && !strings.HasPrefix(a.Glob, "/") && !strings.HasPrefix(a.Glob, "**"):
		v.errf(join(p, "glob"), "a path glob matches absolute paths: start it with / (e.g. %q) or ** (any folder)", "/"+a.Glob)
	}
	for _, c := range verbs {
		if !TakesPath(c) {
			v.errf(p, "%q does not apply to %s: it acts on no path", "path", c)
			return
		}
	}
}

// glob checks a glob's syntax (the matcher compiles it: checking is cheaper).
func (v *validator) glob(p, g string) {
	if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
		v.errf(p, "invalid glob %q: %v", g, err)
	}
}

func (v *validator) rule(r *Rule, i int) {
	if v.full() {
		return
	}
	p := index("rules", i)
	r.Index = i
	for _, e := range r.errs {
		v.errf(p, "%s", e)
	}
	v.bounds(reflect.ValueOf(r).Elem(), p)
	w := &r.When
	wp := join(p, "when")
	var cmds []string
	for j, c := range w.Commands {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "*" {
			if len(w.Commands) > 1 {
				v.errf(join(wp, "command"), `"*" already means any command: list it alone`)
			}
			continue
		}
		if err := CheckVerb(c, v.sc.Settings.CustomCommands); err != nil {
			v.errf(index(join(wp, "command"), j), "%v", err)
		}
		if !contains(cmds, c) {
			cmds = append(cmds, c)
		}
	}
	w.Commands = cmds
	if w.Arg != nil && *w.Arg == (ArgMatch{}) {
		w.Arg = nil
	}
	if w.Path != nil && *w.Path == (ArgMatch{}) {
		w.Path = nil
	}
	if w.Event == EventConnect {
		for _, x := range []struct {
			key, why string
			set      bool
		}{
			{"command", "a connect rule matches a new connection, not a command", len(w.Commands) > 0},
			{"arg", "a connect rule matches a new connection, not a command", w.Arg != nil},
			{"path", "a connect rule matches a new connection, not a command", w.Path != nil},
			{"user", "a connect rule matches before anyone logs in", w.User != ""},
			{"count", "a connect rule counts connections across sessions", w.Count == PerSession && w.Nth > 0},
		} {
			if x.set && x.key == "count" {
				v.errf(join(wp, x.key), `%s: remove "count: session"`, x.why)
			} else if x.set {
				v.errf(join(wp, x.key), "%s: remove %q", x.why, x.key)
			}
		}
	}
	v.arg(join(wp, "arg"), w.Arg)
	if w.Event != EventConnect {
		v.path(join(wp, "path"), w.Path, w.Commands)
	}
	if w.User != "" {
		v.glob(join(wp, "user"), w.User)
	}
	if w.Count != "" && w.Nth == 0 {
		v.errf(join(wp, "count"), `"count" applies only with "nth"`)
	}
	if w.State != "" && !v.states[w.State] && !v.full() {
		// A state no rule sets may be set from outside (the admin API,
		// Runtime.SetState); only one that looks like a typo is an error.
		if hint := v.stateHint(w.State); hint != "" {
			v.errf(join(wp, "state"), "state %q is never set: no rule has \"next_state: %s\"%s", w.State, w.State, hint)
		}
	}
	if len(r.Steps) == 0 {
		r.Steps = []Step{PassStep()}
	}
	if len(r.Steps) > 1 && r.Exhausted == "" {
		r.Exhausted = ExhaustedPass
	}
	for j := range r.Steps {
		v.step(r, &r.Steps[j], index(join(p, "steps"), j))
	}
}

// stateHint suggests a state some rule sets for state, which none sets.
// The suggestions of a scenario cost at most suggestBudget comparisons:
// with many rules matching states set from outside, later ones get none.
func (v *validator) stateHint(state string) string {
	if v.known == nil {
		v.known = []string{}
		for s, ok := range v.states {
			if ok {
				v.known = append(v.known, s)
			}
		}
		slices.Sort(v.known)
	}
	if v.suggested += len(v.known); v.suggested > suggestBudget {
		return ""
	}
	return didYouMean(state, v.known)
}

const suggestBudget = 1_000_000

func (v *validator) reply(p string, r *Reply, allowNone bool) {
	if r.Raw != "" {
		if r.Text != "" {
			v.errf(p, `a reply takes "text" or "raw", not both`)
		}
		if r.Code == 0 {
			r.Code = rawCode(r.Raw)
		} else if msg := infoOf(typeReply).byName["code"].outOfRange(float64(r.Code)); msg != "" {
			v.errf(join(p, "code"), "%s", msg)
		}
		return
	}
	code := infoOf(typeReply).byName["code"]
	switch {
	case r.Code == 0 && r.Text == "" && allowNone:
	case r.Code == 0:
		v.errf(p, `a reply needs a code (or "raw")`)
	case code.outOfRange(float64(r.Code)) != "":
		v.errf(p, "%s", code.outOfRange(float64(r.Code)))
	case r.Text == "":
		r.Text = ftpcode.DefaultText(r.Code)
	}
}

func (v *validator) delay(p string, d *DelaySpec) {
	if d.Max != 0 && d.Max < d.Min {
		v.errf(p, "delay max (%v) is less than min (%v)", d.Max, d.Min)
	}
	if d.Max == d.Min {
		d.Max = 0
	}
}

func (v *validator) expect(e *Expectation, p string) {
	v.bounds(reflect.ValueOf(e).Elem(), p)
	e.Command = strings.ToUpper(strings.TrimSpace(e.Command))
	if e.Command != "" && e.Command != "*" {
		if err := CheckVerb(e.Command, v.sc.Settings.CustomCommands); err != nil {
			v.errf(join(p, "command"), "%v", err)
		}
	}
	if e.Arg != nil && *e.Arg == (ArgMatch{}) {
		e.Arg = nil
	}
	if e.Path != nil && *e.Path == (ArgMatch{}) {
		e.Path = nil
	}
	if e.NoCommandAfter != 0 {
		for _, x := range []struct {
			name string
			set  bool
		}{{"command", e.Command != ""}, {"arg", e.Arg != nil}, {"path", e.Path != nil}, {"user", e.User != ""}, {"times", e.Exactly != nil}, {"at_least", e.AtLeast != nil}, {"at_most", e.AtMost != nil}} {
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
	var verbs []string
	if e.Command != "*" {
		verbs = []string{e.Command}
	}
	v.path(join(p, "path"), e.Path, verbs)
	if e.User != "" {
		v.glob(join(p, "user"), e.User)
	}
	if e.Exactly != nil && (e.AtLeast != nil || e.AtMost != nil) {
		other := "at_least"
		if e.AtLeast == nil {
			other = "at_most"
		}
		v.errf(join(p, other), `"times" conflicts with %q: use times alone, or at_least and at_most`, other)
	}
	if e.AtLeast != nil && e.AtMost != nil && *e.AtLeast > *e.AtMost {
		v.errf(join(p, "at_most"), "at_most (%d) is less than at_least (%d)", *e.AtMost, *e.AtLeast)
	}
}
