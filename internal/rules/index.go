package rules

import (
	"slices"
	"strings"

	"github.com/mockftpd/mockftpd/scenario"
)

// crule is a compiled rule with its global counters (guarded by Runtime.mu).
type crule struct {
	rule   *scenario.Rule
	arg    *scenario.Pattern // nil: any argument
	path   *scenario.Pattern // nil: any path, or none
	user   *scenario.Pattern // nil: any user
	broken bool              // a pattern did not compile: the rule never matches
	global bool              // nth counted across sessions
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
		if a, ok := c.arg.Exact(); ok {
			count[a]++
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
		a, ok := c.arg.Exact()
		if !ok {
			continue
		}
		l := x.exact[a]
		if l == nil {
			n := count[a]
			lists = append(lists, candList{rules: all[:0:n], lastNth: -1})
			all = all[n:]
			l = &lists[len(lists)-1]
			x.exact[a] = l
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
	sc    *scenario.Scenario
	rules []*crule
	// byVerb has, for each verb a rule names, the rules naming it with an
	// exact argument and, in rest, the other rules naming it merged with
	// anyVerb.rest.
	byVerb  map[string]*argIndex
	named   map[string]*nearIndex // only the rules naming the verb (for near misses)
	anyVerb *argIndex             // the rules for any verb
	connect *candList
}

func compileRule(r *scenario.Rule) *crule {
	c := &crule{rule: r, nth: r.When.Nth}
	var err error
	if c.arg, err = scenario.CompileArg(r.When.Arg); err != nil {
		c.broken = true
	}
	if c.path, err = scenario.CompileArg(r.When.Path); err != nil {
		c.broken = true
	}
	if r.When.User != "" {
		if c.user, err = scenario.CompileGlob(r.When.User); err != nil {
			c.broken = true
		}
	}
	if r.When.Event == scenario.EventConnect {
		c.global = r.When.Count != scenario.PerSession
	} else {
		c.global = r.When.Count == scenario.Global
	}
	return c
}

// compile indexes sc's rules; reuse maps rule positions to existing
// compiled rules whose counters carry over.
func compile(sc *scenario.Scenario, reuse map[int]*crule) *ruleset {
	set := &ruleset{sc: sc, byVerb: map[string]*argIndex{}, named: map[string]*nearIndex{}}
	var anyVerb, connect []*crule
	named := map[string][]*crule{}
	for i := range sc.Rules {
		r := &sc.Rules[i]
		c := reuse[i]
		if c == nil {
			c = compileRule(r)
		}
		c.rule, c.pos = r, i
		set.rules = append(set.rules, c)
		switch {
		case r.When.Event == scenario.EventConnect:
			connect = append(connect, c)
		case len(r.When.Commands) == 0 || slices.Contains(r.When.Commands, "*"):
			anyVerb = append(anyVerb, c)
		default:
			for _, v := range r.When.Commands {
				v = strings.ToUpper(v)
				if l := named[v]; len(l) == 0 || l[len(l)-1] != c {
					named[v] = append(l, c)
				}
			}
		}
	}
	set.anyVerb = newArgIndex(anyVerb)
	set.connect = newCandList(connect)
	anyRest := set.anyVerb.rest.rules
	for v, rules := range named {
		set.named[v] = newNearIndex(rules)
		x := newArgIndex(rules)
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
	if req.Event == scenario.EventConnect {
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
	switch {
	case c.broken:
		return false
	case w.Session > 0 && session != w.Session:
		return false
	case w.State != "" && state != w.State:
		return false
	case !c.user.Match(req.User):
		return false
	case c.path != nil && (req.Path == "" || !c.path.Match(req.Path)):
		return false
	}
	return c.arg.Match(req.Arg)
}

// exhausted reports whether the rule can fire no more.
func (c *crule) exhausted() bool {
	r := c.rule
	if r.Times > 0 && c.fires >= r.Times {
		return true
	}
	return c.next >= len(r.Steps) && (r.Exhausted == scenario.ExhaustedPass || (r.Exhausted == "" && len(r.Steps) > 1))
}

// take fires the rule: it returns the step to carry out.
func (c *crule) take() *scenario.Step {
	r := c.rule
	n := len(r.Steps)
	i := c.next
	switch {
	case n == 0:
		return nil
	case r.Exhausted == scenario.ExhaustedCycle:
		i %= n
	case i >= n:
		i = n - 1
	}
	c.next++
	c.fires++
	return &r.Steps[i]
}
