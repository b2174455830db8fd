package scenario

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Request is what the server asks a runtime about: a command line from the
// client, or a new connection.
type Request struct {
	// Event is EventCommand (or empty) for a command, EventConnect for a new
	// control connection (Verb, Arg and User are then empty).
	Event Event
	// Verb is the command's verb (compared without regard to case) and Arg
	// its argument as sent.
	Verb, Arg string
	// User is the session's user name: the name given with USER, even before
	// the password was accepted; empty before USER.
	User string
}

// Decision is a rule that fired for a request and the step to carry out.
type Decision struct {
	Rule *Rule // the rule that fired, in the runtime's scenario
	Step *Step // the step to carry out, one of Rule.Steps
	// Fire counts the rule's firings, this one included (1 for the first).
	Fire int
}

// Runtime is the live state of a scenario in a running server: the rule
// counters, the scenario state, the seeded random sources and the session
// numbering. It is safe for concurrent use.
type Runtime struct {
	mu sync.Mutex
	// cur is the compiled scenario in force, replaced (never changed) under
	// mu: Scenario, and Match finding no candidate rule (most commands),
	// read it without the lock; the rules' counters need it.
	cur      atomic.Pointer[ruleset]
	state    string
	sessions int
	gen      uint64
	rng      *rand.Rand // probability draws
	delayRng *rand.Rand // delay ranges
}

// NewRuntime starts a runtime for sc, which should have passed Validate
// (Parse and Load validate; NewRuntime fills defaults but cannot report
// errors, and a rule whose pattern does not compile never matches). A nil sc
// is an empty scenario. The runtime works on a normalised copy of sc.
func NewRuntime(sc *Scenario) *Runtime {
	rt := &Runtime{}
	rt.install(sc)
	return rt
}

func prepare(sc *Scenario) *Scenario {
	if sc == nil {
		sc = &Scenario{Version: FormatVersion}
	}
	sc, _ = normalize(clone(sc), &locator{file: sc.Source}, nil) // defaults; errors are the caller's to check
	return sc
}

// install swaps in sc with fresh counters, state and random sources.
// The caller holds mu (or owns rt).
func (rt *Runtime) install(sc *Scenario) {
	sc = prepare(sc)
	rt.cur.Store(compile(sc, nil))
	rt.gen++
	rt.state = ""
	rt.seed(sc.Seed)
}

func (rt *Runtime) seed(s int64) {
	rt.rng = rand.New(rand.NewPCG(uint64(s), 0x6d6f636b66747064))      // "mockftpd"
	rt.delayRng = rand.New(rand.NewPCG(uint64(s), 0x64656c6179730000)) // "delays"
}

// Scenario returns the scenario in force, with rules added by PrependRule.
// It must not be changed.
func (rt *Runtime) Scenario() *Scenario {
	return rt.cur.Load().sc
}

// Replace swaps in a new scenario at once (a hot reload): the rule counters,
// the state and the random sources start afresh for it, while session
// numbering goes on. Sessions already open match against the new rules from
// their next command.
func (rt *Runtime) Replace(sc *Scenario) {
	sc = prepare(sc)
	set := compile(sc, nil)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.cur.Store(set)
	rt.gen++
	rt.state = ""
	rt.seed(sc.Seed)
}

// PrependRule validates r against the scenario in force and puts it in
// front of its rules (the scenario returned by Scenario is a new copy). The
// other rules keep their counters.
func (rt *Runtime) PrependRule(r Rule) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	old := rt.cur.Load().sc
	sc := *old
	sc.Rules = make([]Rule, 0, len(old.Rules)+1)
	sc.Rules = append(sc.Rules, r)
	sc.Rules = append(sc.Rules, old.Rules...)
	sc.Rules[0].Steps = slices.Clone(r.Steps)
	sc.Rules[0].When.Commands = slices.Clone(r.When.Commands)
	loc := &locator{file: sc.Source, sc: &sc}
	if loc.file == "" {
		loc.file = sc.Name
	}
	v := &validator{sc: &sc, loc: loc, states: map[string]bool{}}
	for i := range sc.Rules {
		if s := sc.Rules[i].NextState; s != "" {
			v.states[s] = true
		}
	}
	v.rule(&sc.Rules[0], 0)
	if err := finish(v.errs); err != nil {
		return err
	}
	reuse := make(map[*Rule]*crule, len(old.Rules))
	for i := range sc.Rules[1:] {
		sc.Rules[i+1].Index = i + 1
		c := rt.cur.Load().rules[i]
		c.rule = &sc.Rules[i+1]
		reuse[c.rule] = c
	}
	rt.cur.Store(compile(&sc, reuse))
	return nil
}

