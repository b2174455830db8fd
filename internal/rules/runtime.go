// Package rules runs a scenario's rules inside a server: it numbers the
// sessions, matches each command (or new connection) against the rules
// with their counters and the scenario state, draws the seeded random
// choices, and explains why a rule did not fire.
//
// It is the scenario language's interpreter, not part of the language: the
// scenario package says what a rule means (its model, validation and
// patterns); this package keeps the live state a running server needs and
// is internal so that this protocol between it and the server can change
// with them.
package rules

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mockftpd/mockftpd/journal"
	"github.com/mockftpd/mockftpd/scenario"
)

// Request is what the server asks about: a command line from the client,
// or a new connection.
type Request struct {
	// Event is EventCommand (or empty) for a command, EventConnect for a new
	// control connection (Verb, Arg and User are then empty).
	Event scenario.Event
	// Verb is the command's verb (compared without regard to case) and Arg
	// its argument as sent.
	Verb, Arg string
	// Path is the absolute, clean path the command acts on
	// (scenario.CommandPath against the session's working directory);
	// empty for a command that acts on none.
	Path string
	// User is the session's user name: the name given with USER, even before
	// the password was accepted; empty before USER.
	User string
}

// Decision is a rule that fired for a request and the step to carry out.
type Decision struct {
	Rule *scenario.Rule // the rule that fired, in the runtime's scenario
	Step *scenario.Step // the step to carry out, one of Rule.Steps
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

// New starts a runtime for sc, which must be normalized
// ((*scenario.Scenario).Normalize): the runtime reads it and never changes
// it, nor may anyone else from then on.
func New(sc *scenario.Scenario) *Runtime {
	rt := &Runtime{}
	rt.Replace(sc)
	return rt
}

func (rt *Runtime) seed(s int64) {
	rt.rng = rand.New(rand.NewPCG(uint64(s), 0x6d6f636b66747064))      // "mockftpd"
	rt.delayRng = rand.New(rand.NewPCG(uint64(s), 0x64656c6179730000)) // "delays"
}

// Scenario returns the scenario in force, with rules added by PrependRule.
// It must not be changed.
func (rt *Runtime) Scenario() *scenario.Scenario {
	return rt.cur.Load().sc
}

// Replace swaps in sc, normalized, at once (a hot reload): the rule
// counters, the state and the random sources start afresh for it, while
// session numbering goes on. Sessions already open match against the new
// rules from their next command.
func (rt *Runtime) Replace(sc *scenario.Scenario) {
	set := compile(sc, nil)
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.cur.Store(set)
	rt.gen++
	rt.state = ""
	rt.seed(sc.Seed)
}

// PrependRule validates r against the scenario in force and puts it in
// front of its rules (the scenario Scenario returns is then a new one). The
// other rules keep their counters.
func (rt *Runtime) PrependRule(r scenario.Rule) error {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	old := rt.cur.Load()
	sc := *old.sc
	sc.Rules = make([]scenario.Rule, 0, len(old.sc.Rules)+1)
	sc.Rules = append(sc.Rules, r)
	sc.Rules = append(sc.Rules, old.sc.Rules...)
	norm, err := sc.Normalize()
	if err != nil {
		return err
	}
	reuse := make(map[int]*crule, len(old.rules))
	for i, c := range old.rules {
		reuse[i+1] = c // the rule that was at i is at i+1
	}
	rt.cur.Store(compile(norm, reuse))
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
	sc := rt.cur.Load().sc
	rt.cur.Store(compile(sc, nil))
	rt.gen++
	rt.state = ""
	rt.sessions = 0
	rt.seed(sc.Seed)
}

// Delay returns how long to wait for d: Min for a fixed delay, or a value
// drawn uniformly from [Min, Max] with the scenario's seeded source.
func (rt *Runtime) Delay(d scenario.DelaySpec) time.Duration {
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
func (rt *Runtime) NearMiss(req Request, user string) (rule *scenario.Rule, why string, ok bool) {
	if user != "" {
		req.User = user
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	state := rt.state
	return nearMiss(rt.cur.Load(), req, 0, &state)
}

// NearMisses lists, for the journal's commands no rule fired for, the
// nearest rule and why it did not fire (the state each command met is not
// known, so state conditions count as notes, not failures). Commands that
// are alike (verb, argument, path, user, session) are explained once. A
// command a strict scenario refused keeps the near miss its entry
// recorded then, with or without a nearest rule.
func (rt *Runtime) NearMisses(entries []journal.Entry) []scenario.NearMiss {
	type key struct {
		verb, arg, path, user string
		session               int
	}
	type answer struct {
		rule, why string
		ok        bool
	}
	seen := map[key]answer{}
	var out []scenario.NearMiss
	rt.mu.Lock()
	defer rt.mu.Unlock()
	set := rt.cur.Load()
	for i := range entries {
		e := &entries[i]
		if e.Rule != "" || e.Command == "" || e.Event() {
			continue
		}
		if m := e.NearMiss; m != nil {
			out = append(out, scenario.NearMiss{Entry: *e, Rule: m.Rule, Why: m.Why})
			continue
		}
		k := key{e.Command, e.Arg, e.Path, e.User, e.Session}
		a, done := seen[k]
		if !done {
			if r, why, ok := nearMiss(set, Request{Verb: e.Command, Arg: e.Arg, Path: e.Path, User: e.User}, e.Session, nil); ok {
				a = answer{r.Label(), why, true}
			}
			seen[k] = a
		}
		if a.ok {
			out = append(out, scenario.NearMiss{Entry: *e, Rule: a.rule, Why: a.why})
		}
	}
	return out
}
