package scenario

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// This file checks the rule index (candidates by verb and exact argument)
// against the linear matcher it replaced, kept here as the reference:
// random scenarios and command sequences must give the same decisions, the
// same counters and the same state.

// refSet is the old ruleset: per verb, every rule naming it or any verb.
type refSet struct {
	rules   []*crule
	byVerb  map[string]*candList
	anyVerb *candList
	connect *candList
}

// refCompile is the old compile, on compiled rules of its own (reuse maps a
// rule to a compiled rule whose counters carry over).
func refCompile(sc *Scenario, reuse map[*Rule]*crule) *refSet {
	set := &refSet{byVerb: map[string]*candList{}}
	named := map[string][]*crule{}
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
		case len(r.When.Commands) == 0:
			anyVerb = append(anyVerb, c)
		default:
			for _, v := range r.When.Commands {
				v = strings.ToUpper(v)
				if v == "*" {
					anyVerb = append(anyVerb, c)
					break
				}
				if l := named[v]; len(l) == 0 || l[len(l)-1] != c {
					named[v] = append(l, c)
				}
			}
		}
	}
	set.anyVerb = newCandList(anyVerb)
	set.connect = newCandList(connect)
	for v, nl := range named {
		merged := make([]*crule, 0, len(nl)+len(anyVerb))
		i, j := 0, 0
		for i < len(nl) || j < len(anyVerb) {
			if j == len(anyVerb) || (i < len(nl) && nl[i].pos < anyVerb[j].pos) {
				merged = append(merged, nl[i])
				i++
			} else {
				merged = append(merged, anyVerb[j])
				j++
			}
		}
		set.byVerb[v] = newCandList(merged)
	}
	return set
}

func (set *refSet) candidates(req Request) *candList {
	if req.Event == EventConnect {
		return set.connect
	}
	if l := set.byVerb[upper(req.Verb)]; l != nil {
		return l
	}
	return set.anyVerb
}

// refRuntime is the old Runtime and its sessions, without the lock.
type refRuntime struct {
	sc       *Scenario
	set      *refSet
	state    string
	sessions int
	gen      uint64
	rng      *rand.Rand
}

type refSession struct {
	rt   *refRuntime
	n    int
	gen  uint64
	seen map[*crule]int
}

func newRefRuntime(sc *Scenario) *refRuntime {
	rt := &refRuntime{}
	rt.install(sc)
	return rt
}

func (rt *refRuntime) install(sc *Scenario) {
	rt.sc = sc
	rt.set = refCompile(sc, nil)
	rt.gen++
	rt.state = ""
	rt.rng = rand.New(rand.NewPCG(uint64(sc.Seed), 0x6d6f636b66747064))
}

func (rt *refRuntime) reset() {
	rt.install(rt.sc)
	rt.sessions = 0
}

func (rt *refRuntime) clearRules(sc *Scenario) {
	rt.sc = sc
	rt.set = refCompile(sc, nil)
	rt.gen++
}

// prepend follows PrependRule: sc is the runtime's new scenario, whose
// rules but the first are the old ones, which keep their counters.
func (rt *refRuntime) prepend(sc *Scenario) {
	reuse := map[*Rule]*crule{}
	for i, c := range rt.set.rules {
		c.rule = &sc.Rules[i+1]
		reuse[c.rule] = c
	}
	rt.sc = sc
	rt.set = refCompile(sc, reuse)
}

func (rt *refRuntime) newSession() *refSession {
	rt.sessions++
	return &refSession{rt: rt, n: rt.sessions, gen: rt.gen}
}

