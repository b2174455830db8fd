package rules

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/mockftpd/mockftpd/scenario"
)

// This file checks the rule index (candidates by verb and exact argument)
// against the rules' meaning written plainly: every rule, in order, with
// its verb checked, and counters of its own.

// refRuntime decides as the scenario language says, without an index.
type refRuntime struct {
	sc         *scenario.Scenario
	state      string
	seenGlobal map[int]int
	fires      map[int]int
	next       map[int]int
	sessions   []map[int]int // per session: rule index -> commands counted
	rng        *rand.Rand
	args       []*scenario.Pattern
	users      []*scenario.Pattern
}

func newRef(sc *scenario.Scenario) *refRuntime {
	ref := &refRuntime{sc: sc, seenGlobal: map[int]int{}, fires: map[int]int{}, next: map[int]int{},
		rng: rand.New(rand.NewPCG(uint64(sc.Seed), 0x6d6f636b66747064))}
	for _, r := range sc.Rules {
		arg, _ := scenario.CompileArg(r.When.Arg)
		var user *scenario.Pattern
		if r.When.User != "" {
			user, _ = scenario.CompileGlob(r.When.User)
		}
		ref.args, ref.users = append(ref.args, arg), append(ref.users, user)
	}
	return ref
}

// names reports whether rule r is about req: its event, and its verb.
func names(r *scenario.Rule, req Request) bool {
	if (r.When.Event == scenario.EventConnect) != (req.Event == scenario.EventConnect) {
		return false
	}
	if req.Event == scenario.EventConnect || len(r.When.Commands) == 0 || slices.Contains(r.When.Commands, "*") {
		return true
	}
	return slices.ContainsFunc(r.When.Commands, func(v string) bool { return strings.EqualFold(v, req.Verb) })
}

