package scenario

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// compileGlob turns a glob into an anchored regexp: path.Match syntax ("*"
// and "?" stop at "/", "[a-z]" classes, "\" escapes), plus "**" for any run
// of characters including "/".
func compileGlob(g string) (*regexp.Regexp, error) {
	if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
		return nil, fmt.Errorf("invalid glob %q: %v", g, err)
	}
	var b strings.Builder
	b.WriteString(`\A(?s:`)
	rs := []rune(g)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch c {
		case '*':
			if i+1 < len(rs) && rs[i+1] == '*' {
				b.WriteString(".*")
				for i+1 < len(rs) && rs[i+1] == '*' {
					i++
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '\\':
			if i+1 < len(rs) {
				i++
				b.WriteString(regexp.QuoteMeta(string(rs[i])))
			}
		case '[':
			b.WriteByte('[')
			i++
			if i < len(rs) && rs[i] == '^' {
				b.WriteByte('^')
				i++
			}
			for ; i < len(rs) && rs[i] != ']'; i++ {
				switch rs[i] {
				case '\\':
					if i+1 < len(rs) {
						i++
					}
					b.WriteString(regexp.QuoteMeta(string(rs[i])))
				case '-':
					b.WriteByte('-')
				default:
					b.WriteString(classQuote(rs[i]))
				}
			}
			b.WriteByte(']')
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)\z`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("invalid glob %q: %v", g, err)
	}
	return re, nil
}

func classQuote(r rune) string {
	switch r {
	case '[', ']', '^', '\\', '-':
		return `\` + string(r)
	}
	return string(r)
}

// argMatcher is a compiled ArgMatch; the nil value matches any argument.
type argMatcher struct {
	exact    string
	hasExact bool
	re       *regexp.Regexp
	src      *ArgMatch
}

func compileArg(a *ArgMatch) (*argMatcher, error) {
	if a == nil || (a.Exact == "" && a.Glob == "" && a.Regex == "") {
		return nil, nil
	}
	m := &argMatcher{src: a}
	switch {
	case a.Regex != "":
		re, err := regexp.Compile(a.Regex)
		if err != nil {
			return nil, fmt.Errorf("invalid regex %q: %v", a.Regex, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		}
		m.re = re
	case a.Glob != "":
		re, err := compileGlob(a.Glob)
		if err != nil {
			return nil, err
		}
		m.re = re
	default:
		m.exact, m.hasExact = a.Exact, true
	}
	return m, nil
}

func (m *argMatcher) match(arg string) bool {
	if m == nil {
		return true
	}
	if m.hasExact {
		return arg == m.exact
	}
	return m.re.MatchString(arg)
}

// why says why arg does not match.
func (m *argMatcher) why(arg string) string {
	a := "arg " + arg
	if arg == "" {
		a = "no arg"
	}
	switch {
	case m.hasExact:
		return a + " is not " + m.exact
	case m.src.Regex == "^$":
		return a + " where the rule wants none"
	case m.src.Regex != "":
		return a + " does not match regex " + m.src.Regex
	}
	return a + " does not match glob " + m.src.Glob
}

// describeArg writes an ArgMatch for messages: "/a.txt", "matching /out/*".
func describeArg(a *ArgMatch) string {
	switch {
	case a == nil:
		return ""
	case a.Regex == "^$":
		return "with no argument"
	case a.Regex != "":
		return "matching regex " + a.Regex
	case a.Glob != "":
		return "matching " + a.Glob
	}
	return a.Exact
}

// crule is a compiled rule with its global counters (guarded by Runtime.mu).
type crule struct {
	rule   *Rule
	arg    *argMatcher
	user   *regexp.Regexp
	global bool // nth counted across sessions
	nth    int
	pos    int // position in the ruleset

	seen  int // global count of commands that matched the pattern
	fires int
	next  int // next step
}

// candList is rules that may match a request, in scenario order.
type candList struct {
	rules   []*crule
	lastNth int // index of the last rule with nth, -1 for none
}

func newCandList(rules []*crule) *candList {
	l := &candList{rules: rules, lastNth: -1}
	for i, c := range rules {
		if c.nth > 0 {
			l.lastNth = i
		}
	}
	return l
}

// argIndex splits the rules that may match a verb by their argument
// condition: a rule with an exact argument can only match a request with
// that argument, so a request need only look at the rules for its own
// argument, and at the rest.
type argIndex struct {
	exact map[string]*candList // rules with an exact argument, by argument
	rest  *candList            // rules with a glob, a regex or no argument condition
}

func newArgIndex(rules []*crule) *argIndex {
	x := &argIndex{}
	var rest []*crule
	count := map[string]int{} // rules per exact argument
	for _, c := range rules {
		if c.arg != nil && c.arg.hasExact {
			count[c.arg.exact]++
		} else {
			rest = append(rest, c)
		}
	}
	x.rest = newCandList(rest)
	if len(count) == 0 {
		return x
	}
	// one allocation for the lists and one for their rules: large
	// scenarios have thousands of exact arguments
	lists := make([]candList, 0, len(count))
	all := make([]*crule, len(rules)-len(rest))
	x.exact = make(map[string]*candList, len(count))
	for _, c := range rules {
		if c.arg == nil || !c.arg.hasExact {
			continue
		}
		l := x.exact[c.arg.exact]
		if l == nil {
			n := count[c.arg.exact]
			lists = append(lists, candList{rules: all[:0:n], lastNth: -1})
			all = all[n:]
			l = &lists[len(lists)-1]
			x.exact[c.arg.exact] = l
		}
		if c.nth > 0 {
			l.lastNth = len(l.rules)
		}
		l.rules = append(l.rules, c)
	}
	return x
}

// forArg returns the rules with exact argument arg, or nil.
func (x *argIndex) forArg(arg string) *candList {
	if len(x.exact) == 0 {
		return nil
	}
	return x.exact[arg]
}

// ruleset is a scenario's rules compiled and indexed by verb and by exact
// argument.
type ruleset struct {
	sc    *Scenario
	rules []*crule
	// byVerb has, for each verb a rule names, the rules naming it with an
	// exact argument and, in rest, the other rules naming it merged with
	// anyVerb.rest.
	byVerb  map[string]*argIndex
	named   map[string][]*crule // only the rules naming the verb
	anyVerb *argIndex           // the rules for any verb
	connect *candList
}

func compileRule(r *Rule) *crule {
	c := &crule{rule: r, nth: r.When.Nth}
	c.arg, _ = compileArg(r.When.Arg)
	if r.When.User != "" {
		c.user, _ = compileGlob(r.When.User)
		if c.user == nil {
			c.user = regexp.MustCompile(`\A\z.`) // an invalid glob never matches
		}
	}
	if r.When.Arg != nil && c.arg == nil && (r.When.Arg.Glob != "" || r.When.Arg.Regex != "") {
		c.arg = &argMatcher{re: regexp.MustCompile(`\A\z.`), src: r.When.Arg}
	}
	if r.When.Event == EventConnect {
		c.global = r.When.Count != PerSession
	} else {
		c.global = r.When.Count == Global
	}
	return c
}

// compile indexes sc's rules; reuse maps rules to existing compiled rules
// whose counters carry over.
func compile(sc *Scenario, reuse map[*Rule]*crule) *ruleset {
	set := &ruleset{sc: sc, byVerb: map[string]*argIndex{}, named: map[string][]*crule{}}
	var anyVerb, connect []*crule
	for i := range sc.Rules {
		r := &sc.Rules[i]
		c := reuse[r]
		if c == nil {
			c = compileRule(r)
		}
		c.pos = i
		set.rules = append(set.rules, c)
		switch {
		case r.When.Event == EventConnect:
			connect = append(connect, c)
		case len(r.When.Commands) == 0 || slices.Contains(r.When.Commands, "*"):
			// Validate leaves no "*" in Commands: it means any verb
			anyVerb = append(anyVerb, c)
		default:
			for _, v := range r.When.Commands {
				v = strings.ToUpper(v)
				if l := set.named[v]; len(l) == 0 || l[len(l)-1] != c {
					set.named[v] = append(l, c)
				}
			}
		}
	}
	set.anyVerb = newArgIndex(anyVerb)
	set.connect = newCandList(connect)
	anyRest := set.anyVerb.rest.rules
	for v, named := range set.named {
		x := newArgIndex(named)
		rest := x.rest.rules
		merged := make([]*crule, 0, len(rest)+len(anyRest))
		i, j := 0, 0
		for i < len(rest) || j < len(anyRest) {
			if j == len(anyRest) || (i < len(rest) && rest[i].pos < anyRest[j].pos) {
				merged = append(merged, rest[i])
				i++
			} else {
				merged = append(merged, anyRest[j])
				j++
			}
		}
		x.rest = newCandList(merged)
		set.byVerb[v] = x
	}
	return set
}

func upper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			return strings.ToUpper(s)
		}
	}
	return s
}

// candIter walks the rules that may match a request in scenario order: the
// merge, by position, of up to three candidate lists with no rule in common.
// It lives on the stack, so that matching allocates nothing.
type candIter struct {
	lists [3]*candList
	left  [3][]*crule // what is left of each list
	n     int         // lists in use: lists[:n] are not empty
}

func (it *candIter) add(l *candList) {
	if l != nil && len(l.rules) > 0 {
		it.lists[it.n], it.left[it.n] = l, l.rules
		it.n++
	}
}

// candidates sets it, empty, to the rules that may match req: for a
// command, the rules for its verb (or any verb) with no exact argument, and
// those whose exact argument is req.Arg.
func (set *ruleset) candidates(req Request, it *candIter) {
	if req.Event == EventConnect {
		it.add(set.connect)
	} else if x := set.byVerb[upper(req.Verb)]; x != nil {
		it.add(x.rest)
		it.add(x.forArg(req.Arg))
		it.add(set.anyVerb.forArg(req.Arg))
	} else {
		it.add(set.anyVerb.rest)
		it.add(set.anyVerb.forArg(req.Arg))
	}
}

// next returns the next candidate, or nil at the end.
func (it *candIter) next() *crule {
	if it.n > 1 {
		return it.merge()
	}
	// the common case: no rule with the request's exact argument
	if l := it.left[0]; len(l) > 0 {
		it.left[0] = l[1:]
		return l[0]
	}
	return nil
}

// merge returns the next candidate of several lists.
func (it *candIter) merge() *crule {
	k := -1
	var best *crule
	for i := range it.n {
		if l := it.left[i]; len(l) > 0 && (best == nil || l[0].pos < best.pos) {
			best, k = l[0], i
		}
	}
	if k >= 0 {
		it.left[k] = it.left[k][1:]
	}
	return best
}

// onlyNth ends each list after its last rule with nth: once a rule has
// fired, only those are left to count the request.
func (it *candIter) onlyNth() {
	for i := range it.n {
		l := it.lists[i]
		done := len(l.rules) - len(it.left[i])
		it.left[i] = it.left[i][:max(0, min(len(it.left[i]), l.lastNth+1-done))]
	}
}

// patternMatch checks every condition of the rule but nth, times,
// probability and exhaustion.
func (c *crule) patternMatch(req Request, session int, state string) bool {
	w := &c.rule.When
	if w.Session > 0 && session != w.Session {
		return false
	}
	if w.State != "" && state != w.State {
		return false
	}
	if c.user != nil && !c.user.MatchString(req.User) {
		return false
	}
	return c.arg.match(req.Arg)
}

// exhausted reports whether the rule can fire no more.
func (c *crule) exhausted() bool {
	r := c.rule
	if r.Times > 0 && c.fires >= r.Times {
		return true
	}
	return c.next >= len(r.Steps) && (r.Exhausted == ExhaustedPass || (r.Exhausted == "" && len(r.Steps) > 1))
}

// take fires the rule: it returns the step to carry out.
func (c *crule) take() *Step {
	r := c.rule
	n := len(r.Steps)
	i := c.next
	switch {
	case n == 0:
		return nil
	case r.Exhausted == ExhaustedCycle:
		i %= n
	case i >= n:
		i = n - 1
	}
	c.next++
	c.fires++
	return &r.Steps[i]
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// nearMiss finds the rule naming req's verb (or the connect rule) that came
// closest to matching, and why it did not fire. session is 0 and state nil
// when unknown.
func nearMiss(set *ruleset, req Request, session int, state *string) (*Rule, string, bool) {
	var cands []*crule
	if req.Event == EventConnect {
		cands = set.connect.rules
	} else {
		cands = set.named[upper(req.Verb)]
	}
	var best *crule
	var bestWhy []string
	bestScore := 1 << 30
	for _, c := range cands {
		w := &c.rule.When
		var hard, soft []string
		if !c.arg.match(req.Arg) {
			hard = append(hard, c.arg.why(req.Arg))
		}
		if c.user != nil && !c.user.MatchString(req.User) {
			if req.User == "" {
				hard = append(hard, "no user is logged in, the rule is for user "+w.User)
			} else {
				hard = append(hard, "user "+req.User+" does not match "+w.User)
			}
		}
		if w.Session > 0 {
			if session == 0 {
				soft = append(soft, "the rule is only for session "+strconv.Itoa(w.Session))
			} else if session != w.Session {
				hard = append(hard, fmt.Sprintf("this was session %d, the rule is only for session %d", session, w.Session))
			}
		}
		if w.State != "" {
			switch {
			case state == nil:
				soft = append(soft, "the rule is only for state "+w.State)
			case *state != w.State:
				cur := *state
				if cur == "" {
					cur = "the initial state"
				} else {
					cur = "state " + cur
				}
				hard = append(hard, "the scenario is in "+cur+", the rule needs state "+w.State)
			}
		}
		if len(hard) == 0 {
			if c.nth > 0 {
				scope := "in its session"
				if c.global {
					scope = "across sessions"
				}
				soft = append(soft, fmt.Sprintf("the rule fires only on the %s matching command (counted %s)", ordinal(c.nth), scope))
			}
			if r := c.rule; r.Times > 0 && c.fires >= r.Times {
				soft = append(soft, "it already fired "+plural(c.fires, "time", "times")+" (times: "+strconv.Itoa(r.Times)+")")
			} else if c.exhausted() {
				soft = append(soft, fmt.Sprintf("its %s were used up (exhausted: pass)", plural(len(r.Steps), "response", "responses")))
			}
			if p := w.Probability; p > 0 && p < 1 {
				soft = append(soft, fmt.Sprintf("it fires with probability %v and the draw said no", p))
			}
		}
		score := len(hard)
		if score < bestScore {
			best, bestScore = c, score
			bestWhy = append(hard, soft...)
		}
	}
	if best == nil || len(bestWhy) == 0 {
		return nil, "", false
	}
	return best.rule, strings.Join(bestWhy, "; "), true
}
