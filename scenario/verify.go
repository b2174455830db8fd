package scenario

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Record is one command of the server's journal, as Verify reads it.
type Record struct {
	Session int       // the session's number (1-based)
	Seq     int       // the command's position in the journal (any increasing numbering)
	Time    time.Time // when it arrived
	Verb    string    // the command's verb, upper-case ("" for a connection)
	Arg     string    // the command's argument as sent
	User    string    // the session's user name when the command arrived
	Codes   []int     // reply codes sent for it, in order
	Rule    string    // label of the rule that fired for it, "" if none
}

// Report is the outcome of Verify.
type Report struct {
	// OK is true when every expectation is met.
	OK bool
	// Expectations holds one result per expectation, in scenario order.
	Expectations []ExpectationResult
	// Unmatched lists commands for which no rule fired although some rule
	// was close (same verb, other argument, user or state), with the
	// nearest rule and why it did not fire: usually a typo in a scenario.
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
	Evidence []Record
}

// NearMiss is a command no rule fired for, and the rule that came closest.
type NearMiss struct {
	Record Record // the command
	Rule   string // the nearest rule's label
	Why    string // why that rule did not fire, e.g. "arg /a.txt does not match glob /out/*"
}

// Verify checks the journal records against the expectations of sc (the
// runtime's scenario when sc is nil) and lists near misses using rt's rules
// (sc's when rt is nil).
func Verify(sc *Scenario, rt *Runtime, records []Record) Report {
	var set *ruleset
	if rt != nil {
		// near misses read the rules' counters: hold the runtime's lock
		rt.mu.Lock()
		defer rt.mu.Unlock()
		set = rt.cur.Load()
		if sc == nil {
			sc = set.sc
		}
	}
	if sc == nil {
		sc = &Scenario{}
	}
	if set == nil {
		set = compile(sc, nil)
	}
	recs := append([]Record(nil), records...)
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Seq < recs[j].Seq })
	rep := Report{OK: true}
	for _, e := range sc.Expect {
		var res ExpectationResult
		if e.NoCommandAfter != 0 {
			res = verifyNoCommandAfter(e, recs)
		} else {
			res = verifyCount(e, recs)
		}
		rep.OK = rep.OK && res.Met
		rep.Expectations = append(rep.Expectations, res)
	}
	for _, r := range recs {
		if r.Rule != "" || r.Verb == "" {
			continue
		}
		if rule, why, ok := nearMiss(set, Request{Verb: r.Verb, Arg: r.Arg, User: r.User}, r.Session, nil); ok {
			rep.Unmatched = append(rep.Unmatched, NearMiss{Record: r, Rule: rule.Label(), Why: why})
		}
	}
	return rep
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
		fmt.Fprintf(&b, "note: %s (session %d) matched no rule; nearest is %s: %s\n", commandText(n.Record.Verb, n.Record.Arg), n.Record.Session, n.Rule, n.Why)
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
	if e.User != "" {
		s += " by " + e.User
	}
	return s
}

func times(n int) string { return plural(n, "time", "times") }

func sessionsOf(recs []Record) string {
	var ns []int
	seen := map[int]bool{}
	for _, r := range recs {
		if !seen[r.Session] {
			seen[r.Session] = true
			ns = append(ns, r.Session)
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

func verifyCount(e Expectation, recs []Record) ExpectationResult {
	res := ExpectationResult{Expectation: e}
	arg, _ := compileArg(e.Arg)
	var user *regexp.Regexp
	if e.User != "" {
		user, _ = compileGlob(e.User)
	}
	cmd := strings.ToUpper(e.Command)
	for _, r := range recs {
		if r.Verb == "" {
			continue
		}
		if cmd != "" && cmd != "*" && upper(r.Verb) != cmd {
			continue
		}
		if !arg.match(r.Arg) || (user != nil && !user.MatchString(r.User)) {
			continue
		}
		res.Evidence = append(res.Evidence, r)
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
	name := ""
	if e.Name != "" {
		name = e.Name + ": "
	}
	res.Message = fmt.Sprintf("%sexpected %s %s, %s", name, selection(e), want, saw)
	return res
}

func verifyNoCommandAfter(e Expectation, recs []Record) ExpectationResult {
	res := ExpectationResult{Expectation: e}
	code := e.NoCommandAfter
	type cause struct {
		rec Record
		ok  bool
	}
	last := map[int]cause{} // session -> command that got the code
	var causes []Record
	for _, r := range recs {
		// QUIT is how a well-behaved client leaves after a failure: allowed.
		if c, ok := last[r.Session]; ok && c.ok && r.Verb != "" && r.Verb != "QUIT" {
			res.Evidence = append(res.Evidence, r)
			causes = append(causes, c.rec)
			delete(last, r.Session) // one offence per reply
		}
		for _, got := range r.Codes {
			if got == code {
				last[r.Session] = cause{r, true}
			}
		}
	}
	res.Count = len(res.Evidence)
	res.Met = res.Count == 0
	name := ""
	if e.Name != "" {
		name = e.Name + ": "
	}
	if res.Met {
		res.Message = fmt.Sprintf("%sexpected no command after a %d reply, saw none", name, code)
		return res
	}
	var parts []string
	for i, r := range res.Evidence {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(res.Evidence)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("%s after %s got %d in session %d", commandText(r.Verb, r.Arg), commandText(causes[i].Verb, causes[i].Arg), code, r.Session))
	}
	res.Message = fmt.Sprintf("%sexpected no command after a %d reply, saw %s", name, code, strings.Join(parts, "; "))
	return res
}