func (ref *refRuntime) match(session int, req Request) (rule, step int, ok bool) {
	for i := range ref.sc.Rules {
		r := &ref.sc.Rules[i]
		if !names(r, req) {
			continue
		}
		w := r.When
		if (w.Session > 0 && w.Session != session) || (w.State != "" && w.State != ref.state) || !ref.users[i].Match(req.User) || !ref.args[i].Match(req.Arg) {
			continue
		}
		if ok && w.Nth == 0 {
			continue
		}
		if w.Nth > 0 {
			global := w.Count == scenario.Global || (w.Event == scenario.EventConnect && w.Count != scenario.PerSession)
			var n int
			if global {
				ref.seenGlobal[i]++
				n = ref.seenGlobal[i]
			} else {
				ref.sessions[session-1][i]++
				n = ref.sessions[session-1][i]
			}
			if ok || n != w.Nth {
				continue
			}
		}
		if (r.Times > 0 && ref.fires[i] >= r.Times) ||
			(ref.next[i] >= len(r.Steps) && (r.Exhausted == scenario.ExhaustedPass || (r.Exhausted == "" && len(r.Steps) > 1))) {
			continue
		}
		if p := w.Probability; p > 0 && p < 1 && ref.rng.Float64() >= p {
			continue
		}
		n := len(r.Steps)
		s := ref.next[i]
		if r.Exhausted == scenario.ExhaustedCycle {
			s %= n
		} else if s >= n {
			s = n - 1
		}
		ref.next[i]++
		ref.fires[i]++
		rule, step, ok = i, s, true
	}
	if ok && ref.sc.Rules[rule].NextState != "" {
		ref.state = ref.sc.Rules[rule].NextState
	}
	return rule, step, ok
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
func equivRule(r *rand.Rand, code int) *scenario.RuleBuilder {
	var b *scenario.RuleBuilder
	connect := false
	switch n := r.IntN(20); {
	case n == 0:
		b, connect = scenario.OnConnect(), true
	case n < 4:
		b = scenario.On()
	case n == 4:
		b = scenario.On("*")
	case n < 8:
		b = scenario.On(pick(r, equivVerbs), strings.ToLower(pick(r, equivVerbs)))
	default:
		b = scenario.On(pick(r, equivVerbs))
	}
	if !connect {
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
		steps := make([]scenario.Step, 1+r.IntN(3))
		for i := range steps {
			steps[i] = scenario.Step{Replies: []scenario.Reply{{Code: 400 + code%100, Text: fmt.Sprint(code, ".", i)}}}
		}
		b.Responses(steps...)
		if e := r.IntN(4); e > 0 {
			b.Exhausted([]scenario.Exhausted{scenario.ExhaustedPass, scenario.ExhaustedRepeat, scenario.ExhaustedCycle}[e-1])
		}
	} else {
		b.Reply(400+code%100, fmt.Sprint(code))
	}
	return b
}

func equivScenario(t *testing.T, r *rand.Rand, rules int) *scenario.Scenario {
	sc := scenario.New("equiv").WithSeed(r.Int64())
	for i := range rules {
		sc.Rule(equivRule(r, i))
	}
	for i, st := range equivStates { // so that state conditions are valid
		sc.Rule(scenario.On("DELE").Arg(equivArgs[3+i]).NextState(st).Reply(250, ""))
	}
	n, err := sc.Normalize()
	if err != nil {
		t.Fatalf("random scenario: %v", err)
	}
	return n
}

// equivRun sends cmds random requests (and now and then a new session or
// a state change) to the runtime and the reference, and fails at the first
// difference.
func equivRun(t *testing.T, seed uint64, rules, cmds int) {
	r := rand.New(rand.NewPCG(seed, 1))
	sc := equivScenario(t, r, rules)
	rt := New(sc)
	ref := newRef(sc)
	var sessions []*Session
	newSession := func() {
		sessions = append(sessions, rt.NewSession())
		ref.sessions = append(ref.sessions, map[int]int{})
	}
	newSession()
	fired := 0
	for i := range cmds {
		switch n := r.IntN(1000); {
		case n < 20:
			newSession()
			continue
		case n < 30:
			s := pick(r, append([]string{""}, equivStates...))
			rt.SetState(s)
			ref.state = s
			continue
		}
		s := pick(r, sessions)
		req := Request{Verb: pick(r, equivVerbs), Arg: pick(r, equivArgs), User: pick(r, equivUsers)}
		switch n := r.IntN(20); {
		case n == 0:
			req = Request{Event: scenario.EventConnect}
		case n == 1:
			req.Verb = strings.ToLower(req.Verb)
		case n == 2:
			req.Verb = "MKD" // no rule names it
		}
		got, gotOK := s.Match(req)
		rule, step, wantOK := ref.match(s.Number(), req)
		if gotOK != wantOK || (gotOK && (got.Rule.Index != rule || got.Step != &sc.Rules[rule].Steps[step] || got.Fire != ref.fires[rule])) {
			t.Fatalf("seed %d, command %d %+v in session %d: got %v (%+v), want %v rule %d step %d",
				seed, i, req, s.Number(), gotOK, got, wantOK, rule, step)
		}
		if st := rt.State(); st != ref.state {
			t.Fatalf("seed %d, command %d: state %q, want %q", seed, i, st, ref.state)
		}
		if gotOK {
			fired++
		}
	}
	if fired == 0 {
		t.Errorf("seed %d: no rule ever fired", seed)
	}
}

// TestIndexEquivalence: the indexed matcher decides as the rules say on
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
	sc, err := scenario.New("candidates").
		Rule(scenario.On("STOR").Arg("/a").Reply(550, "")).         // 0
		Rule(scenario.On().Arg("/a").Reply(550, "")).               // 1
		Rule(scenario.On("STOR").ArgGlob("/*").Reply(550, "")).     // 2
		Rule(scenario.On("RETR").Arg("/a").Reply(550, "")).         // 3
		Rule(scenario.On().Reply(550, "")).                         // 4
		Rule(scenario.On("STOR", "RETR").Arg("/b").Reply(550, "")). // 5
		Rule(scenario.On().Arg("/b").Reply(550, "")).               // 6
		Rule(scenario.On("STOR").Arg("/a").Nth(2).Reply(550, "")).  // 7
		Rule(scenario.OnConnect().Reply(421, "")).                  // 8
		Rule(scenario.On("STOR").ArgRegex("^/a$").Reply(550, "")).  // 9
		Rule(scenario.On("stor").Arg("/b").Reply(550, "")).         // 10
		Normalize()
	if err != nil {
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
		{Request{Event: scenario.EventConnect}, "8"},
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
	rt := newRuntime(sc)
	got := codes(rt.NewSession(), "", "STOR /a", "STOR /a", "STOR /a", "STOR /a", "STOR /a", "STOR /b", "STOR /a")
	if want := "450 450 451 452 453 454 -"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