// match is the old Session.Match: a linear scan of the verb's rules.
func (s *refSession) match(req Request) (Decision, bool) {
	rt := s.rt
	if s.gen != rt.gen {
		s.gen, s.seen = rt.gen, nil
	}
	list := rt.set.candidates(req)
	var dec Decision
	fired := false
	for i, c := range list.rules {
		if fired && i > list.lastNth {
			break
		}
		if fired && c.nth == 0 {
			continue
		}
		if !c.patternMatch(req, s.n, rt.state) {
			continue
		}
		if c.nth > 0 {
			var n int
			if c.global {
				c.seen++
				n = c.seen
			} else {
				if s.seen == nil {
					s.seen = map[*crule]int{}
				}
				s.seen[c]++
				n = s.seen[c]
			}
			if fired || n != c.nth {
				continue
			}
		}
		if c.exhausted() {
			continue
		}
		if p := c.rule.When.Probability; p > 0 && p < 1 && rt.rng.Float64() >= p {
			continue
		}
		step := c.take()
		dec = Decision{Rule: c.rule, Step: step, Fire: c.fires}
		fired = true
	}
	if fired && dec.Rule.NextState != "" {
		rt.state = dec.Rule.NextState
	}
	return dec, fired
}

var (
	equivVerbs  = []string{"STOR", "RETR", "NOOP", "LIST", "DELE"}
	equivArgs   = []string{"", "/a", "/b", "/c/d", "/c/e", "/A", "x y"}
	equivStates = []string{"s1", "s2"}
	equivUsers  = []string{"", "bob", "bobby", "alice"}
)

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// equivRule is a random rule; exact arguments are the most common
// condition, as in large scenarios.
func equivRule(r *rand.Rand, code int) *RuleBuilder {
	var b *RuleBuilder
	switch n := r.IntN(20); {
	case n == 0:
		b = OnConnect()
	case n < 4:
		b = On()
	case n == 4:
		b = On("*")
	case n < 8:
		b = On(pick(r, equivVerbs), strings.ToLower(pick(r, equivVerbs)))
	default:
		b = On(pick(r, equivVerbs))
	}
	if b.r.When.Event != EventConnect {
		switch n := r.IntN(10); {
		case n < 5:
			b.Arg(pick(r, equivArgs)) // "" is the regex ^$
		case n == 5:
			b.ArgGlob(pick(r, []string{"/c/*", "/*", "**", "/[ab]"}))
		case n == 6:
			b.ArgRegex(pick(r, []string{"^/[aA]$", "d$", "^$", " "}))
		}
		if r.IntN(6) == 0 {
			b.User(pick(r, []string{"bob*", "alice", "b?b"}))
		}
	}
	if r.IntN(6) == 0 {
		b.Session(1 + r.IntN(3))
	}
	if r.IntN(5) == 0 {
		b.State(pick(r, equivStates))
	}
	if r.IntN(5) == 0 {
		b.NextState(pick(r, append([]string{""}, equivStates...)))
	}
	if r.IntN(3) == 0 {
		b.Nth(1 + r.IntN(4))
		if r.IntN(2) == 0 {
			b.Global()
		}
	}
	if r.IntN(5) == 0 {
		b.Probability(pick(r, []float64{0.25, 0.5, 0.9, 1}))
	}
	if r.IntN(5) == 0 {
		b.Times(1 + r.IntN(3))
	}
	if r.IntN(4) == 0 {
		steps := make([]Step, 1+r.IntN(3))
		for i := range steps {
			steps[i] = Step{Replies: []Reply{{Code: 400 + code%100, Text: fmt.Sprint(code, ".", i)}}}
		}
		b.Responses(steps...)
		if e := r.IntN(4); e > 0 {
			b.Exhausted([]Exhausted{ExhaustedPass, ExhaustedRepeat, ExhaustedCycle}[e-1])
		}
	} else {
		b.Reply(400+code%100, fmt.Sprint(code))
	}
	return b
}

func equivScenario(t *testing.T, r *rand.Rand, rules int) *Scenario {
	sc := New("equiv").WithSeed(r.Int64())
	for i := range rules {
		sc.Rule(equivRule(r, i))
	}
	for i, st := range equivStates { // so that state conditions are valid
		sc.Rule(On("DELE").Arg(equivArgs[3+i]).NextState(st).Reply(250, ""))
	}
	if err := sc.Validate(); err != nil {
		t.Fatalf("random scenario: %v", err)
	}
	return sc
}

