package scenario

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/mockftpd/mockftpd/journal"
)

// Report is the outcome of Verify.
type Report struct {
	// OK is true when every expectation is met.
	OK bool
	// Expectations holds one result per expectation, in scenario order.
	Expectations []ExpectationResult
	// Unmatched lists commands for which no rule fired although some rule
	// was close (same verb, other argument, user or state), with the
	// nearest rule and why it did not fire: usually a typo in a scenario.
	// A running server fills it in from its rules (Verify does not).
	Unmatched []NearMiss
}

// ExpectationResult is the outcome of one expectation.
type ExpectationResult struct {
	Expectation Expectation // the expectation checked
	Met         bool        // whether the journal satisfies it
	// Count is how many journal entries matched (for no_command_after, how
	// many commands broke it).
	Count int
	// Message says, for a person, what was expected and what happened.
	Message string
	// Evidence holds the matching entries (for no_command_after, the
	// offending commands).
	Evidence []journal.Entry
}

// NearMiss is a command no rule fired for, and the rule that came closest.
type NearMiss struct {
	Entry journal.Entry // the command
	Rule  string        // the nearest rule's label; empty when no rule names the command (a strict scenario's 502)
	Why   string        // why that rule did not fire, e.g. "path /a.txt does not match glob /out/*"
}

// Verify checks journal entries against the expectations of sc. Events
// (connections, session ends) are not commands and are skipped. Its cost
// is linear in the entries and the expectations: the entries are indexed
// once by verb and by argument.
func Verify(sc *Scenario, entries []journal.Entry) Report {
	if sc == nil {
		sc = &Scenario{}
	}
	x := indexEntries(entries)
	rep := Report{OK: true}
	after := map[int]ExpectationResult{} // no_command_after results by code
	for _, e := range sc.Expect {
		var res ExpectationResult
		if e.NoCommandAfter != 0 {
			r, ok := after[e.NoCommandAfter]
			if !ok {
				r = verifyNoCommandAfter(e.NoCommandAfter, x.cmds)
				after[e.NoCommandAfter] = r
			}
			res = named(e, r)
		} else {
			res = verifyCount(e, x)
		}
		rep.OK = rep.OK && res.Met
		rep.Expectations = append(rep.Expectations, res)
	}
	return rep
}

// entryIndex is the commands of a journal, in seq order, by verb and by
// argument.
type entryIndex struct {
	cmds      []*journal.Entry
	byVerb    map[string][]*journal.Entry
	byVerbArg map[[2]string][]*journal.Entry
	byArg     map[string][]*journal.Entry
}

func indexEntries(entries []journal.Entry) *entryIndex {
	x := &entryIndex{byVerb: map[string][]*journal.Entry{}, byVerbArg: map[[2]string][]*journal.Entry{}, byArg: map[string][]*journal.Entry{}}
	for i := range entries {
		e := &entries[i]
		if e.Event() || e.Command == "" {
			continue
		}
		x.cmds = append(x.cmds, e)
	}
	if !slices.IsSortedFunc(x.cmds, func(a, b *journal.Entry) int { return a.Seq - b.Seq }) {
		slices.SortStableFunc(x.cmds, func(a, b *journal.Entry) int { return a.Seq - b.Seq })
	}
	for _, e := range x.cmds {
		v := upper(e.Command)
		x.byVerb[v] = append(x.byVerb[v], e)
		x.byVerbArg[[2]string{v, e.Arg}] = append(x.byVerbArg[[2]string{v, e.Arg}], e)
		x.byArg[e.Arg] = append(x.byArg[e.Arg], e)
	}
	return x
}

// candidates are the entries an expectation can match, in seq order: by
// its verb and exact argument when it has them.
func (x *entryIndex) candidates(verb string, arg *Pattern) []*journal.Entry {
	exact, isExact := arg.Exact()
	switch anyVerb := verb == "" || verb == "*"; {
	case anyVerb && isExact:
		return x.byArg[exact]
	case anyVerb:
		return x.cmds
	case isExact:
		return x.byVerbArg[[2]string{verb, exact}]
	}
	return x.byVerb[verb]
}

// String writes the report for a person: one line per expectation, then
// the near misses.
func (r Report) String() string {
	var b strings.Builder
	for _, e := range r.Expectations {
		mark := "ok  "
		if !e.Met {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "%s %s\n", mark, e.Message)
	}
	for _, n := range r.Unmatched {
		if n.Rule == "" {
			fmt.Fprintf(&b, "note: %s (session %d) matched no rule: %s\n", commandText(n.Entry.Command, n.Entry.Arg), n.Entry.Session, n.Why)
			continue
		}
		fmt.Fprintf(&b, "note: %s (session %d) matched no rule; nearest is %s: %s\n", commandText(n.Entry.Command, n.Entry.Arg), n.Entry.Session, n.Rule, n.Why)
	}
	return b.String()
}

