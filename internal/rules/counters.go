package rules

import "github.com/mockftpd/mockftpd/scenario"

// Counter is one rule's live counters.
type Counter struct {
	// Fires counts the rule's firings since its scenario was put in force
	// or the runtime was reset.
	Fires int
	// Next is the index in the rule's responses of the one its next firing
	// uses (before exhausted: repeat or cycle applies).
	Next int
	// Seen counts the commands that met the rule's other conditions, for a
	// rule whose nth counts across sessions (per-session counts are the
	// sessions' own).
	Seen int
	// Exhausted is true when the rule can fire no more: its times are
	// used, or its responses with exhausted: pass.
	Exhausted bool
}

// Snapshot is the scenario in force, its state and its rules' counters,
// read at one moment.
type Snapshot struct {
	Scenario *scenario.Scenario // must not be changed
	State    string
	Rules    []Counter // one per rule of Scenario, in order
}

// Snapshot reads the runtime's scenario, state and counters at once.
func (rt *Runtime) Snapshot() Snapshot {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	set := rt.cur.Load()
	out := Snapshot{Scenario: set.sc, State: rt.state, Rules: make([]Counter, len(set.rules))}
	for i, c := range set.rules {
		out.Rules[i] = Counter{Fires: c.fires, Next: c.next, Seen: c.seen, Exhausted: c.exhausted()}
	}
	return out
}