// equivRun sends cmds random requests (and now and then a new session, a
// Reset, a Replace, a PrependRule, a ClearRules or a SetState) to both
// matchers and fails at the first difference.
func equivRun(t *testing.T, seed uint64, rules, cmds int) {
	r := rand.New(rand.NewPCG(seed, 1))
	sc := equivScenario(t, r, rules)
	rt := NewRuntime(sc)
	ref := newRefRuntime(rt.Scenario())
	type pair struct {
		s   *Session
		ref *refSession
	}
	var sessions []pair
	newSession := func() {
		sessions = append(sessions, pair{rt.NewSession(), ref.newSession()})
	}
	newSession()
	fired := 0
	for i := range cmds {
		switch n := r.IntN(1000); {
		case n < 20:
			newSession()
			continue
		case n == 20:
			rt.Reset()
			ref.reset()
			continue
		case n == 21:
			sc := equivScenario(t, r, 1+r.IntN(rules))
			rt.Replace(sc)
			ref.install(rt.Scenario())
			continue
		case n < 25:
			// (after ClearRules, a rule with a state condition is refused)
			if err := rt.PrependRule(equivRule(r, 1000+i).Build()); err == nil {
				ref.prepend(rt.Scenario())
			} else if rt.Scenario() != ref.sc {
				t.Fatalf("seed %d, command %d: failed PrependRule changed the scenario: %v", seed, i, err)
			}
			continue
		case n == 25 && r.IntN(4) == 0:
			rt.ClearRules()
			ref.clearRules(rt.Scenario())
			continue
		case n < 30:
			s := pick(r, append([]string{""}, equivStates...))
			rt.SetState(s)
			ref.state = s
			continue
		}
		p := pick(r, sessions)
		req := Request{Verb: pick(r, equivVerbs), Arg: pick(r, equivArgs), User: pick(r, equivUsers)}
		switch n := r.IntN(20); {
		case n == 0:
			req = Request{Event: EventConnect}
		case n == 1:
			req.Verb = strings.ToLower(req.Verb)
		case n == 2:
			req.Verb = "MKD" // no rule names it
		}
		got, gotOK := p.s.Match(req)
		want, wantOK := p.ref.match(req)
		if gotOK != wantOK || got != want {
			t.Fatalf("seed %d, command %d %+v in session %d: got %s, want %s",
				seed, i, req, p.s.Number(), describeDecision(got, gotOK), describeDecision(want, wantOK))
		}
		if st := rt.State(); st != ref.state {
			t.Fatalf("seed %d, command %d: state %q, want %q", seed, i, st, ref.state)
		}
		if gotOK {
			fired++
		}
	}
	if rt.Scenario() != ref.sc {
		t.Fatalf("seed %d: the runtimes hold different scenarios", seed)
	}
	for i, c := range rt.cur.Load().rules {
		rc := ref.set.rules[i]
		if c.rule != rc.rule || c.seen != rc.seen || c.fires != rc.fires || c.next != rc.next {
			t.Fatalf("seed %d: rule %d counters seen/fires/next %d/%d/%d, want %d/%d/%d",
				seed, i, c.seen, c.fires, c.next, rc.seen, rc.fires, rc.next)
		}
	}
	if rt.gen != ref.gen {
		t.Fatalf("seed %d: generation %d, want %d", seed, rt.gen, ref.gen)
	}
	for _, p := range sessions {
		// Counters of an older generation are stale: both drop them on the
		// next command that has candidate rules (Match skips the lock, and
		// so the drop, when there is none), so they count as none.
		gotSeen, wantSeen := p.s.seen, p.ref.seen
		if p.s.gen != rt.gen {
			gotSeen = nil
		}
		if p.ref.gen != ref.gen {
			wantSeen = nil
		}
		for i, c := range rt.cur.Load().rules {
			if got, want := gotSeen[c], wantSeen[ref.set.rules[i]]; got != want {
				t.Fatalf("seed %d: session %d counted rule %d %d times, want %d", seed, p.s.n, i, got, want)
			}
		}
	}
	if fired == 0 {
		t.Errorf("seed %d: no rule ever fired", seed)
	}
}

func describeDecision(d Decision, ok bool) string {
	if !ok {
		return "no rule"
	}
	step := -1
	for i := range d.Rule.Steps {
		if &d.Rule.Steps[i] == d.Step {
			step = i
		}
	}
	return fmt.Sprintf("rule %d (%s) step %d fire %d", d.Rule.Index, d.Rule.Label(), step, d.Fire)
}