// ClearRules removes every rule (a scenario without rules passes every
// command on); the rest of the scenario stays.
func (rt *Runtime) ClearRules() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	sc := *rt.cur.Load().sc
	sc.Rules = nil
	rt.cur.Store(compile(&sc, nil))
	rt.gen++
}

// State returns the scenario state ("" at start).
func (rt *Runtime) State() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.state
}

// SetState sets the scenario state, as a rule's next_state does.
func (rt *Runtime) SetState(s string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.state = s
}

// Reset puts the runtime back to its start: rule counters and firings, the
// state, the random sources and the session numbering (the next session is
// number 1 again).
func (rt *Runtime) Reset() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.cur.Store(compile(rt.cur.Load().sc, nil))
	rt.gen++
	rt.state = ""
	rt.sessions = 0
	rt.seed(rt.cur.Load().sc.Seed)
}

// Delay returns how long to wait for d: Min for a fixed delay, or a value
// drawn uniformly from [Min, Max] with the scenario's seeded source.
func (rt *Runtime) Delay(d DelaySpec) time.Duration {
	if d.Max <= d.Min {
		return max(d.Min, 0)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return d.Min + time.Duration(rt.delayRng.Int64N(int64(d.Max-d.Min)+1))
}

// Session is one control connection's view of a runtime: it numbers the
// connection and keeps the per-session counters. Its methods are safe for
// concurrent use.
type Session struct {
	rt   *Runtime
	n    int
	gen  uint64
	seen map[*crule]int
}

// NewSession numbers a new control connection: 1, 2, 3… since the runtime
// started or was Reset.
func (rt *Runtime) NewSession() *Session {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.sessions++
	return &Session{rt: rt, n: rt.sessions, gen: rt.gen}
}

// Number returns the session's number (1 for the first).
func (s *Session) Number() int { return s.n }

// Match finds the rule that fires for req, and the step to carry out. It
// returns false when no rule fires: the server then handles the command as
// usual.
//
// Rules are tried in order; the first that matches and is not exhausted
// fires. Every rule with "nth" counts each request that matches its other
// conditions, whether or not a rule fires for it.
func (s *Session) Match(req Request) (Decision, bool) {
	rt := s.rt
	// Only candidates can match: rules for other verbs, or with another
	// exact argument, fail their pattern (so count nothing and draw no
	// random number). With none, there is nothing to count: no lock.
	var it candIter
	set := rt.cur.Load()
	set.candidates(req, &it)
	if it.n == 0 {
		return Decision{}, false
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if s.gen != rt.gen {
		s.gen, s.seen = rt.gen, nil
	}
	if now := rt.cur.Load(); now != set { // replaced meanwhile
		it = candIter{}
		now.candidates(req, &it)
	}
	var dec Decision
	fired := false
	for c := it.next(); c != nil; c = it.next() {
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
		it.onlyNth()
	}
	if fired && dec.Rule.NextState != "" {
		rt.state = dec.Rule.NextState
	}
	return dec, fired
}

// NearMiss finds, for a request no rule fired for, the rule that came
// closest: one naming the same verb (or a connect rule for a connection)
// with the fewest failing conditions, and says why it did not fire, e.g.
// "arg /a.txt does not match glob /out/*". user, when not empty, replaces
// req.User. The current state is used for state conditions.
func (rt *Runtime) NearMiss(req Request, user string) (rule *Rule, why string, ok bool) {
	if user != "" {
		req.User = user
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	state := rt.state
	return nearMiss(rt.cur.Load(), req, 0, &state)
}