func commandText(verb, arg string) string {
	if arg == "" {
		return verb
	}
	return verb + " " + arg
}

// selection describes what an expectation selects: `STOR /out/report.csv`,
// `STOR matching /out/*`, `any command by alice`.
func selection(e Expectation) string {
	s := e.Command
	if s == "" || s == "*" {
		s = "any command"
	}
	if a := describeArg(e.Arg); a != "" {
		s += " " + a
	}
	if p := describeArg(e.Path); p != "" {
		s += " on path " + p
	}
	if e.User != "" {
		s += " by " + e.User
	}
	return s
}

func times(n int) string { return plural(n, "time", "times") }

func sessionsOf(entries []journal.Entry) string {
	var ns []int
	seen := map[int]bool{}
	for _, e := range entries {
		if !seen[e.Session] {
			seen[e.Session] = true
			ns = append(ns, e.Session)
		}
	}
	sort.Ints(ns)
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	word := "sessions "
	if len(ns) == 1 {
		word = "session "
	}
	return " (" + word + strings.Join(parts, ", ") + ")"
}

func verifyCount(e Expectation, x *entryIndex) ExpectationResult {
	res := ExpectationResult{Expectation: e}
	arg, _ := compileArg(e.Arg)
	p, _ := compileArg(e.Path)
	var user *Pattern
	if e.User != "" {
		user, _ = CompileGlob(e.User)
	}
	for _, en := range x.candidates(strings.ToUpper(e.Command), arg) {
		if !arg.Match(en.Arg) || (p != nil && (en.Path == "" || !p.Match(en.Path))) || (user != nil && !user.Match(en.User)) {
			continue
		}
		res.Evidence = append(res.Evidence, *en)
	}
	n := len(res.Evidence)
	res.Count = n
	var want string
	switch {
	case e.Exactly != nil:
		want = "exactly " + times(*e.Exactly)
		res.Met = n == *e.Exactly
	case e.AtLeast != nil && e.AtMost != nil:
		want = fmt.Sprintf("between %d and %s", *e.AtLeast, times(*e.AtMost))
		res.Met = n >= *e.AtLeast && n <= *e.AtMost
	case e.AtLeast != nil:
		want = "at least " + times(*e.AtLeast)
		res.Met = n >= *e.AtLeast
	case e.AtMost != nil:
		want = "at most " + times(*e.AtMost)
		res.Met = n <= *e.AtMost
	default:
		want = "at least once"
		res.Met = n >= 1
	}
	saw := "saw none"
	if n > 0 {
		saw = "saw " + strconv.Itoa(n) + sessionsOf(res.Evidence)
	}
	res.Message = fmt.Sprintf("%sexpected %s %s, %s", namePrefix(e), selection(e), want, saw)
	return res
}

func namePrefix(e Expectation) string {
	if e.Name == "" {
		return ""
	}
	return e.Name + ": "
}

// named fills a shared no_command_after result in for expectation e.
func named(e Expectation, r ExpectationResult) ExpectationResult {
	r.Expectation = e
	r.Message = namePrefix(e) + r.Message
	return r
}

// verifyNoCommandAfter checks that in no session a command but QUIT came
// after a reply with code (the result has no Expectation nor name yet).
func verifyNoCommandAfter(code int, cmds []*journal.Entry) ExpectationResult {
	var res ExpectationResult
	last := map[int]*journal.Entry{} // session -> command that got the code
	var causes []*journal.Entry
	for _, en := range cmds {
		// QUIT is how a well-behaved client leaves after a failure: allowed.
		if c, ok := last[en.Session]; ok && en.Command != "QUIT" {
			res.Evidence = append(res.Evidence, *en)
			causes = append(causes, c)
			delete(last, en.Session) // one offence per reply
		}
		if slices.Contains(en.Codes, code) {
			last[en.Session] = en
		}
	}
	res.Count = len(res.Evidence)
	res.Met = res.Count == 0
	if res.Met {
		res.Message = fmt.Sprintf("expected no command after a %d reply, saw none", code)
		return res
	}
	var parts []string
	for i, en := range res.Evidence {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(res.Evidence)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s after %s got %d in session %d", commandText(en.Command, en.Arg), commandText(causes[i].Command, causes[i].Arg), code, en.Session))
	}
	res.Message = fmt.Sprintf("expected no command after a %d reply, saw %s", code, strings.Join(parts, "; "))
	return res
}

func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}