// TestIndexEquivalence: the indexed matcher decides as the linear one on
// random scenarios, small (every kind of rule often competes for a
// command) and large (mostly exact arguments).
func TestIndexEquivalence(t *testing.T) {
	runs, cmds := 300, 3000
	if testing.Short() {
		runs = 50
	}
	for seed := range uint64(runs) {
		rules := 1 + int(seed%40)
		if seed%10 == 9 {
			rules = 300
		}
		equivRun(t, seed, rules, cmds)
	}
}

// TestIndexCandidates: a request's candidates are the rules for its verb
// (or any verb) but those with another exact argument, in scenario order.
func TestIndexCandidates(t *testing.T) {
	sc := New("candidates").
		Rule(On("STOR").Arg("/a").Reply(550, "")).         // 0
		Rule(On().Arg("/a").Reply(550, "")).               // 1
		Rule(On("STOR").ArgGlob("/*").Reply(550, "")).     // 2
		Rule(On("RETR").Arg("/a").Reply(550, "")).         // 3
		Rule(On().Reply(550, "")).                         // 4
		Rule(On("STOR", "RETR").Arg("/b").Reply(550, "")). // 5
		Rule(On().Arg("/b").Reply(550, "")).               // 6
		Rule(On("STOR").Arg("/a").Nth(2).Reply(550, "")).  // 7
		Rule(OnConnect().Reply(421, "")).                  // 8
		Rule(On("STOR").ArgRegex("^/a$").Reply(550, "")).  // 9
		Rule(On("stor").Arg("/b").Reply(550, ""))          // 10
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}
	set := compile(sc, nil)
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{Request{Verb: "STOR", Arg: "/a"}, "0 1 2 4 7 9"},
		{Request{Verb: "stor", Arg: "/b"}, "2 4 5 6 9 10"},
		{Request{Verb: "STOR", Arg: "/c"}, "2 4 9"},
		{Request{Verb: "RETR", Arg: "/a"}, "1 3 4"},
		{Request{Verb: "RETR", Arg: "/b"}, "4 5 6"},
		{Request{Verb: "MKD", Arg: "/a"}, "1 4"},
		{Request{Verb: "MKD", Arg: "/b"}, "4 6"},
		{Request{Verb: "MKD"}, "4"},
		{Request{Event: EventConnect}, "8"},
	} {
		var it candIter
		set.candidates(tc.req, &it)
		var got []string
		for c := it.next(); c != nil; c = it.next() {
			got = append(got, fmt.Sprint(c.pos))
		}
		if g := strings.Join(got, " "); g != tc.want {
			t.Errorf("%+v: candidates %s, want %s", tc.req, g, tc.want)
		}
	}
	// once a rule fired, only the rules with nth are left
	var it candIter
	set.candidates(Request{Verb: "STOR", Arg: "/a"}, &it)
	it.next()
	it.onlyNth()
	var left []int
	for c := it.next(); c != nil; c = it.next() {
		left = append(left, c.pos)
	}
	if fmt.Sprint(left) != "[7]" {
		t.Errorf("after onlyNth: %v, want [7]", left)
	}
}

// TestIndexNthAfterFire: rules with nth further down count a command an
// earlier rule fired for, whichever list (exact argument, other, any verb)
// holds them.
func TestIndexNthAfterFire(t *testing.T) {
	sc := mustParse(t, `version: 1
rules:
  - {when: {command: STOR, arg: /a}, reply: 450, times: 2}
  - {when: {command: STOR, nth: 3}, reply: 451}
  - {when: {arg: /a, nth: 4}, reply: 452}
  - {when: {command: STOR, arg: /a, nth: 5}, reply: 453}
  - {when: {command: STOR, arg: /b, nth: 1}, reply: 454}
`)
	rt := NewRuntime(sc)
	got := codes(rt.NewSession(), "", "STOR /a", "STOR /a", "STOR /a", "STOR /a", "STOR /a", "STOR /b", "STOR /a")
	if want := "450 450 451 452 453 454 -"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
